"""Subtree conditions on the materialised path (`/1/7/42/`), written so each database can use its index.

PostgreSQL: `path LIKE '/1/7/%'` (the directory's index uses varchar_pattern_ops). SQLite's LIKE is
case-insensitive and cannot use an index, so there the same prefix is a range: paths end with '/', and
'0' is the character right after '/', so `/1/7/ <= path < /1/70` holds exactly the paths under `/1/7/`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, func
from sqlalchemy.ext.asyncio import AsyncSession


def dialect_of(session: AsyncSession) -> str:
    return session.bind.dialect.name


def under(column: Any, root: str | Any, dialect: str) -> ColumnElement[bool]:
    """`column` is `root` or a path below it; `root` is a path string or a path column."""
    if dialect != "sqlite":
        return column.like(root + "%")
    if isinstance(root, str):
        return and_(column >= root, column < root[:-1] + "0")
    return and_(column >= root, column < func.substr(root, 1, func.length(root) - 1).concat("0"))
