"""Webhook delivery: secret header, ordering, retries, getWebhookInfo and the getUpdates conflict."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramConflictError
from aiohttp import web

from sandbox.client import SandboxClient
from sandbox.server import SandboxServer
from tests.sandbox.hook_server import HookServer


class Receiver(HookServer):
    """A tiny webhook endpoint on port 0 that fails the first ``fail`` requests."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list[dict[str, Any]] = []
        self.headers: list[str | None] = []
        self.fail = 0
        self.reply: dict[str, Any] | None = None

    async def handle(self, request: web.Request) -> web.Response:
        self.headers.append(request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        if self.fail > 0:
            self.fail -= 1
            return web.Response(status=500, text="boom")
        self.received.append(await request.json())
        if self.reply is not None:
            reply, self.reply = self.reply, None
            return web.json_response(reply)
        return web.json_response({})


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    instance = Receiver()
    await instance.start()
    yield instance
    await instance.stop()


async def test_webhook_push_with_secret(bot: Bot, client: SandboxClient, receiver: Receiver) -> None:
    user = await client.create_user("Quang")
    early = await client.send_user_message(user["id"], "trước webhook")  # queued before the webhook exists
    assert await bot.set_webhook(receiver.url, secret_token="s3cr3t-Token_1")
    info = await bot.get_webhook_info()
    assert info.url == receiver.url and not info.has_custom_certificate
    later = [(await client.send_user_message(user["id"], f"tin {i}"))["update_id"] for i in range(3)]
    await client.wait_for_no_pending_updates()
    assert [u["update_id"] for u in receiver.received] == [early["update_id"], *later]
    assert receiver.received[0]["message"]["text"] == "trước webhook"
    assert set(receiver.headers) == {"s3cr3t-Token_1"}
    assert (await bot.get_webhook_info()).pending_update_count == 0

    with pytest.raises(TelegramConflictError, match="can't use getUpdates method while webhook is active"):
        await bot.get_updates()
    assert await bot.delete_webhook()
    assert await bot.get_updates() == []
    assert (await bot.get_webhook_info()).url == ""


async def test_webhook_retries_failures_in_order(
    sandbox: SandboxServer, bot: Bot, client: SandboxClient, receiver: Receiver
) -> None:
    sandbox.state.webhook_retry_delay = 0.01
    receiver.fail = 3
    user = await client.create_user("Vy")
    await bot.set_webhook(receiver.url)
    first = await client.send_user_message(user["id"], "một")
    second = await client.send_user_message(user["id"], "hai")
    await client.wait_for_no_pending_updates()
    assert [u["update_id"] for u in receiver.received] == [first["update_id"], second["update_id"]]
    assert len(receiver.headers) == 5 and set(receiver.headers) == {None}
    info = await bot.get_webhook_info()
    assert info.last_error_date is not None
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
    stats = await client.get_stats()
    assert stats["webhook_failures"] == 3 and stats["webhook_deliveries"] == 2


async def test_webhook_unreachable_keeps_updates(
    sandbox: SandboxServer, bot: Bot, client: SandboxClient
) -> None:
    sandbox.state.webhook_retry_delay = 0.01
    user = await client.create_user("Yến")
    await bot.set_webhook("http://127.0.0.1:9/nothing-listens-here")
    await client.send_user_message(user["id"], "xin chào")
    await client.wait_until(client.get_stats, lambda s: s["webhook_failures"] >= 2, what="failed pushes")
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 1
    assert info.last_error_message is not None and "Connection" in info.last_error_message
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert (await bot.get_webhook_info()).pending_update_count == 0


async def test_webhook_reply_method_is_executed(bot: Bot, client: SandboxClient, receiver: Receiver) -> None:
    user = await client.create_user("Long")
    await bot.set_webhook(receiver.url)
    receiver.reply = {"method": "sendMessage", "chat_id": user["id"], "text": "trả lời trong webhook"}
    await client.send_user_message(user["id"], "/start")
    [message] = await client.wait_for_messages(user["id"])
    assert message["text"] == "trả lời trong webhook"
    assert json.dumps(receiver.received[0]).count("/start") == 1
