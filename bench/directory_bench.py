"""National-scale directory benchmark: ~150,000 units and ~1,000,000 people.

    python -m bench.directory_bench [--units 150000 --people 1000000] [--database-url URL] [--reset]

Builds a freshly migrated database (SQLite file by default; PostgreSQL with --database-url, whose
public schema is dropped and rebuilt only with --reset), bulk-loads a generated tree shaped like the
real one (provinces, upper-level unions, CĐCS, union groups; some provinces without a district level),
then times subtree queries for the root and for one province, a subtree move, and reports peak RSS.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from directory import tree
from directory.models import OrgUnit, Person, RoleAssignment
from storage.db import Database, create_engine
from storage.migrate import upgrade

BATCH = 10_000
PROVINCES = 34  # after the 2025 merger of provinces
BLOCKS = ["co_quan", "xa_phuong", "truong_hoc", "doanh_nghiep", "y_te"]
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Ngọc", "Quốc"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Hoa", "Lan", "Mai", "Nam", "Phúc", "Quân", "Sơn", "Tâm", "Yến"]
NOW = datetime(2026, 1, 1, tzinfo=UTC)
UPPER_UNITS = 1 + PROVINCES + 20 + PROVINCES * 25  # root, provinces, sectors, upper-level unions
MIN_UNITS = UPPER_UNITS + 100

UnitRow = dict[str, Any]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def generate_units(total: int, rng: random.Random) -> Iterator[UnitRow]:
    """Yields units parents-first with pre-assigned ids, so paths are known without a round trip."""
    next_id = 1

    def unit(code: str, name: str, kind: str, parent: UnitRow | None, block: str | None = None) -> UnitRow:
        nonlocal next_id
        uid, next_id = next_id, next_id + 1
        path = f"{parent['path'] if parent else '/'}{uid}/"
        return {
            "id": uid, "code": code, "name": name, "kind": kind, "block": block,
            "member_count": rng.randint(15, 900) if kind == "grassroots_union" else 0, "is_active": True,
            "parent_id": parent["id"] if parent else None, "path": path,
            "depth": parent["depth"] + 1 if parent else 0, "merged_into_id": None,
            "created_at": NOW, "updated_at": NOW,
        }  # fmt: skip

    root = unit("TLD", "Tổng Liên đoàn Lao động Việt Nam", "confederation", None)
    yield root
    provinces = [
        unit(f"T{p:02d}", f"LĐLĐ tỉnh {p:02d}", "province_federation", root) for p in range(PROVINCES)
    ]
    sectors = [
        unit(f"N{s:02d}", f"Công đoàn ngành Trung ương {s:02d}", "sector_union", root) for s in range(20)
    ]
    yield from provinces
    yield from sectors
    uppers: list[UnitRow] = []
    for province in provinces:
        flat = rng.random() < 0.4  # the 2025 restructuring removed the district level here
        for u in range(25):
            kind = "sector_union" if u < 5 or flat else "district_federation"
            uppers.append(unit(f"{province['code']}-U{u:02d}", f"Công đoàn cấp trên {u:02d}", kind, province))
    yield from uppers
    parents = uppers + sectors
    remaining = total - next_id + 1
    grassroots = int(remaining * 0.8)
    for g in range(grassroots):
        parent = parents[g % len(parents)]
        cdcs = unit(f"CS{g:06d}", f"CĐCS {g:06d}", "grassroots_union", parent, BLOCKS[g % len(BLOCKS)])
        yield cdcs
        if next_id <= total and g % 4 == 0:
            yield unit(f"TO{g:06d}", f"Tổ công đoàn {g:06d}", "union_group", cdcs)
    while next_id <= total:
        yield unit(f"TOX{next_id:07d}", "Tổ công đoàn bổ sung", "union_group", rng.choice(parents))


def generate_people(
    count: int, grassroots_ids: list[int], rng: random.Random
) -> Iterator[tuple[UnitRow, UnitRow]]:
    for pid in range(1, count + 1):
        name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        person = {
            "id": pid, "full_name": name, "phone": f"+849{pid:08d}", "telegram_user_id": None,
            "telegram_username": None, "login": None, "password_hash": None, "is_active": True,
            "created_at": NOW, "updated_at": NOW,
        }  # fmt: skip
        leader = pid <= len(grassroots_ids)
        unit_id = grassroots_ids[pid - 1] if leader else grassroots_ids[pid % len(grassroots_ids)]
        role = {
            "id": pid, "person_id": pid, "unit_id": unit_id, "role": "leader" if leader else "member",
            "department": None, "created_at": NOW,
        }  # fmt: skip
        yield person, role


async def bulk_insert(conn: AsyncConnection, table: Any, rows: list[UnitRow], *, postgres: bool) -> None:
    """PostgreSQL: binary COPY through asyncpg; SQLite: one executemany per batch."""
    if not rows:
        return
    if postgres:
        raw = (await conn.get_raw_connection()).driver_connection
        columns = list(rows[0])
        assert raw is not None
        await raw.copy_records_to_table(
            table.name, records=[tuple(r[c] for c in columns) for r in rows], columns=columns
        )
    else:
        await conn.execute(insert(table), rows)


async def load(engine: AsyncEngine, units: int, people: int, postgres: bool) -> dict[str, float]:
    rng = random.Random(20250701)
    grassroots: list[int] = []
    started = time.perf_counter()
    async with engine.begin() as conn:
        batch: list[UnitRow] = []
        for row in generate_units(units, rng):
            if row["kind"] == "grassroots_union":
                grassroots.append(row["id"])
            batch.append(row)
            if len(batch) >= BATCH:
                await bulk_insert(conn, OrgUnit.__table__, batch, postgres=postgres)
                batch = []
        await bulk_insert(conn, OrgUnit.__table__, batch, postgres=postgres)
    units_done = time.perf_counter()
    async with engine.begin() as conn:
        people_batch: list[UnitRow] = []
        roles_batch: list[UnitRow] = []
        for person, role in generate_people(people, grassroots, rng):
            people_batch.append(person)
            roles_batch.append(role)
            if len(people_batch) >= BATCH:
                await bulk_insert(conn, Person.__table__, people_batch, postgres=postgres)
                await bulk_insert(conn, RoleAssignment.__table__, roles_batch, postgres=postgres)
                people_batch, roles_batch = [], []
        await bulk_insert(conn, Person.__table__, people_batch, postgres=postgres)
        await bulk_insert(conn, RoleAssignment.__table__, roles_batch, postgres=postgres)
        if postgres:
            for table in ("org_units", "people", "role_assignments"):
                sql = f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
                await conn.execute(text(sql))
    people_done = time.perf_counter()
    async with engine.begin() as conn:
        await conn.execute(text("ANALYZE"))
    return {
        "import_units_s": round(units_done - started, 2),
        "import_people_and_roles_s": round(people_done - units_done, 2),
        "analyze_s": round(time.perf_counter() - people_done, 2),
        "import_total_s": round(time.perf_counter() - started, 2),
    }


async def timed(runs: int, make: Any) -> tuple[float, float, int]:
    """(first run s, median of the rest s, rows)."""
    times: list[float] = []
    rows = 0
    for _ in range(runs):
        started = time.perf_counter()
        rows = await make()
        times.append(time.perf_counter() - started)
    rest = times[1:] or times
    return round(times[0], 4), round(statistics.median(rest), 4), rows


async def measure(db: Database, postgres: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    async with db.transaction() as session:
        root = (await tree.root_units(session))[0]
        province_id = await session.scalar(
            select(OrgUnit.parent_id)
            .where(OrgUnit.kind == "sector_union", OrgUnit.depth == 2)
            .group_by(OrgUnit.parent_id)
            .order_by(func.count().desc())
            .limit(1)
        )
        province = await tree.get_unit(session, unit_id=int(province_id or root.id))
        for label, unit in (("root", root), ("province", province)):
            first, warm, count = await timed(4, lambda u=unit: _count(tree.subtree_ids(session, path=u.path)))
            out[f"subtree_ids_{label}"] = {"units": count, "first_s": first, "median_s": warm}
            first, warm, count = await timed(3, lambda u=unit: _rows(session, u.path))
            out[f"subtree_rows_{label}"] = {"units": count, "first_s": first, "median_s": warm}
        first, warm, count = await timed(2, lambda: _count(tree.subtree(session, unit=root)))
        out["subtree_orm_objects_root"] = {"units": count, "first_s": first, "median_s": warm}
        if postgres:
            plan = await session.execute(
                text("EXPLAIN SELECT id FROM org_units WHERE path LIKE :p"), {"p": province.path + "%"}
            )
            out["province_plan"] = " | ".join(r[0].strip() for r in plan)[:300]
    async with db.transaction() as session:
        upper = await session.scalar(
            select(OrgUnit).where(OrgUnit.kind == "district_federation").order_by(OrgUnit.id).limit(1)
        )
        assert upper is not None
        target = await session.scalar(
            select(OrgUnit)
            .where(OrgUnit.kind == "province_federation", OrgUnit.id != upper.parent_id)
            .order_by(OrgUnit.id.desc())
            .limit(1)
        )
        assert upper is not None and target is not None
        size = len(await tree.subtree_ids(session, path=upper.path))
        started = time.perf_counter()
        await tree.move_unit(session, actor="bench", unit=upper, new_parent=target)
        out["move_upper_union_subtree"] = {"units": size, "s": round(time.perf_counter() - started, 4)}
    return out


async def _count(awaitable: Any) -> int:
    return len(await awaitable)


async def _rows(session: Any, path: str) -> int:
    result = await session.execute(
        select(OrgUnit.id, OrgUnit.code, OrgUnit.name, OrgUnit.kind, OrgUnit.parent_id, OrgUnit.depth).where(
            tree.under(session, path), OrgUnit.is_active.is_(True)
        )
    )
    return len(result.all())


async def prepare(url: str, reset: bool) -> None:
    if url.startswith("sqlite"):
        file = Path(url.split("///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(str(file) + suffix).unlink(missing_ok=True)
    engine = create_engine(url)
    try:
        if not url.startswith("sqlite"):
            async with engine.connect() as conn:
                count = await conn.scalar(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"))
            if count and not reset:
                raise SystemExit("The database is not empty; pass --reset to drop its public schema.")
            async with engine.begin() as conn:
                await conn.execute(text("DROP SCHEMA public CASCADE"))
                await conn.execute(text("CREATE SCHEMA public"))
        await upgrade(engine)
    finally:
        await engine.dispose()


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    from config.settings import Settings

    url: str = args.database_url
    postgres = not url.startswith("sqlite")
    if not args.reuse:
        await prepare(url, args.reset)
    db = Database(Settings(_env_file=None, database_url=url))
    try:
        figures: dict[str, Any] = {"reused_existing_data": True}
        if not args.reuse:
            figures = await load(db.engine, args.units, args.people, postgres)
        figures["peak_rss_after_import_mb"] = round(peak_rss_mb(), 1)
        figures.update(await measure(db, postgres))
    finally:
        await db.dispose()
    return {
        "backend": "postgresql" if postgres else "sqlite",
        "units": args.units,
        "people": args.people,
        **figures,
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "python": sys.version.split()[0],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.directory_bench", description=__doc__)
    parser.add_argument("--units", type=int, default=150_000)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="sqlite+aiosqlite:////tmp/loa-directory-bench.db")
    parser.add_argument("--reset", action="store_true", help="PostgreSQL: drop and rebuild the public schema")
    parser.add_argument(
        "--reuse", action="store_true", help="skip the import: measure a database built before"
    )
    args = parser.parse_args(argv)
    if args.units < MIN_UNITS:  # the confederation, provinces, sectors and upper unions come first
        parser.error(f"--units must be at least {MIN_UNITS} (the fixed upper levels take {UPPER_UNITS})")
    print(json.dumps(asyncio.run(main_async(args)), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
