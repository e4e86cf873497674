"""Flood limits: the token buckets, and 429 / TelegramRetryAfter through aiogram."""

from __future__ import annotations

import asyncio

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter
from aiogram.types import Message

from sandbox.client import SandboxClient
from sandbox.limits import LimitsConfig, RateLimiter
from sandbox.server import SandboxServer


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_private_chat_bucket_burst_and_refill() -> None:
    clock = FakeClock()
    limiter = RateLimiter(LimitsConfig(), clock)
    assert [limiter.acquire(1, 10, "private") for _ in range(3)] == [None, None, None]
    assert limiter.acquire(1, 10, "private") == 1
    assert limiter.acquire(1, 11, "private") is None  # another chat has its own bucket
    clock.now += 0.5
    assert limiter.acquire(1, 10, "private") == 1  # ceil(0.5 s)
    clock.now += 0.5
    assert limiter.acquire(1, 10, "private") is None
    assert limiter.acquire(1, 10, "private") == 1


def test_group_bucket_and_refused_calls_consume_nothing() -> None:
    clock = FakeClock()
    limiter = RateLimiter(LimitsConfig(), clock)
    assert all(limiter.acquire(1, -5, "group") is None for _ in range(20))
    assert limiter.acquire(1, -5, "group") == 3  # 20/min: one token every 3 s
    for _ in range(50):  # refusals do not drain anything
        assert limiter.acquire(1, -5, "group") == 3
    clock.now += 3.0
    assert limiter.acquire(1, -5, "group") is None
    assert limiter.acquire(1, -5, "group") == 3


def test_global_bucket_paid_and_disabled() -> None:
    clock = FakeClock()
    limiter = RateLimiter(LimitsConfig(), clock)
    assert all(limiter.acquire(1, chat, "private") is None for chat in range(30))
    assert limiter.acquire(1, 100, "private") == 1
    assert limiter.acquire(2, 100, "private") is None  # another bot token
    assert all(limiter.acquire(1, chat, "private", paid=True) is None for chat in range(200, 400))
    limiter.configure(LimitsConfig(enabled=False))
    assert all(limiter.acquire(1, 7, "private") is None for _ in range(100))


def test_limits_config_update_validation() -> None:
    config = LimitsConfig().updated({"per_group_per_min": 60, "enabled": False})
    assert config.per_group_per_min == 60 and not config.enabled
    with pytest.raises(ValueError, match="unknown"):
        LimitsConfig().updated({"nope": 1})
    with pytest.raises(ValueError, match="positive"):
        LimitsConfig().updated({"per_bot_per_sec": 0})


async def _send_all(
    bot: Bot, chat_ids: list[int], paid: bool = False
) -> tuple[list[Message], list[TelegramRetryAfter]]:
    results = await asyncio.gather(
        *(
            bot.send_message(chat_id, f"tin {i}", allow_paid_broadcast=paid or None)
            for i, chat_id in enumerate(chat_ids)
        ),
        return_exceptions=True,
    )
    sent = [r for r in results if isinstance(r, Message)]
    limited = [r for r in results if isinstance(r, TelegramRetryAfter)]
    assert len(sent) + len(limited) == len(chat_ids), [r for r in results if isinstance(r, BaseException)]
    return sent, limited


async def test_group_flood_gets_429(
    frozen_sandbox: SandboxServer, frozen_bot: Bot, frozen_client: SandboxClient
) -> None:
    user = await frozen_client.create_user("Hùng")
    group = await frozen_client.create_group("Công đoàn cơ sở", [user["id"]])
    sent, limited = await _send_all(frozen_bot, [group["id"]] * 60)
    assert len(sent) == 20 and len(limited) == 40
    assert {e.retry_after for e in limited} == {3}
    assert "Too Many Requests: retry after 3" in str(limited[0])
    stats = await frozen_client.get_stats()
    assert stats["rate_limited"] == 40 and stats["messages_delivered"] == 20
    assert len(await frozen_client.get_messages(group["id"])) == 20
    calls = await frozen_client.get_calls(method="sendMessage", status=429)
    assert len(calls) == 40 and calls[0]["chat_id"] == group["id"]

    await frozen_client.advance_clock(3)
    await frozen_bot.send_message(group["id"], "sau khi chờ")
    with pytest.raises(TelegramRetryAfter):
        await frozen_bot.send_message(group["id"], "lại quá nhanh")


async def test_limits_disabled(frozen_bot: Bot, frozen_client: SandboxClient) -> None:
    assert (await frozen_client.set_limits(enabled=False))["enabled"] is False
    user = await frozen_client.create_user("An")
    group = await frozen_client.create_group("Tổ", [user["id"]])
    sent, limited = await _send_all(frozen_bot, [group["id"]] * 60)
    assert len(sent) == 60 and limited == []
    assert (await frozen_client.get_limits())["per_group_per_min"] == 20


async def test_paid_broadcast_exceeds_30_per_second(
    frozen_sandbox: SandboxServer, frozen_bot: Bot, frozen_client: SandboxClient
) -> None:
    users = [frozen_sandbox.state.create_user(f"Đoàn viên {i}").id for i in range(80)]
    sent, limited = await _send_all(frozen_bot, users[:40])
    assert len(sent) == 30 and len(limited) == 10
    assert {e.retry_after for e in limited} == {1}
    sent, limited = await _send_all(frozen_bot, users[40:], paid=True)
    assert len(sent) == 40 and limited == []


async def test_private_chat_limit(frozen_bot: Bot, frozen_client: SandboxClient) -> None:
    user = await frozen_client.create_user("Phúc")
    for i in range(3):
        await frozen_bot.send_message(user["id"], f"tin {i}")
    with pytest.raises(TelegramRetryAfter) as caught:
        await frozen_bot.send_message(user["id"], "tin 4")
    assert caught.value.retry_after == 1
    # non-message methods do not count
    for _ in range(10):
        await frozen_bot.send_chat_action(user["id"], "typing")
        await frozen_bot.get_chat(user["id"])
    await frozen_client.advance_clock(1)
    await frozen_bot.send_message(user["id"], "tin 5")
