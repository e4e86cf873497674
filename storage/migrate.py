"""Schema management: the schema only ever changes through Alembic migrations."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class SchemaOutdatedError(RuntimeError):
    """The database is behind the code's migrations."""


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def _upgrade(connection: Connection, target: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, target)


def _current(connection: Connection) -> set[str]:
    return set(MigrationContext.configure(connection).get_current_heads())


async def upgrade(engine: AsyncEngine, target: str = "heads") -> None:
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade, target)


async def current_revisions(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return await conn.run_sync(_current)


async def ensure_schema_current(engine: AsyncEngine) -> None:
    current = await current_revisions(engine)
    heads = head_revisions()
    if current != heads:
        have = ", ".join(sorted(current)) or "none"
        raise SchemaOutdatedError(
            f"Database schema is outdated (at: {have}; code expects: {', '.join(sorted(heads))}). "
            "Run `loa migrate` first."
        )
