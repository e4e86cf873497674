from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main


def test_run_refuses_an_outdated_schema_and_names_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LOA_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/fresh.db")
    monkeypatch.delenv("LOA_REDIS_URL", raising=False)
    assert main(["run", "--role", "api"]) == 2
    assert "loa migrate" in capsys.readouterr().err


def test_migrate_then_schema_is_current(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LOA_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/fresh.db")
    assert main(["migrate"]) == 0
    assert "revision" in capsys.readouterr().out
    assert main(["migrate"]) == 0, "migrating twice is harmless"


def test_production_with_unsafe_settings_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOA_ENVIRONMENT", "production")
    monkeypatch.setenv("LOA_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/x.db")
    monkeypatch.setenv("LOA_WEBHOOK_URL", "https://loa.example.vn")
    with pytest.raises(SystemExit, match="LOA_WEBHOOK_SECRET"):
        main(["migrate"])
