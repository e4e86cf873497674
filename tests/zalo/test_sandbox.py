"""The Zalo sandbox over real HTTP: the published methods, their limits and errors, faults, webhook."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from sandbox.zalo.client import ZaloSandboxClient
from sandbox.zalo.server import SECRET_HEADER, ZaloSandboxServer
from sandbox.zalo.state import ZaloLimits

TOKEN = "12345:zalo-test-token"


@pytest.fixture
async def zsb() -> AsyncIterator[ZaloSandboxServer]:
    async with ZaloSandboxServer() as server:
        yield server


async def call(sb: ZaloSandboxServer, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{sb.base_url}/bot{TOKEN}/{method}", json=params) as resp,
    ):
        return resp.status, await resp.json()


async def test_get_me_and_bad_token(zsb: ZaloSandboxServer) -> None:
    status, body = await call(zsb, "getMe")
    assert status == 200 and body["ok"] and body["result"]["account_name"] == "bot.Loa"
    async with aiohttp.ClientSession() as http, http.post(f"{zsb.base_url}/botnot-a-token/getMe") as resp:
        assert resp.status == 401 and (await resp.json())["error_code"] == 401


async def test_get_updates_one_per_call_then_408(zsb: ZaloSandboxServer) -> None:
    async with ZaloSandboxClient(zsb.base_url) as zc:
        lan = await zc.create_user("Lan")
        assert not lan["id"].isdigit()  # opaque string ids
        await zc.send_user_message(lan["id"], "một")
        await zc.send_user_message(lan["id"], "hai")
        _, first = await call(zsb, "getUpdates", timeout="1")
        _, second = await call(zsb, "getUpdates", timeout="1")
        assert first["result"]["event_name"] == "message.text.received"
        assert first["result"]["message"]["text"] == "một" and second["result"]["message"]["text"] == "hai"
        assert first["result"]["message"]["chat"] == {"id": lan["id"], "chat_type": "PRIVATE"}
        started = time.monotonic()
        status, empty = await call(zsb, "getUpdates", timeout="0.2")
        assert status == 408 and empty["error_code"] == 408 and time.monotonic() - started >= 0.2


async def test_send_message_limits_and_errors(zsb: ZaloSandboxServer) -> None:
    async with ZaloSandboxClient(zsb.base_url) as zc:
        lan = await zc.create_user("Lan")
        status, body = await call(zsb, "sendMessage", chat_id=lan["id"], text="x" * 2001)
        assert status == 400 and "2000" in body["description"]
        status, body = await call(zsb, "sendMessage", chat_id="nobody", text="hi")
        assert status == 400 and "chat not found" in body["description"]
        status, body = await call(zsb, "sendMessage", chat_id=lan["id"], text="x" * 2000)
        assert status == 200 and body["result"]["message_id"]
        await zc.block_user(lan["id"])
        status, body = await call(zsb, "sendMessage", chat_id=lan["id"], text="hi")
        assert status == 403 and body["ok"] is False
        status, _ = await call(zsb, "sendPhoto", chat_id=lan["id"], photo="not-a-url")
        assert status == 400
        status, _ = await call(zsb, "sendChatAction", chat_id=lan["id"], action="dancing")
        assert status == 400
        [sent] = await zc.get_messages(lan["id"])
        assert len(sent["text"]) == 2000


async def test_faults_and_rate_limits(zsb: ZaloSandboxServer) -> None:
    async with ZaloSandboxClient(zsb.base_url) as zc:
        lan = await zc.create_user("Lan")
        await zc.add_fault(status=502, method="sendMessage", count=1)
        await zc.add_fault(kind="slow", delay=0.3, method="sendMessage", count=1)
        status, _ = await call(zsb, "sendMessage", chat_id=lan["id"], text="1")
        assert status == 502
        started = time.monotonic()
        status, _ = await call(zsb, "sendMessage", chat_id=lan["id"], text="2")
        assert status == 200 and time.monotonic() - started >= 0.3
        await zc.set_limits(per_chat_burst=2, per_chat_per_sec=0.5)
        statuses = [(await call(zsb, "sendMessage", chat_id=lan["id"], text=str(i)))[0] for i in range(4)]
        assert statuses.count(429) >= 1 and statuses[0] == 200
        assert (await zc.get_stats())["rate_limited"] >= 1


async def test_default_limits_are_conservative() -> None:
    assert ZaloLimits().per_bot_per_sec <= 10 and ZaloLimits().per_chat_per_sec <= 1


async def test_webhook_pushes_with_secret_header_and_retries(zsb: ZaloSandboxServer) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []
    failures = [1]

    async def hook(request: web.Request) -> web.Response:
        if failures:
            failures.pop()
            return web.Response(status=500)
        received.append((request.headers.get(SECRET_HEADER), await request.json()))
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with ZaloSandboxClient(zsb.base_url) as zc:
            status, _ = await call(
                zsb, "setWebhook", url=f"http://127.0.0.1:{port}/hook", secret_token="short"
            )
            assert status == 400
            status, _ = await call(
                zsb, "setWebhook", url=f"http://127.0.0.1:{port}/hook", secret_token="s3cret-token-123"
            )
            assert status == 200
            assert (await call(zsb, "getWebhookInfo"))[1]["result"]["url"].endswith("/hook")
            assert (await call(zsb, "getUpdates", timeout="0"))[0] == 409
            lan = await zc.create_user("Lan")
            await zc.send_user_message(lan["id"], "xin chào")
            await zc.wait_until(lambda: asyncio.sleep(0, received), lambda r: len(r) == 1, what="a push")
            secret, update = received[0]
            assert secret == "s3cret-token-123" and update["message"]["text"] == "xin chào"
            assert (await zc.get_webhook())["deliveries"][0]["status"] == 500
    finally:
        await runner.cleanup()


async def test_loa_sandbox_zalo_serves_the_bot_api() -> None:
    import socket
    import subprocess
    import sys

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(  # noqa: ASYNC220, S603 (our own CLI, fixed arguments)
        [
            sys.executable,
            "-c",
            "import sys; from bot.cli import main; sys.exit(main())",
            "sandbox",
            "--zalo",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 15
        async with aiohttp.ClientSession() as http:
            while True:
                try:
                    async with http.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe") as resp:
                        body = await resp.json()
                        break
                except aiohttp.ClientError:
                    assert loop.time() < deadline, "the Zalo sandbox did not start"
                    await asyncio.sleep(0.1)
        assert body["ok"] and body["result"]["account_name"] == "bot.Loa"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
