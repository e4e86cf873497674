"""Schema management: the schema only ever changes through Alembic migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Search objects created by raw SQL in 0005_archive, which no model describes: SQLite's FTS5 tables, and
# PostgreSQL's GIN and descending indexes (expression indexes autogenerate cannot render).
UNMODELLED_PREFIXES = ("document_fts",)
UNMODELLED_INDEXES = frozenset(
    {"ix_document_index_vector", "ix_document_index_head_vector", "ix_document_index_recent"}
)


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """What autogenerate compares: everything but the search objects no model describes."""
    if type_ == "index" and reflected and compare_to is None and name in UNMODELLED_INDEXES:
        return False
    return not (name or "").startswith(UNMODELLED_PREFIXES)


def _compare(connection: Connection) -> list[Any]:
    from storage.all_models import load_all_models

    context = MigrationContext.configure(
        connection,
        opts={"compare_type": True, "include_object": include_object, "target_metadata": load_all_models()},
    )
    return list(compare_metadata(context, load_all_models()))


async def model_differences(engine: AsyncEngine) -> list[Any]:
    """What `alembic revision --autogenerate` would write for this (migrated) database: [] when the
    models and the migrations agree."""
    async with engine.connect() as conn:
        return await conn.run_sync(_compare)


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
