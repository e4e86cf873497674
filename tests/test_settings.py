from __future__ import annotations

import pytest
from pydantic import ValidationError

from config.settings import Environment, Settings, UnsafeSettingsError


def make(**kw: object) -> Settings:
    return Settings(_env_file=None, **kw)  # type: ignore[arg-type]


def test_defaults_are_sqlite_in_process_and_vietnamese(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("LOA_DATABASE_URL", "LOA_REDIS_URL"):
        monkeypatch.delenv(var, raising=False)
    s = make()
    assert s.database_url.startswith("sqlite+aiosqlite:///")
    assert s.redis_url is None and not s.uses_redis
    assert s.timezone == "Asia/Ho_Chi_Minh" and s.locale == "vi"


def test_environment_prefix_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOA_API_PORT", "9123")
    monkeypatch.setenv("LOA_WEBHOOK_SECRET", "s3cret-s3cret-s3cret")
    s = make()
    assert s.api_port == 9123
    assert s.webhook_secret is not None
    assert "s3cret" not in repr(s) and "s3cret" not in str(s.model_dump())


def test_production_refuses_webhook_without_secret() -> None:
    with pytest.raises(ValidationError) as info:
        make(
            environment=Environment.production,
            telegram_token="123:real",
            webhook_url="https://loa.example.vn",
            jwt_secret="x" * 40,
        )
    assert isinstance(info.value.errors()[0]["ctx"]["error"], UnsafeSettingsError)
    assert "LOA_WEBHOOK_SECRET" in str(info.value)


def test_production_accepts_safe_settings() -> None:
    s = make(
        environment=Environment.production,
        telegram_token="123:real",
        webhook_url="https://loa.example.vn",
        webhook_secret="a-long-random-webhook-secret",
        jwt_secret="y" * 40,
    )
    assert s.webhook_enabled


def test_unknown_time_zone_is_rejected() -> None:
    with pytest.raises(ValidationError, match="unknown time zone"):
        make(timezone="Mars/Olympus")
