"""The control API, the client helpers and the server lifecycle."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiogram import Bot

from sandbox.client import SandboxClient, SandboxControlError
from sandbox.limits import LimitsConfig
from sandbox.server import SandboxServer, serve_forever


async def test_users_groups_and_errors(client: SandboxClient) -> None:
    a = await client.create_user("An", username="an_cd", language_code="vi")
    b = await client.create_user("Bảo", user_id=555000111)
    assert a["id"] > 0 and b["id"] == 555000111 and a["language_code"] == "vi"
    assert {u["id"] for u in await client.list_users()} == {a["id"], b["id"]}
    with pytest.raises(SandboxControlError, match="taken"):
        await client.create_user("Trùng", user_id=555000111)
    group = await client.create_group("Tổ 1", [a["id"], b["id"]])
    assert group["type"] == "group" and group["id"] < 0
    assert group["members"] == {str(a["id"]): "creator", str(b["id"]): "member"}
    with pytest.raises(SandboxControlError) as caught:
        await client.create_group("Tổ 2", [999])
    assert caught.value.status == 404
    with pytest.raises(SandboxControlError, match="not a member"):
        outsider = await client.create_user("Ngoài")
        await client.send_user_message(outsider["id"], "hi", chat_id=group["id"])
    with pytest.raises(SandboxControlError, match="required"):
        await client.send_user_message(a["id"])


async def test_wait_for_messages_times_out(client: SandboxClient) -> None:
    user = await client.create_user("Chờ")
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(TimeoutError, match="1 message"):
        await client.wait_for_messages(user["id"], timeout=0.2)
    assert loop.time() - started < 1


async def test_wait_for_messages_predicate(bot: Bot, client: SandboxClient) -> None:
    user = await client.create_user("Lọc")

    async def later() -> None:
        for text in ("một", "hai", "ba"):
            await bot.send_message(user["id"], text)

    task = asyncio.create_task(later())
    found = await client.wait_for_messages(user["id"], predicate=lambda m: m["text"] == "ba")
    await task
    assert [m["text"] for m in found] == ["ba"]
    everything = await client.get_messages(user["id"], include_all=True)
    assert len(everything) == 3


async def test_reset_calls_stats_and_clock(bot: Bot, client: SandboxClient) -> None:
    user = await client.create_user("Reset")
    await bot.send_message(user["id"], "x")
    with pytest.raises(Exception, match="chat not found"):
        await bot.send_message(1, "x")
    calls = await client.get_calls(method="sendmessage")
    assert [c["status"] for c in calls] == [200, 400]
    assert calls[0]["chat_id"] == user["id"] and calls[1]["description"] == "Bad Request: chat not found"
    stats = await client.get_stats()
    assert stats["calls"]["sendMessage"] == 2 and stats["client_errors"] == 1
    assert stats["messages_delivered"] == 1

    before = await client.get_clock()
    after = await client.advance_clock(3600)
    assert after["offset"] == 3600 and after["time"] - before["time"] >= 3600

    await client.set_limits(per_chat_burst=10)
    await client.reset()
    assert await client.list_users() == []
    assert (await client.get_stats())["calls"] == {}
    assert (await client.get_clock())["offset"] == 0
    assert (await client.get_limits())["per_chat_burst"] == 10  # limits survive a reset
    with pytest.raises(SandboxControlError, match="unknown limits field"):
        await client.set_limits(bogus=1)


async def test_bot_api_accepts_json_form_and_query(sandbox: SandboxServer, client: SandboxClient) -> None:
    user = await client.create_user("Raw")
    base = f"{sandbox.base_url}/bot42:raw-token-ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    markup = '{"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]}'
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/sendMessage", json={"chat_id": user["id"], "text": "json"}) as resp:
            body = await resp.json()
            assert body["ok"] and body["result"]["from"]["id"] == 42
        form = {"chat_id": str(user["id"]), "text": "form", "reply_markup": markup}
        async with http.post(f"{base}/sendMessage", data=form) as resp:
            assert (await resp.json())["result"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "a"
        async with http.get(
            f"{base}/sendMessage", params={"chat_id": str(user["id"]), "text": "query"}
        ) as resp:
            assert (await resp.json())["ok"]
        async with http.get(f"{base}/getme") as resp:  # method names are case-insensitive
            assert (await resp.json())["result"]["username"] == "loa_bot"
    texts = [m["text"] for m in await client.get_messages(user["id"])]
    assert texts == ["json", "form", "query"]


async def test_server_lifecycle_and_fixed_port() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = SandboxServer(port=port, limits=LimitsConfig(enabled=False), bot_username="test_loa_bot")
    with pytest.raises(RuntimeError):
        _ = server.base_url
    await server.start()
    try:
        assert server.base_url == f"http://127.0.0.1:{port}"
        async with SandboxClient(server.base_url) as control:
            assert (await control.get_limits())["enabled"] is False
    finally:
        await server.stop()
    await server.stop()  # idempotent


async def test_serve_forever_runs_until_cancelled() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    task = asyncio.create_task(serve_forever("127.0.0.1", port, LimitsConfig()))
    try:
        async with SandboxClient(f"http://127.0.0.1:{port}") as control:
            stats = await control.wait_until(_stats_or_none(control), lambda s: s is not None, timeout=3)
            assert stats is not None and stats["total_calls"] == 0
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _stats_or_none(control: SandboxClient) -> Callable[[], Awaitable[dict[str, Any] | None]]:
    async def fetch() -> dict[str, Any] | None:
        try:
            return await control.get_stats()
        except aiohttp.ClientConnectionError:
            return None

    return fetch
