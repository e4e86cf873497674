"""A realistic province for `loa demo`, built from the real communes and wards of Đà Nẵng (which
absorbed Quảng Nam in 2025) as listed by the `vietnam-provinces` package.

One provincial federation; 14 commune-cluster unions named after real communes/wards and 6 sector
unions (Giáo dục, Y tế, …); about 400 CĐCS over the blocks; officers for every upper union; a
leader and a few registered members for every CĐCS. Deterministic for a given seed, inserted with
a handful of bulk statements.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from vietnam_provinces import Province, VietNamDivisionType, Ward

from demo.vn_names import NameMaker
from directory.models import Department, OrgUnit, Person, Role, RoleAssignment, UnitKind
from directory.tree import under
from storage.base import utcnow

UNITS = cast(Table, OrgUnit.__table__)
PEOPLE = cast(Table, Person.__table__)
PROVINCE_CODENAME = "da_nang"
ROOT_CODE = "DNG"
CLUSTERS = 14


@dataclass
class DemoProvince:
    root: OrgUnit
    upper_unions: list[OrgUnit]
    grassroots: list[OrgUnit]
    officers: dict[int, list[Person]]  # upper-union (and root) id → its officers
    leaders: dict[int, Person]  # CĐCS id → its chair
    members: list[Person]
    block_groups: list[tuple[OrgUnit, str]]  # (upper union, block): the groups each union runs
    wards: list[str] = field(default_factory=list)

    @property
    def people_count(self) -> int:
        return sum(len(v) for v in self.officers.values()) + len(self.leaders) + len(self.members)


@dataclass
class _Unit:
    code: str
    name: str
    kind: UnitKind
    block: str | None = None
    member_count: int = 0
    children: list[_Unit] = field(default_factory=list)


def _short(ward: Ward) -> tuple[str, str]:
    """`Phường Hải Châu` → ("phường", "Hải Châu")."""
    kind = ward.division_type.value
    prefix = kind[0].upper() + kind[1:] + " "
    return kind, ward.name.removeprefix(prefix)


ENTERPRISES = (
    "Công ty TNHH May {w}",
    "Công ty CP Thủy sản {w}",
    "Công ty TNHH Chế biến gỗ {w}",
    "Hợp tác xã Nông nghiệp {w}",
    "Công ty CP Xây dựng {w}",
    "Công ty TNHH Cơ khí {w}",
    "Công ty CP Du lịch {w}",
    "Công ty TNHH Thương mại {w}",
)
AGENCIES = (
    "Văn phòng UBND thành phố",
    "Sở Tài chính",
    "Sở Nội vụ",
    "Sở Tư pháp",
    "Sở Xây dựng",
    "Sở Nông nghiệp và Môi trường",
    "Sở Khoa học và Công nghệ",
    "Sở Văn hóa, Thể thao và Du lịch",
    "Sở Giáo dục và Đào tạo",
    "Sở Y tế",
    "Thanh tra thành phố",
    "Ban Quản lý các dự án đầu tư xây dựng",
)
SCHOOLS = (("Trường Mầm non", 15, 40), ("Trường Tiểu học", 25, 60), ("Trường THCS", 30, 70))
INDUSTRY = ("Công ty CP Cấp nước {w}", "Công ty Điện lực {w}", "Công ty CP Bia {w}", "Công ty CP Dệt may {w}")
BUILDING = ("Công ty CP Xây lắp {w}", "Công ty TNHH Vật liệu xây dựng {w}", "Công ty CP Tư vấn thiết kế {w}")
ZONE = (
    "Công ty TNHH Điện tử {w}",
    "Công ty TNHH May mặc xuất khẩu {w}",
    "Công ty TNHH Linh kiện ô tô {w}",
    "Công ty CP Nhựa {w}",
    "Công ty TNHH Giày da {w}",
)


def _plan(wards: Sequence[Ward], rng: random.Random) -> _Unit:
    """The whole tree as plain data; ids and paths are assigned on insert."""
    root = _Unit(ROOT_CODE, "Liên đoàn Lao động thành phố Đà Nẵng", UnitKind.province_federation)
    # Hoàng Sa is a special zone with no resident workforce: no union there.
    named = [_short(w) for w in wards if w.division_type is not VietNamDivisionType.DAC_KHU]
    size = -(-len(named) // CLUSTERS)
    for i in range(CLUSTERS):
        chunk = named[i * size : (i + 1) * size]
        if not chunk:
            break
        cluster = _Unit(
            f"{ROOT_CODE}-C{i + 1:02d}",
            f"Công đoàn cụm {chunk[0][0]} {chunk[0][1]}",
            UnitKind.district_federation,
        )
        for kind, name in chunk:
            cluster.children.append(
                _Unit(
                    "",
                    f"CĐCS UBND {kind} {name}",
                    UnitKind.grassroots_union,
                    "xa_phuong",
                    rng.randint(18, 45),
                )
            )
        for _, name in rng.sample(chunk, k=min(3, len(chunk))):
            template = rng.choice(ENTERPRISES)
            count = rng.choice((35, 60, 120, 240, 480, 900))
            cluster.children.append(
                _Unit("", "CĐCS " + template.format(w=name), UnitKind.grassroots_union, "doanh_nghiep", count)
            )
        # Since 2025 communes run their kindergartens, primary and lower-secondary schools.
        for _, name in chunk[::2]:
            for school, lo, hi in SCHOOLS:
                cluster.children.append(
                    _Unit(
                        "",
                        f"CĐCS {school} {name}",
                        UnitKind.grassroots_union,
                        "truong_hoc",
                        rng.randint(lo, hi),
                    )
                )
        for kind, name in chunk[1:3]:
            cluster.children.append(
                _Unit(
                    "",
                    f"CĐCS Trung tâm Phục vụ hành chính công {kind} {name}",
                    UnitKind.grassroots_union,
                    "co_quan",
                    rng.randint(8, 20),
                )
            )
        root.children.append(cluster)

    def sector(code: str, name: str) -> _Unit:
        unit = _Unit(f"{ROOT_CODE}-{code}", name, UnitKind.sector_union)
        root.children.append(unit)
        return unit

    edu = sector("GD", "Công đoàn ngành Giáo dục thành phố")
    for _, name in named[1::5]:
        edu.children.append(
            _Unit(
                "", f"CĐCS Trường THPT {name}", UnitKind.grassroots_union, "truong_hoc", rng.randint(60, 110)
            )
        )
    health = sector("YT", "Công đoàn ngành Y tế thành phố")
    for kind, name in named[::2]:
        health.children.append(
            _Unit("", f"CĐCS Trạm Y tế {kind} {name}", UnitKind.grassroots_union, "y_te", rng.randint(6, 16))
        )
    for _, name in named[3::12]:
        health.children.append(
            _Unit(
                "",
                f"CĐCS Trung tâm Y tế khu vực {name}",
                UnitKind.grassroots_union,
                "y_te",
                rng.randint(120, 420),
            )
        )
    civil = sector("VC", "Công đoàn Viên chức thành phố")
    for agency in AGENCIES:
        civil.children.append(
            _Unit("", f"CĐCS {agency}", UnitKind.grassroots_union, "co_quan", rng.randint(30, 120))
        )
    for code, title, templates, n in (
        ("CT", "Công đoàn ngành Công thương thành phố", INDUSTRY, 12),
        ("XD", "Công đoàn ngành Xây dựng thành phố", BUILDING, 10),
        ("KCN", "Công đoàn các Khu công nghiệp Đà Nẵng", ZONE, 24),
    ):
        unit = sector(code, title)
        for _, name in rng.sample(named[:40], k=n):  # the urban and coastal wards, where industry is
            unit.children.append(
                _Unit(
                    "",
                    "CĐCS " + rng.choice(templates).format(w=name),
                    UnitKind.grassroots_union,
                    "doanh_nghiep",
                    rng.choice((80, 150, 300, 650, 1200, 2500)),
                )
            )
    for upper in root.children:
        for n, child in enumerate(upper.children, start=1):
            child.code = f"{upper.code}-{n:03d}"
    return root


async def _insert_units(
    session: AsyncSession, rows: list[dict[str, Any]], parent_path: dict[str, str]
) -> dict[str, int]:
    """Insert one level; set each row's path from its parent's path and its new id. Plain executemany
    statements: RETURNING row by row is several times slower on SQLite; codes are unique."""
    now = utcnow()
    await session.execute(insert(UNITS), [{**r, "created_at": now, "updated_at": now} for r in rows])
    codes = [r["code"] for r in rows]
    ids: dict[str, int] = {}
    for start in range(0, len(codes), 500):  # stay under SQLite's bound-parameter limit
        found = await session.execute(
            select(OrgUnit.code, OrgUnit.id).where(OrgUnit.code.in_(codes[start : start + 500]))
        )
        ids.update({code: uid for code, uid in found.tuples()})
    await session.execute(
        update(UNITS).where(UNITS.c.id == bindparam("unit_id")).values(path=bindparam("new_path")),
        [{"unit_id": ids[c], "new_path": f"{parent_path[c]}{ids[c]}/"} for c in codes],
    )
    return ids


def _row(u: _Unit, parent_id: int | None, depth: int) -> dict[str, Any]:
    return {
        "code": u.code,
        "name": u.name,
        "kind": u.kind.value,
        "block": u.block,
        "member_count": u.member_count,
        "is_active": True,
        "parent_id": parent_id,
        "depth": depth,
        "path": "",
    }


async def _insert_people(session: AsyncSession, rows: list[dict[str, Any]]) -> list[int]:
    """Executemany, then the new ids read back by phone number (NameMaker keeps them unique)."""
    before = await session.scalar(select(func.coalesce(func.max(Person.id), 0)))
    now = utcnow()
    await session.execute(insert(PEOPLE), [{**r, "created_at": now, "updated_at": now} for r in rows])
    found = await session.execute(select(Person.phone, Person.id).where(Person.id > before))
    by_phone = {phone: pid for phone, pid in found.tuples()}
    return [by_phone[r["phone"]] for r in rows]


async def build_demo_province(
    session: AsyncSession, *, seed: int = 2025, members_per_unit: int = 2
) -> DemoProvince:
    rng = random.Random(seed)
    province = next(p for p in Province.iter_all() if p.codename == PROVINCE_CODENAME)
    wards = list(Ward.iter_by_province(province.code))
    plan = _plan(wards, rng)

    root_id = (await _insert_units(session, [_row(plan, None, 0)], {plan.code: "/"}))[plan.code]
    root_path = f"/{root_id}/"
    upper_rows = [_row(u, root_id, 1) for u in plan.children]
    upper_ids = await _insert_units(session, upper_rows, {u.code: root_path for u in plan.children})
    leaf_rows: list[dict[str, Any]] = []
    leaf_parent_path: dict[str, str] = {}
    for u in plan.children:
        for c in u.children:
            leaf_rows.append(_row(c, upper_ids[u.code], 2))
            leaf_parent_path[c.code] = f"{root_path}{upper_ids[u.code]}/"
    await _insert_units(session, leaf_rows, leaf_parent_path)

    names = NameMaker(rng)
    people: list[dict[str, Any]] = []
    roles: list[tuple[int, str, Role, str | None]] = []  # (person index, unit code, role, department)

    def person(role: Role, unit_code: str, department: str | None = None) -> None:
        people.append({"full_name": names.full_name(), "phone": names.phone(), "is_active": True})
        roles.append((len(people) - 1, unit_code, role, department))

    person(Role.approver, plan.code)
    for dept in Department:
        person(Role.officer, plan.code, dept.value)
    for u in plan.children:
        person(Role.officer, u.code, Department.propaganda.value)
        person(Role.officer, u.code, Department.office.value)
        for c in u.children:
            person(Role.leader, c.code)
            for _ in range(members_per_unit):
                person(Role.member, c.code)
    person_ids = await _insert_people(session, people)

    units = {u.code: u for u in await _load_units(session, root_path)}
    await session.execute(
        insert(RoleAssignment),
        [
            {"person_id": person_ids[i], "unit_id": units[code].id, "role": role.value, "department": dept}
            for i, code, role, dept in roles
        ],
    )
    persons = {p.id: p for p in await _load_people(session, person_ids)}
    officers: dict[int, list[Person]] = {}
    leaders: dict[int, Person] = {}
    members: list[Person] = []
    for i, code, role, _ in roles:
        p, unit = persons[person_ids[i]], units[code]
        if role is Role.officer:
            officers.setdefault(unit.id, []).append(p)
        elif role is Role.leader:
            leaders[unit.id] = p
        elif role is Role.member:
            members.append(p)
    uppers = [units[u.code] for u in plan.children]
    grassroots = [units[c.code] for u in plan.children for c in u.children]
    block_groups = [
        (units[u.code], block)
        for u in plan.children
        for block in sorted({c.block for c in u.children if c.block})
    ]
    return DemoProvince(
        root=units[plan.code],
        upper_unions=uppers,
        grassroots=grassroots,
        officers=officers,
        leaders=leaders,
        members=members,
        block_groups=block_groups,
        wards=[w.name for w in wards],
    )


async def _load_units(session: AsyncSession, root_path: str) -> list[OrgUnit]:
    return list(await session.scalars(select(OrgUnit).where(under(session, root_path))))


async def _load_people(session: AsyncSession, ids: list[int]) -> list[Person]:
    found: list[Person] = []
    for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
        found += await session.scalars(select(Person).where(Person.id.in_(ids[start : start + 500])))
    return found
