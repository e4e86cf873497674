from __future__ import annotations

import random
import time

from sqlalchemy import func, select
from vietnam_provinces import Province, Ward

from demo.province import PROVINCE_CODENAME, _plan, build_demo_province
from directory.access import scope_for_person
from directory.models import OrgUnit, Role, RoleAssignment, UnitKind
from storage.db import Database


def _wards() -> list[Ward]:
    province = next(p for p in Province.iter_all() if p.codename == PROVINCE_CODENAME)
    return list(Ward.iter_by_province(province.code))


def test_plan_is_deterministic_for_a_seed_and_differs_across_seeds() -> None:
    def names(seed: int) -> list[str]:
        plan = _plan(_wards(), random.Random(seed))
        return [c.name for u in plan.children for c in u.children]

    assert names(7) == names(7)
    assert names(7) != names(8)


async def test_demo_province_shape_real_names_and_speed(db: Database) -> None:
    started = time.perf_counter()
    async with db.transaction() as s:
        p = await build_demo_province(s, seed=3)
    elapsed = time.perf_counter() - started
    assert elapsed < 3.0, f"building the demo province took {elapsed:.2f}s"
    assert 18 <= len(p.upper_unions) <= 24
    assert 300 <= len(p.grassroots) <= 600
    assert {u.block for u in p.grassroots} == {"co_quan", "xa_phuong", "truong_hoc", "doanh_nghiep", "y_te"}
    assert {"Công đoàn ngành Giáo dục thành phố", "Công đoàn ngành Y tế thành phố"} <= {
        u.name for u in p.upper_unions
    }
    real = {w.name.split(" ", 1)[1] for w in _wards()}
    communes = [
        u.name.removeprefix("CĐCS UBND xã ").removeprefix("CĐCS UBND phường ")
        for u in p.grassroots
        if u.name.startswith(("CĐCS UBND xã", "CĐCS UBND phường"))
    ]
    assert len(communes) >= 90 and set(communes) <= real
    assert all(u.id in p.officers for u in p.upper_unions) and set(p.leaders) == {u.id for u in p.grassroots}
    groups: dict[int, int] = {}
    for unit, _ in p.block_groups:
        groups[unit.id] = groups.get(unit.id, 0) + 1
    clusters = [u for u in p.upper_unions if u.kind == UnitKind.district_federation.value]
    assert len(clusters) >= 10 and all(3 <= groups[u.id] <= 5 for u in clusters)
    async with db.transaction() as s:
        units = {u.id: u for u in await s.scalars(select(OrgUnit))}
        for u in units.values():  # every path is its parent's path plus its own id
            parent = units.get(u.parent_id) if u.parent_id else None
            assert u.path == f"{parent.path if parent else '/'}{u.id}/" and u.depth == u.path.count("/") - 2
        leaders = await s.scalar(
            select(func.count()).select_from(RoleAssignment).where(RoleAssignment.role == "leader")
        )
        assert leaders == len(p.grassroots)
        cluster = p.upper_unions[0]
        scope = await scope_for_person(s, person=p.officers[cluster.id][0])
        assert scope.allows(Role.officer, cluster.path)
        education = next(u for u in p.upper_unions if u.code.endswith("-GD"))
        assert not scope.allows(Role.officer, education.path)
        assert all(u.kind == UnitKind.grassroots_union.value for u in p.grassroots)
