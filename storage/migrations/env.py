"""Alembic environment.

`loa migrate` (storage.migrate) hands Alembic an open connection. The Alembic CLI (`alembic -c
alembic.ini …` from the repository root) has none: it then connects to LOA_DATABASE_URL itself.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from storage.all_models import load_all_models
from storage.migrate import include_object

config = context.config
target_metadata = load_all_models()


def run_with_own_engine() -> None:
    from config.settings import load_settings
    from storage.db import create_engine

    async def go() -> None:
        engine = create_engine(load_settings().database_url)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(run_on)
        finally:
            await engine.dispose()

    asyncio.run(go())


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        run_with_own_engine()
        return
    run_on(connection)


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("Offline migrations are not supported.")
run_migrations_online()
