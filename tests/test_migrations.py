from __future__ import annotations

import pytest
from sqlalchemy import text

from storage.db import Database
from storage.migrate import SchemaOutdatedError, current_revisions, ensure_schema_current, head_revisions


async def test_migrated_database_is_current(db: Database) -> None:
    await ensure_schema_current(db.engine)
    assert await current_revisions(db.engine) == head_revisions()


async def test_outdated_schema_is_refused_and_names_the_command(tmp_path: object) -> None:
    from config.settings import Settings

    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path}/empty.db")
    database = Database(settings)
    try:
        with pytest.raises(SchemaOutdatedError, match="loa migrate"):
            await ensure_schema_current(database.engine)
    finally:
        await database.dispose()


async def test_seeded_blocks_exist(db: Database) -> None:
    async with db.sessions() as session:
        codes = set((await session.execute(text("SELECT code FROM blocks"))).scalars())
    assert {"co_quan", "xa_phuong", "truong_hoc", "doanh_nghiep"} <= codes
