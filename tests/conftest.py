"""Shared fixtures: a real database (SQLite by default, PostgreSQL when LOA_DATABASE_URL says so),
real Redis when LOA_REDIS_URL is set, and settings built for tests.

The schema is built once per session through the real migrations; each test then starts from empty
tables (SQLite: a copy of the migrated file; PostgreSQL: TRUNCATE).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from config.settings import Environment, Settings
from storage.db import Database, create_engine
from storage.migrate import upgrade

SEED_TABLES = {"alembic_version", "blocks"}
IN_CI = os.environ.get("CI", "").lower() == "true"


# Under pytest-xdist each worker process gets its own PostgreSQL database (`<name>_gw0`, created on
# demand) and its own Redis database number, so parallel workers never truncate or flush each other's.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
_WORKER_INDEX = int(_WORKER[2:]) if _WORKER.startswith("gw") and _WORKER[2:].isdigit() else None


def _external_db_url() -> str | None:
    url = os.environ.get("LOA_DATABASE_URL") or None
    if url is None or _WORKER_INDEX is None or url.startswith("sqlite"):
        return url
    base, _, name = url.rpartition("/")
    return f"{base}/{name}_{_WORKER}"


def _external_redis_url() -> str | None:
    url = os.environ.get("LOA_REDIS_URL") or None
    if url is None or _WORKER_INDEX is None:
        return url
    base, _, db = url.rpartition("/")
    number = int(db) if db.isdigit() else 0
    return f"{base}/{number + 1 + _WORKER_INDEX}"


async def _ensure_postgres_database(url: str) -> None:
    """Creates the worker's database if it does not exist yet (connected to the server's `postgres`)."""
    import asyncpg

    plain = url.replace("postgresql+asyncpg://", "postgresql://")
    base, _, name = plain.rpartition("/")
    conn = await asyncpg.connect(f"{base}/postgres")
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _reset_postgres(url: str) -> None:
    if _WORKER_INDEX is not None:
        await _ensure_postgres_database(url)
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await upgrade(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Migrate a database once; returns its URL (PostgreSQL) or the template file path (SQLite)."""
    url = _external_db_url()
    if url and not url.startswith("sqlite"):
        try:
            asyncio.run(_reset_postgres(url))
        except OSError as exc:
            pytest.fail(f"PostgreSQL at LOA_DATABASE_URL is not reachable: {exc}", pytrace=False)
        return url
    template = tmp_path_factory.mktemp("db") / "template.db"

    async def build() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{template}")
        try:
            await upgrade(engine)
            async with engine.begin() as conn:
                await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        finally:
            await engine.dispose()

    asyncio.run(build())
    return str(template)


@pytest.fixture
def database_url(migrated_database: str, tmp_path: Path) -> Iterator[str]:
    if migrated_database.startswith("postgresql"):
        asyncio.run(_truncate_postgres(migrated_database))
        yield migrated_database
        return
    target = tmp_path / "loa.db"
    shutil.copyfile(migrated_database, target)
    yield f"sqlite+aiosqlite:///{target}"


async def _truncate_postgres(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            rows = await conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
            tables = [r[0] for r in rows if r[0] not in SEED_TABLES]
            if tables:
                quoted = ", ".join(f'"{t}"' for t in tables)
                await conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


@pytest.fixture
def redis_url() -> Iterator[str | None]:
    url = _external_redis_url()
    if url is None:
        yield None
        return
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    except redis.ConnectionError as exc:
        pytest.fail(f"Redis at LOA_REDIS_URL is not reachable: {exc}", pytrace=False)
    yield url
    client.flushdb()
    client.close()


@pytest.fixture
def make_settings(database_url: str, redis_url: str | None) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "environment": Environment.test,
            "database_url": database_url,
            "redis_url": redis_url,
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)

    return make


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings)
    yield database
    await database.dispose()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if IN_CI and session.testscollected == 0:
        session.exitstatus = 1


# --- the Telegram sandbox and the real bot running against it -------------------------------------


@pytest.fixture
async def sandbox() -> AsyncIterator[Any]:
    from sandbox.server import SandboxServer

    async with SandboxServer(dev_webhooks=True) as server:
        yield server


@pytest.fixture
def harness_factory(make_settings: Callable[..., Settings], sandbox: Any) -> Callable[..., Any]:
    from tests.harness import BotHarness

    def make(mode: str = "polling", **overrides: Any) -> BotHarness:
        return BotHarness(make_settings, sandbox, mode=mode, **overrides)  # type: ignore[arg-type]

    return make


@pytest.fixture(params=["polling", "webhook"])
async def running_bot(
    request: pytest.FixtureRequest, harness_factory: Callable[..., Any]
) -> AsyncIterator[Any]:
    """The real bot in each run mode; tests using it run twice."""
    async with harness_factory(request.param) as harness:
        yield harness
