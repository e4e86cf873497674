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


def test_run_without_a_token_says_so_in_one_vietnamese_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LOA_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/x.db")
    monkeypatch.delenv("LOA_TELEGRAM_TOKEN", raising=False)
    monkeypatch.delenv("LOA_TELEGRAM_API_BASE", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    for environment in ("development", "production"):
        monkeypatch.setenv("LOA_ENVIRONMENT", environment)
        assert main(["run"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "LOA_TELEGRAM_TOKEN" in err and "chưa đặt" in err
        assert "Traceback" not in err


def test_webhook_bot_with_redis_needs_an_explicit_shared_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOA_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/x.db")
    monkeypatch.setenv("LOA_TELEGRAM_TOKEN", "123456:" + "A" * 35)
    monkeypatch.setenv("LOA_WEBHOOK_URL", "https://loa.example.vn")
    monkeypatch.setenv("LOA_REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.delenv("LOA_WEBHOOK_SECRET", raising=False)
    assert main(["run", "--role", "bot"]) == 2
    assert "LOA_WEBHOOK_SECRET" in capsys.readouterr().err


def test_default_database_lives_in_an_absolute_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from config.settings import Settings

    monkeypatch.delenv("LOA_DATABASE_URL", raising=False)
    monkeypatch.setenv("LOA_DATA_DIR", str(tmp_path / "data"))
    settings = Settings(_env_file=None)
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'data' / 'loa.db'}"
    monkeypatch.delenv("LOA_DATA_DIR")
    monkeypatch.chdir(tmp_path)
    default = Settings(_env_file=None)
    assert Path(default.database_url.removeprefix("sqlite+aiosqlite:///")).is_absolute()
    assert default.default_database


def test_migrate_creates_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("LOA_DATABASE_URL", raising=False)
    monkeypatch.setenv("LOA_DATA_DIR", str(tmp_path / "nested" / "data"))
    monkeypatch.chdir(tmp_path)
    assert main(["migrate"]) == 0
    assert (tmp_path / "nested" / "data" / "loa.db").exists()


def test_help_is_in_vietnamese(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "cập nhật cấu trúc cơ sở dữ liệu" in out and "chạy dịch vụ" in out


def test_long_listings_end_with_a_short_summary() -> None:
    from common.progress import summarize

    lines = [f"  + CĐCS-{i}" for i in range(20_041)]
    short = summarize(lines, limit=10, noun="đơn vị")
    assert len(short) == 11 and short[-1] == "  … và 20.031 đơn vị khác"
