"""Roll-up benchmark: one round over ~150,000 units × 20 fields, on SQLite or PostgreSQL.

    python -m bench.reports_bench                                   # SQLite, a temporary file
    python -m bench.reports_bench --database-url postgresql+asyncpg://postgres@127.0.0.1/loa_bench
    python -m bench.reports_bench --burst 2000 [--database-url URL]  # webhook burst (bench/reports_burst.py)
    python -m bench.reports_bench --burst 2000 --max-connections 1   # the same, delivered serially

The data are generated in SQL (1 province → 30 districts → 150,000 CĐCS, 95% of which submitted 20
figures each, i.e. ~2.85 million values). A PostgreSQL database must be a scratch one: the bench refuses
to run if it already holds units, and removes what it wrote when done. Prints one JSON object; targets:
roll-up < 1 s on PostgreSQL, < 5 s on SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, func, select, text

from config.settings import Environment, Settings
from directory.models import OrgUnit
from reports.models import PeriodKind, ReportRound
from reports.rollup import completeness, missing_units, rollup, totals
from reports.services import form_of_round, open_round, save_template
from storage.base import UTCDateTime, utcnow
from storage.db import Database
from storage.migrate import upgrade

DISTRICTS = 30
FIELDS = 20
FIRST_UNIT = 100
UNIT_COLUMNS = (
    "id, code, name, kind, block, member_count, is_active, parent_id, path, depth, created_at, updated_at"
)
# Generated SQL: every interpolated piece below is a constant of this module, never input.
PROVINCE_SQL = (
    f"INSERT INTO org_units ({UNIT_COLUMNS}) VALUES "  # noqa: S608
    "(1, 'BENCH-P', 'LĐLĐ tỉnh (bench)', 'province_federation', NULL, 0, true, NULL, '/1/', 0, :now, :now)"
)
DISTRICT_SQL = (
    f"INSERT INTO org_units ({UNIT_COLUMNS}) VALUES "  # noqa: S608
    "(:id, :code, :name, 'district_federation', NULL, 0, true, 1, :path, 1, :now, :now)"
)
GRASSROOTS_SQL = (  # 30 districts: grassroots unit g hangs under district 2 + g % 30
    # the parameter is cast: PostgreSQL would type a bare :first as text ("text + integer")
    "WITH RECURSIVE seq(g) AS (SELECT CAST(:first AS INTEGER) UNION ALL "
    "SELECT g + 1 FROM seq WHERE g < :last) "
    "INSERT INTO org_units (id, code, name, kind, block, member_count, is_active, parent_id, path, depth, "
    "created_at, updated_at) SELECT g, 'BENCH-G' || g, 'CĐCS số ' || g, 'grassroots_union', "
    "CASE g % 4 WHEN 0 THEN 'co_quan' WHEN 1 THEN 'xa_phuong' WHEN 2 THEN 'truong_hoc' "
    "ELSE 'doanh_nghiep' END, "
    "50, true, 2 + (g % 30), '/1/' || (2 + (g % 30)) || '/' || g || '/', 2, :now, :now FROM seq"
)
SUBMISSIONS_SQL = (
    "INSERT INTO report_submissions (round_id, unit_id, status, first_submitted_at, last_submitted_at, "
    "is_late, revision_count) SELECT :r, unit_id, 'submitted', :now, :now, (unit_id % 10 = 0), 1 "
    "FROM report_targets WHERE round_id = :r AND unit_id % 20 <> 7"
)
FIELD_ROWS = " UNION ALL ".join(f"SELECT 'f{i:02d}' AS k, {i} AS n" for i in range(1, FIELDS + 1))
VALUES_SQL = (
    f"WITH f AS ({FIELD_ROWS}) INSERT INTO report_values (round_id, unit_id, field_key, num_value) "  # noqa: S608
    "SELECT s.round_id, s.unit_id, f.k, (s.unit_id * 7 + f.n) % 100 FROM report_submissions s, f "
    "WHERE s.round_id = :r"
)


async def load(db: Database, units: int) -> dict[str, Any]:
    """Generate the tree, a template of 20 integer fields, an open round and the submissions, in SQL."""
    now = utcnow()
    when = bindparam("now", value=now, type_=UTCDateTime())
    async with db.transaction() as session:
        await session.execute(text(PROVINCE_SQL).bindparams(when))
        for d in range(2, 2 + DISTRICTS):
            params = {"id": d, "code": f"BENCH-D{d}", "name": f"LĐLĐ huyện {d}", "path": f"/1/{d}/"}
            await session.execute(text(DISTRICT_SQL).bindparams(when), params)
        last = FIRST_UNIT + units - 1
        await session.execute(text(GRASSROOTS_SQL).bindparams(when), {"first": FIRST_UNIT, "last": last})
    async with db.transaction() as session:
        fields = [
            {"key": f"f{i:02d}", "label": f"Chỉ tiêu {i}", "unit": "người"} for i in range(1, FIELDS + 1)
        ]
        template = await save_template(session=session, code="BENCH", name="Báo cáo bench", fields=fields)
        round_ = await open_round(
            session=session,
            template_id=template.id,
            period_kind=PeriodKind.month,
            deadline=now + timedelta(days=5),
            root_unit_id=1,
            target_kinds=["grassroots_union"],
            now=now,
        )
        round_id = round_.id
    async with db.transaction() as session:
        await session.execute(text(SUBMISSIONS_SQL).bindparams(when), {"r": round_id})
        await session.execute(text(VALUES_SQL), {"r": round_id})
    async with db.engine.begin() as conn:
        await conn.execute(text("ANALYZE"))
    return {"round_id": round_id}


async def timed(fn: Callable[[], Awaitable[Any]], repeat: int) -> dict[str, float]:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        await fn()
        runs.append(time.perf_counter() - started)
    return {
        "min_s": round(min(runs), 4),
        "median_s": round(statistics.median(runs), 4),
        "max_s": round(max(runs), 4),
    }


async def measure(db: Database, round_id: int, repeat: int) -> dict[str, Any]:
    async with db.sessions() as session:
        round_ = await session.get(ReportRound, round_id)
        root = await session.get(OrgUnit, 1)
        district = await session.get(OrgUnit, 2)
        assert round_ is not None and root is not None and district is not None
        form = await form_of_round(session=session, round_=round_)
        values = await session.scalar(select(func.count()).select_from(text("report_values")))
        check = await rollup(session=session, round_id=round_id, form=form, root_path=root.path)

        results = {
            "rollup_province": await timed(
                lambda: rollup(session=session, round_id=round_id, form=form, root_path=root.path), repeat
            ),
            "rollup_province_by_block": await timed(
                lambda: rollup(
                    session=session, round_id=round_id, form=form, root_path=root.path, group_by="block"
                ),
                repeat,
            ),
            "rollup_one_district": await timed(
                lambda: rollup(session=session, round_id=round_id, form=form, root_path=district.path), repeat
            ),
            "completeness_per_district": await timed(
                lambda: completeness(session=session, round_=round_, parent=root), repeat
            ),
            "totals_province": await timed(
                lambda: totals(session=session, round_=round_, root_path=root.path), repeat
            ),
            "missing_units_province": await timed(
                lambda: missing_units(session=session, round_id=round_id, root_path=root.path), repeat
            ),
        }
        return {
            "values_rows": values,
            "submitted_units": check[0].units,
            "f01_sum": check[0].fields["f01"].value,
            "timings": results,
        }


async def cleanup(db: Database) -> None:
    """Empty the scratch PostgreSQL database again (row-by-row deletes of 150,000 units would take long)."""
    async with db.transaction() as session:
        await session.execute(
            text(
                "TRUNCATE report_values, report_submissions, report_targets, report_messages,"
                " report_revisions, report_rounds, report_schedules, report_templates, org_units CASCADE"
            )
        )


async def main(database_url: str | None, units: int, repeat: int) -> dict[str, Any]:
    tmp: tempfile.TemporaryDirectory[str] | None = None
    if database_url is None:
        tmp = tempfile.TemporaryDirectory(prefix="loa-bench-")
        database_url = f"sqlite+aiosqlite:///{Path(tmp.name) / 'bench.db'}"
    settings = Settings(_env_file=None, environment=Environment.development, database_url=database_url)
    db = Database(settings)
    try:
        await upgrade(db.engine)
        async with db.sessions() as session:
            if await session.scalar(select(func.count()).select_from(OrgUnit)):
                raise SystemExit("the bench needs an empty scratch database (org_units is not empty)")
        started = time.perf_counter()
        loaded = await load(db, units)
        load_s = time.perf_counter() - started
        try:
            measured = await measure(db, loaded["round_id"], repeat)
        finally:
            if not settings.is_sqlite:
                await cleanup(db)
        rollup_s = measured["timings"]["rollup_province"]["median_s"]
        target = 5.0 if settings.is_sqlite else 1.0
        return {
            "bench": "reports.rollup",
            "backend": db.engine.dialect.name,
            "units": units + DISTRICTS + 1,
            "fields": FIELDS,
            "load_s": round(load_s, 2),
            **measured,
            "target_s": target,
            "within_target": rollup_s < target,
        }
    finally:
        await db.dispose()
        if tmp is not None:
            tmp.cleanup()


def cli() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--units", type=int, default=150_000, help="number of CĐCS (default 150000)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--burst", type=int, default=0, help="instead: N submissions through the webhook")
    parser.add_argument("--limits", action="store_true", help="with --burst: keep the sandbox flood limits")
    parser.add_argument(
        "--max-connections", type=int, default=None, help="with --burst: webhook connections (default 40)"
    )
    args = parser.parse_args()
    if args.burst:
        from bench.reports_burst import burst

        result = asyncio.run(burst(args.burst, args.database_url, args.limits, args.max_connections))
    else:
        result = asyncio.run(main(args.database_url, args.units, args.repeat))
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    cli()
