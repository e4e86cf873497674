"""Imports every model module so `Base.metadata` knows every table (for Alembic and tests)."""

from __future__ import annotations

from sqlalchemy import MetaData

from storage.base import Base


def load_all_models() -> MetaData:
    import archive.models
    import archive.tables  # noqa: F401
    import broadcasts.models  # noqa: F401
    import console.models  # noqa: F401
    import directory.models  # noqa: F401
    import outbox.models  # noqa: F401
    import reports.models  # noqa: F401
    import storage.runtime_models  # noqa: F401

    return Base.metadata
