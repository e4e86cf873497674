"""Webhook delivery over up to `max_connections` parallel connections, one update per chat at a time."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot
from aiohttp import web

from sandbox.client import SandboxClient
from sandbox.server import SandboxServer
from tests.sandbox.hook_server import HookServer


def chat_of(update: dict[str, Any]) -> int:
    return int(update["message"]["chat"]["id"])


class GatedReceiver(HookServer):
    """A webhook endpoint that holds every request until `release()`, recording what is in flight."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list[dict[str, Any]] = []  # in the order the requests arrived
        self.in_flight = 0
        self.max_in_flight = 0
        self.chat_in_flight: Counter[int] = Counter()
        self.max_chat_in_flight = 0
        self.fail_chat: int | None = None
        self.fail = 0
        self.gate = asyncio.Event()

    def release(self) -> None:
        self.gate.set()

    async def handle(self, request: web.Request) -> web.Response:
        update = await request.json()
        chat = chat_of(update)
        self.in_flight += 1
        self.chat_in_flight[chat] += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self.max_chat_in_flight = max(self.max_chat_in_flight, self.chat_in_flight[chat])
        try:
            if chat == self.fail_chat and self.fail > 0:
                self.fail -= 1
                return web.Response(status=502, text="bad gateway")
            self.received.append(update)
            await self.gate.wait()
            return web.json_response({})
        finally:
            self.in_flight -= 1
            self.chat_in_flight[chat] -= 1

    async def stop(self) -> None:
        self.release()
        await super().stop()


@pytest.fixture
async def gated() -> AsyncIterator[GatedReceiver]:
    instance = GatedReceiver()
    await instance.start()
    yield instance
    await instance.stop()


async def wait_for(condition: Any, what: str, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def queue_messages(client: SandboxClient, users: int, per_user: int = 1) -> dict[int, list[int]]:
    """`per_user` messages from each of `users` new users, interleaved; returns update ids per chat."""
    ids = [(await client.create_user(f"Người {i}"))["id"] for i in range(users)]
    sent: dict[int, list[int]] = {uid: [] for uid in ids}
    for round_ in range(per_user):
        for uid in ids:
            sent[uid].append((await client.send_user_message(uid, f"tin {round_}"))["update_id"])
    return sent


async def test_twenty_chats_are_delivered_concurrently(
    sandbox: SandboxServer, bot: Bot, client: SandboxClient, gated: GatedReceiver
) -> None:
    sent = await queue_messages(client, 20)
    assert await bot.set_webhook(gated.url)
    info = await bot.get_webhook_info()
    assert info.max_connections == 40
    await wait_for(lambda: gated.in_flight == 20, "20 requests held at once")
    assert sandbox.state.webhook_in_flight == 20
    assert (await bot.get_webhook_info()).pending_update_count == 20  # in flight is not delivered yet
    gated.release()
    await client.wait_for_no_pending_updates()
    assert sorted(u["update_id"] for u in gated.received) == sorted(i for ids in sent.values() for i in ids)
    stats = await client.get_stats()
    assert stats["webhook_deliveries"] == 20 and stats["webhook_in_flight"] == 0


async def test_max_connections_bounds_parallel_deliveries(
    sandbox: SandboxServer, bot: Bot, client: SandboxClient, gated: GatedReceiver
) -> None:
    await queue_messages(client, 20)
    assert await bot.set_webhook(gated.url, max_connections=3)
    assert (await bot.get_webhook_info()).max_connections == 3
    await wait_for(lambda: gated.in_flight == 3, "3 requests held")
    assert sandbox.state.webhook_in_flight == 3  # the pusher starts what it may in one go: no 4th
    assert (await client.get_webhook())["in_flight"] == 3
    gated.release()
    await client.wait_for_no_pending_updates()
    assert len(gated.received) == 20 and gated.max_in_flight == 3


async def test_one_connection_delivers_serially_in_order(
    sandbox: SandboxServer, bot: Bot, client: SandboxClient, gated: GatedReceiver
) -> None:
    sent = await queue_messages(client, 20)
    assert await bot.set_webhook(gated.url, max_connections=1)
    await wait_for(lambda: gated.in_flight == 1, "the first request")
    assert sandbox.state.webhook_in_flight == 1
    gated.release()
    await client.wait_for_no_pending_updates()
    assert gated.max_in_flight == 1
    assert [u["update_id"] for u in gated.received] == sorted(i for ids in sent.values() for i in ids)


async def test_one_update_per_chat_in_flight_keeps_chat_order(
    sandbox: SandboxServer, bot: Bot, client: SandboxClient, gated: GatedReceiver
) -> None:
    sent = await queue_messages(client, 5, per_user=6)
    assert await bot.set_webhook(gated.url)
    await wait_for(lambda: gated.in_flight == 5, "one request per chat")
    assert sandbox.state.webhook_in_flight == 5  # 30 queued, 40 connections, but only 5 chats
    assert sorted(u["update_id"] for u in gated.received) == sorted(ids[0] for ids in sent.values())
    gated.release()
    await client.wait_for_no_pending_updates()
    assert gated.max_chat_in_flight == 1 and gated.max_in_flight <= 5
    for chat, ids in sent.items():
        assert [u["update_id"] for u in gated.received if chat_of(u) == chat] == ids


async def test_failing_chat_retries_in_order_while_others_flow(
    sandbox: SandboxServer, bot: Bot, client: SandboxClient, gated: GatedReceiver
) -> None:
    sandbox.state.webhook_retry_delay = 0.01
    sent = await queue_messages(client, 4, per_user=3)
    failing = next(iter(sent))
    gated.fail_chat, gated.fail = failing, 3
    gated.release()
    assert await bot.set_webhook(gated.url)
    await client.wait_for_no_pending_updates()
    for chat, ids in sent.items():
        assert [u["update_id"] for u in gated.received if chat_of(u) == chat] == ids
    assert gated.max_chat_in_flight == 1
    info = await bot.get_webhook_info()
    assert info.last_error_message == "Wrong response from the webhook: 502 Bad Gateway"
    assert info.last_error_date is not None and info.pending_update_count == 0
    stats = await client.get_stats()
    assert stats["webhook_failures"] == 3 and stats["webhook_deliveries"] == 12


@pytest.mark.parametrize(("given", "expected"), [(0, 1), (100, 100), (250, 100)])
async def test_max_connections_is_clamped(bot: Bot, gated: GatedReceiver, given: int, expected: int) -> None:
    assert await bot.set_webhook(gated.url, max_connections=given)
    assert (await bot.get_webhook_info()).max_connections == expected
