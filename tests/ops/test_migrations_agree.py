"""Models and migrations agree: autogenerate finds nothing to write, on SQLite and on PostgreSQL;
and the Alembic CLI works from the repository root as the README documents."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from storage.db import Database
from storage.migrate import head_revisions, model_differences

ROOT = Path(__file__).resolve().parents[2]


async def test_autogenerate_finds_no_difference(db: Database) -> None:
    assert await model_differences(db.engine) == []


def test_alembic_cli_reads_the_root_ini(database_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "LOA_DATABASE_URL": database_url}
    alembic = Path(sys.executable).with_name("alembic")
    heads = subprocess.run(  # noqa: S603 (our own alembic script)
        [str(alembic), "-c", str(ROOT / "alembic.ini"), "heads"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert heads.returncode == 0, heads.stderr
    assert heads.stdout.split()[0] in head_revisions() and heads.stdout.count("(head)") == 1
    current = subprocess.run(  # noqa: S603
        [str(alembic), "-c", str(ROOT / "alembic.ini"), "current"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert current.returncode == 0, current.stderr
    assert current.stdout.split()[0] in head_revisions()
