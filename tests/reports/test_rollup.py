"""Roll-up, completeness, timeliness and ranking on a three-level tree, against figures worked by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from reports.models import ReportRound
from reports.rollup import RollupGroup, completeness, missing_units, ranking, rollup, totals
from reports.services import form_of_round, submit
from storage.db import Database
from tests.reports.factories import DEADLINE, NOW, Tree, round_for, template, tree

ROWS = {  # unit: (typed values, submitted late?)
    "G1": ({"tt": "100", "kn": "10", "ntg": "50", "tl": "40%", "hd": "có"}, False),
    "G2": ({"tt": "200", "kn": "20", "ntg": "150", "tl": "60", "hd": "không"}, True),
    "G3": ({"tt": "1.000", "kn": "5", "ntg": "300 người"}, False),
    "G5": ({"tt": "50", "kn": "khoảng 7", "ntg": "10", "tl": "80", "hd": "x"}, False),
}  # G4 never answers


async def filled(session: AsyncSession) -> tuple[Tree, ReportRound]:
    t = await tree(session)
    r = await round_for(session, t, await template(session))
    for code, (raw, late) in ROWS.items():
        when = DEADLINE + timedelta(hours=2) if late else NOW
        await submit(session=session, round_id=r.id, unit_id=t.g[code].id, raw=raw, now=when)
    # a correction: G3 first typed a wrong total, the latest revision must be the one counted
    await submit(
        session=session, round_id=r.id, unit_id=t.g["G3"].id, raw={**ROWS["G3"][0], "tt": "900"}, now=NOW
    )
    await submit(session=session, round_id=r.id, unit_id=t.g["G3"].id, raw=ROWS["G3"][0], now=NOW)
    return t, r


def values(groups: list[RollupGroup], group: str | None = None) -> dict[str, float | None]:
    [g] = [g for g in groups if g.group == group]
    return {k: f.value for k, f in g.fields.items()}


async def test_rollup_of_the_province_and_of_a_district(db: Database) -> None:
    async with db.transaction() as session:
        t, r = await filled(session)
        form = await form_of_round(session=session, round_=r)
        province = await rollup(session=session, round_id=r.id, form=form, root_path=t.p.path)
        assert values(province) == {"tt": 1350, "kn": 42, "ntg": 510, "tl": pytest.approx(60), "hd": 2}
        assert province[0].units == 4
        district = await rollup(session=session, round_id=r.id, form=form, root_path=t.d1.path)
        assert values(district) == {"tt": 300, "kn": 30, "ntg": 200, "tl": pytest.approx(50), "hd": 1}
        sector = await rollup(session=session, round_id=r.id, form=form, root_path=t.s1.path)
        assert values(sector) == {"tt": 1000, "kn": 5, "ntg": 300}


async def test_rollup_by_block_and_by_kind(db: Database) -> None:
    async with db.transaction() as session:
        t, r = await filled(session)
        form = await form_of_round(session=session, round_=r)
        by_block = await rollup(
            session=session, round_id=r.id, form=form, root_path=t.p.path, group_by="block"
        )
        assert {g.group: g.fields["tt"].value for g in by_block} == {
            "co_quan": 100,
            "truong_hoc": 200,
            "doanh_nghiep": 1000,
            "xa_phuong": 50,
        }
        by_kind = await rollup(session=session, round_id=r.id, form=form, root_path=t.p.path, group_by="kind")
        assert values(by_kind, "grassroots_union")["kn"] == 42


async def test_completeness_and_timeliness_per_child_unit(db: Database) -> None:
    async with db.transaction() as session:
        t, r = await filled(session)
        rows = await completeness(session=session, round_=r, parent=t.p)
        assert [(c.code, c.expected, c.submitted, c.on_time) for c in rows] == [
            ("D1", 2, 2, 1),
            ("G5", 1, 1, 1),
            ("S1", 2, 1, 1),
        ]
        d1 = rows[0]
        assert (d1.completeness, d1.timeliness) == (1.0, 0.5)
        inner = await completeness(session=session, round_=r, parent=t.d1)
        assert [(c.code, c.submitted, c.on_time) for c in inner] == [("G1", 1, 1), ("G2", 1, 0)]
        whole = await totals(session=session, round_=r, root_path=t.p.path)
        assert (whole.expected, whole.submitted, whole.on_time) == (5, 4, 3)
        assert [u.code for u in await missing_units(session=session, round_id=r.id, root_path=t.p.path)] == [
            "G4"
        ]
        assert await missing_units(session=session, round_id=r.id, root_path=t.d1.path) == []


async def test_yearly_ranking(db: Database) -> None:
    async with db.transaction() as session:
        t, _ = await filled(session)
        december = DEADLINE + timedelta(days=30)
        r2 = await round_for(
            session, t, await template(session), deadline=december, now=december - timedelta(days=5)
        )
        for code in ("G1", "G4"):
            await submit(
                session=session,
                round_id=r2.id,
                unit_id=t.g[code].id,
                raw=ROWS["G1"][0],
                now=december - timedelta(days=1),
            )
        rows = await ranking(
            session=session,
            root_path=t.p.path,
            year_start=datetime(2025, 12, 31, 17, tzinfo=UTC),
            year_end=datetime(2026, 12, 31, 17, tzinfo=UTC),
        )
        assert [(x.rank, x.code, x.expected, x.submitted, x.on_time) for x in rows] == [
            (1, "G1", 2, 2, 2),
            (2, "G3", 2, 1, 1),
            (2, "G4", 2, 1, 1),
            (2, "G5", 2, 1, 1),
            (5, "G2", 2, 1, 0),
        ]
