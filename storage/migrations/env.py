"""Alembic environment. Loa always hands Alembic an open connection (see storage.migrate)."""

from __future__ import annotations

from alembic import context

from storage.all_models import load_all_models

config = context.config
target_metadata = load_all_models()


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Leave SQLite's FTS5 search tables (created by raw SQL in 0005_archive) out of autogenerate."""
    return not (name or "").startswith("document_fts")


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("Run migrations with `loa migrate` (storage.migrate), not the alembic CLI.")
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
