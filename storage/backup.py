"""Backup and restore of a SQLite database with SQLite's online backup API.

The backup API copies a consistent snapshot page by page while the service keeps writing (WAL mode),
so `loa backup` needs no downtime. A restore replaces the database's contents the same way, after
checking that the file is a Loa database; stop the service first. PostgreSQL is backed up with
`pg_dump`/`pg_restore` (see the README), which do the same job better than any wrapper here.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import make_url

Progress = Callable[[int, int], None]  # (pages copied, total pages)


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message is for the person at the terminal."""


def sqlite_file(database_url: str) -> Path:
    url = make_url(database_url)
    if not url.drivername.startswith("sqlite"):
        raise BackupError(
            "loa backup/restore chỉ dùng cho SQLite; với PostgreSQL hãy dùng pg_dump và pg_restore "
            "(xem README)."
        )
    if not url.database or url.database == ":memory:":
        raise BackupError("cơ sở dữ liệu SQLite trong bộ nhớ không sao lưu được.")
    return Path(url.database)


def _copy(source: sqlite3.Connection, target: sqlite3.Connection, progress: Progress | None) -> None:
    def report(status: int, remaining: int, total: int) -> None:
        if progress is not None:
            progress(total - remaining, total)

    source.backup(target, pages=4096, progress=report)


def backup(database: Path, destination: Path, progress: Progress | None = None) -> int:
    """Copy ``database`` to ``destination`` (written atomically); returns the size in bytes."""
    if not database.exists():
        raise BackupError(f"không thấy cơ sở dữ liệu {database}.")
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    with closing(sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)) as source:
        with closing(sqlite3.connect(partial)) as target:
            _copy(source, target, progress)
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    os.replace(partial, destination)
    return destination.stat().st_size


def check_backup(path: Path) -> str:
    """The Alembic revision the backup is at; refuses a file that is not a sound Loa database."""
    if not path.exists():
        raise BackupError(f"không thấy tệp sao lưu {path}.")
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            if conn.execute("PRAGMA integrity_check").fetchone() != ("ok",):
                raise BackupError(f"tệp sao lưu {path} bị hỏng.")
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} không phải tệp sao lưu của Loa ({exc}).") from None
    if row is None:
        raise BackupError(f"{path} không phải tệp sao lưu của Loa.")
    return str(row[0])


def restore(source: Path, database: Path, progress: Progress | None = None) -> str:
    """Replace ``database``'s contents with the backup ``source``; returns the backup's revision."""
    revision = check_backup(source)
    database.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)) as src:
        with closing(sqlite3.connect(database)) as target:
            _copy(src, target, progress)
            target.execute("PRAGMA journal_mode=WAL")
    return revision
