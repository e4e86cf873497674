"""Interactive replies wait out a short 429; the broadcast engine's sends do not."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiogram.exceptions import TelegramRetryAfter

from bot.app import build_bot
from bot.retry import interactive_retry
from config.settings import Settings


async def test_replies_wait_out_the_per_chat_limit(settings: Settings, sandbox: Any) -> None:
    from sandbox.client import SandboxClient

    bot = build_bot(settings.model_copy(update={"telegram_api_base": sandbox.base_url}))
    async with SandboxClient(sandbox.base_url) as sb:
        user = await sb.create_user(first_name="Lan")
        try:
            for i in range(5):  # the sandbox allows a burst of 3, then 1 per second
                await bot.send_message(user["id"], f"tin {i}")
        finally:
            await bot.session.close()
        assert len(await sb.get_messages(user["id"])) == 5
        assert await sb.get_calls("sendMessage", status=429), "the limit was hit and waited out"


async def test_engine_context_sees_the_429(settings: Settings, sandbox: Any) -> None:
    from sandbox.client import SandboxClient

    bot = build_bot(settings.model_copy(update={"telegram_api_base": sandbox.base_url}))

    async def burst(chat_id: int) -> None:
        interactive_retry.set(False)
        for i in range(5):
            await bot.send_message(chat_id, f"tin {i}")

    async with SandboxClient(sandbox.base_url) as sb:
        user = await sb.create_user(first_name="Minh")
        try:
            with pytest.raises(TelegramRetryAfter):
                await asyncio.create_task(burst(user["id"]))
        finally:
            await bot.session.close()
        assert interactive_retry.get() is True, "the engine's setting stays in its own context"
