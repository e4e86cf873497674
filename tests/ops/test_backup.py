"""`loa backup` during activity, `loa restore`, and the service starts on the restored database with
everything committed before the backup began (and nothing torn)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import Loa
from bot.cli import main
from config.settings import Environment, Settings
from directory.models import Person
from storage.backup import backup
from storage.db import Database
from storage.migrate import upgrade


async def wait_for(predicate: object, timeout: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_backup_during_writes_restores_to_a_consistent_point_the_service_starts_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    live = tmp_path / "live" / "loa.db"
    live.parent.mkdir()
    settings = Settings(
        _env_file=None, environment=Environment.test, database_url=f"sqlite+aiosqlite:///{live}"
    )
    db = Database(settings)
    await upgrade(db.engine)
    committed = 0
    stop = asyncio.Event()

    async def writer() -> None:  # ten people per transaction, numbered in commit order
        nonlocal committed
        while not stop.is_set():
            async with db.transaction() as session:
                session.add_all(
                    [Person(full_name=f"Đoàn viên {committed + k:06d}", is_active=True) for k in range(10)]
                )
            committed += 10
            await asyncio.sleep(0)

    task = asyncio.create_task(writer())
    try:
        await wait_for(lambda: committed >= 300)
        before = committed
        copy = tmp_path / "backups" / "loa-backup.db"
        assert await asyncio.to_thread(backup, live, copy) > 0
        after = committed
        await wait_for(lambda: committed >= after + 100)  # the service kept writing
    finally:
        stop.set()
        await task
        await db.dispose()

    restored = tmp_path / "restored" / "loa.db"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOA_DATABASE_URL", f"sqlite+aiosqlite:///{restored}")
    assert await asyncio.to_thread(main, ["restore", str(copy)]) == 0  # the CLI runs its own loop
    assert "Đã khôi phục" in capsys.readouterr().out

    loa = await Loa.create(settings.model_copy(update={"database_url": f"sqlite+aiosqlite:///{restored}"}))
    try:
        async with loa.db.sessions() as session:
            names = list((await session.scalars(select(Person.full_name).order_by(Person.id))).all())
    finally:
        await loa.close()
    assert before <= len(names) <= after
    assert len(names) % 10 == 0, "a transaction is in the backup whole or not at all"
    assert names == [f"Đoàn viên {i:06d}" for i in range(len(names))]


def test_cli_backup_and_refusals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOA_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/loa.db")
    assert main(["migrate"]) == 0
    assert main(["backup", str(tmp_path / "b" / "copy.db")]) == 0
    assert "Đã sao lưu" in capsys.readouterr().out
    assert (tmp_path / "b" / "copy.db").exists()

    garbage = tmp_path / "not-a-backup.db"
    garbage.write_bytes(b"hello" * 100)
    assert main(["restore", str(garbage)]) == 2
    assert "không phải tệp sao lưu" in capsys.readouterr().err

    monkeypatch.setenv("LOA_DATABASE_URL", "postgresql+asyncpg://loa@db/loa")
    assert main(["backup", str(tmp_path / "x.db")]) == 2
    assert "pg_dump" in capsys.readouterr().err
