"""Logging (level, JSON, start-up line, no secrets) and metrics (outbox, messenger calls, update errors)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from aiogram.exceptions import TelegramRetryAfter
from aiogram.types import Update
from sqlalchemy import text

from bot.app import Loa
from bot.instrument import UpdateMetrics, instrument
from bot.logs import configure_logging, log_startup, startup_fields
from bot.metrics import Metrics
from bot.outbox_metrics import OutboxSpec, outbox_stats
from bot.retry import interactive_retry
from config.settings import Settings
from sandbox.client import SandboxClient
from storage.base import utcnow
from storage.db import Database

SECRET_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw-secret"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, labels)
    return value or 0.0


def test_json_log_lines_carry_fields_and_never_a_token(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", "json")
    log = logging.getLogger("loa.test")
    log.debug("not shown at INFO")
    log.warning("call to https://api.telegram.org/bot%s/getMe failed", SECRET_TOKEN, extra={"chat": 42})
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert len(lines) == 1
    [record] = lines
    assert record["level"] == "WARNING" and record["logger"] == "loa.test" and record["chat"] == 42
    assert SECRET_TOKEN not in record["message"] and "<token>" in record["message"]


def test_start_up_line_names_role_database_redis_and_mode_without_secrets(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(
        _env_file=None,
        database_url="postgresql+asyncpg://loa:db-password-1@db.internal/loa",
        redis_url="redis://:redis-password-2@cache:6379/0",
        telegram_token=SECRET_TOKEN,
        webhook_url="https://loa.example.vn",
        webhook_secret="webhook-secret-3-0123456789",
    )
    configure_logging("INFO", "text")
    log_startup(logging.getLogger("loa.test"), settings, ["worker", "bot"])
    line = capsys.readouterr().err
    assert line.count("\n") == 1
    assert "role=bot,worker" in line and "db.internal/loa" in line and "cache:6379/0" in line
    assert "telegram webhook https://loa.example.vn/telegram/webhook" in line
    for secret in ("db-password-1", "redis-password-2", "webhook-secret-3", SECRET_TOKEN):
        assert secret not in line
    assert startup_fields(settings, ["api"])["role"] == "api"


async def test_outbox_depth_and_age_are_read_from_the_table_the_spec_names(db: Database) -> None:
    async with db.transaction() as session:
        await session.execute(
            text(
                "CREATE TABLE ops_outbox_probe"
                " (id INTEGER PRIMARY KEY, state VARCHAR(16), queued_at TIMESTAMP)"
            )
        )
    spec = OutboxSpec(
        table="ops_outbox_probe", status_column="state", waiting=("queued",), since_column="queued_at"
    )
    now = utcnow()
    async with db.sessions() as session:
        assert await outbox_stats(session, spec, now) == (0, 0.0)
    async with db.transaction() as session:
        rows = [
            (1, "queued", now - timedelta(seconds=90)),
            (2, "queued", now - timedelta(seconds=5)),
            (3, "sent", now - timedelta(hours=1)),
        ]
        for row_id, state, at in rows:
            await session.execute(
                text("INSERT INTO ops_outbox_probe (id, state, queued_at) VALUES (:i, :s, :t)"),
                {"i": row_id, "s": state, "t": at.replace(tzinfo=None)},
            )
    async with db.sessions() as session:
        depth, age = await outbox_stats(session, spec, now)
    assert depth == 2 and 89 <= age <= 91

    metrics = Metrics(outbox=spec)
    await metrics.refresh(db)
    assert sample(metrics, "loa_outbox_depth") == 2
    assert sample(metrics, "loa_outbox_oldest_age_seconds") >= 89


async def test_default_outbox_spec_matches_the_schema(db: Database) -> None:
    metrics = Metrics()
    await metrics.refresh(db)
    assert sample(metrics, "loa_outbox_scrape_errors_total") == 0
    assert sample(metrics, "loa_outbox_depth") == 0


async def test_messenger_calls_and_429s_are_counted(settings: Settings, sandbox: Any) -> None:
    loa = await Loa.create(settings.model_copy(update={"telegram_api_base": sandbox.base_url}))
    try:
        instrument(bot=loa.bot, dispatcher=loa.dispatcher, metrics=loa.metrics)
        instrument(bot=loa.bot, dispatcher=loa.dispatcher, metrics=loa.metrics)  # idempotent
        async with SandboxClient(sandbox.base_url) as client:
            user = await client.create_user("Lan")
        retry_token = interactive_retry.set(False)
        try:
            with pytest.raises(TelegramRetryAfter):
                for _ in range(10):  # the per-chat burst is 3
                    await loa.bot.send_message(user["id"], "Thông báo")
        finally:
            interactive_retry.reset(retry_token)
        metrics = loa.metrics
        calls = "loa_messenger_requests_total"
        assert sample(metrics, calls, channel="telegram", method="SendMessage", outcome="ok") == 3
        assert sample(metrics, calls, channel="telegram", method="SendMessage", outcome="rate_limited") == 1
        assert sample(metrics, "loa_messenger_429_total", channel="telegram", method="SendMessage") == 1
        assert sample(metrics, "loa_messenger_retry_after_seconds_total", channel="telegram") >= 1
        assert b"loa_messenger_429_total" in metrics.render()
    finally:
        await loa.close()


async def test_update_errors_are_counted_and_reraised() -> None:
    metrics = Metrics()
    middleware = UpdateMetrics(metrics)

    async def failing(event: Any, data: dict[str, Any]) -> Any:
        raise RuntimeError("boom")

    async def fine(event: Any, data: dict[str, Any]) -> Any:
        return "ok"

    update = Update(update_id=1)
    assert await middleware(fine, update, {}) == "ok"
    with pytest.raises(RuntimeError):
        await middleware(failing, update, {})
    assert sample(metrics, "loa_update_errors_total") == 1
    assert sample(metrics, "loa_last_update_timestamp_seconds") > 0
