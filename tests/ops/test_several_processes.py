"""Several bot processes, safely: webhook processes behind one address share one secret; one poller."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import ClientSession, web

from bot.polling_lock import PollingLock, poll_with_lock
from tests.ops.processes import Process, free_port, start, wait_http

SECRET = "shared-webhook-secret-0123456789"


class RoundRobin:
    """A load balancer in front of the bot processes: each webhook call goes to the next one."""

    def __init__(self, backends: list[str]) -> None:
        self.backends = itertools.cycle(backends)
        self.calls: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.port = free_port()
        self._runner: web.AppRunner | None = None
        self._http: ClientSession | None = None

    async def forward(self, request: web.Request) -> web.Response:
        assert self._http is not None
        backend = next(self.backends)
        self.calls[backend] += 1
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() in ("content-type", "x-telegram-bot-api-secret-token")
        }
        async with self._http.post(
            backend + request.path, data=await request.read(), headers=headers
        ) as resp:
            self.statuses[resp.status] += 1
            return web.Response(status=resp.status, body=await resp.read(), content_type=resp.content_type)

    async def __aenter__(self) -> RoundRobin:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self.forward)
        self._http = ClientSession()
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._http is not None:
            await self._http.close()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0) as client:
        yield client


async def test_two_webhook_bot_processes_behind_one_address_answer_every_update_once(
    tmp_path: Path, database_url: str, redis_url: str | None, sandbox: Any, http: httpx.AsyncClient
) -> None:
    from sandbox.client import SandboxClient

    ports = [free_port(), free_port()]
    backends = [f"http://127.0.0.1:{port}" for port in ports]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOA_")}
    async with RoundRobin(backends) as balancer:
        env.update(
            LOA_ENVIRONMENT="development",
            LOA_DATABASE_URL=database_url,
            LOA_TELEGRAM_API_BASE=sandbox.base_url,
            LOA_WEBHOOK_URL=f"http://127.0.0.1:{balancer.port}",
            LOA_WEBHOOK_SECRET=SECRET,
            LOA_DATA_DIR=str(tmp_path / "data"),
        )
        if redis_url:
            env["LOA_REDIS_URL"] = redis_url
        processes: list[Process] = []
        try:
            for i, port in enumerate(ports):
                command = ["run", "--role", "api", "--role", "bot"]
                processes.append(
                    await start(f"bot{i}", command, {**env, "LOA_API_PORT": str(port)}, tmp_path, port)
                )
            for process in processes:
                await wait_http(http, f"http://127.0.0.1:{process.port}/healthz", process)
            async with SandboxClient(sandbox.base_url) as client:
                await client.wait_until(
                    client.get_webhook, lambda hook: bool(hook and hook.get("url")), timeout=60
                )
                users = [await client.create_user(first_name=f"Đoàn viên {i}") for i in range(12)]
                for user in users:
                    await client.send_user_message(user["id"], text="/help")
                for user in users:
                    await client.wait_for_messages(user["id"], count=1, timeout=60)
                await client.wait_until(client.pending_updates, lambda pending: not pending, timeout=60)
                for user in users:  # exactly one answer each, nothing late
                    assert len(await client.get_messages(user["id"])) == 1
                stats = await client.get_stats()
            assert stats["webhook_failures"] == 0
            assert balancer.statuses == Counter({200: 12}), balancer.statuses
            assert all(balancer.calls[b] == 6 for b in backends), balancer.calls
            for process in processes:
                metrics = (await wait_http(http, f"http://127.0.0.1:{process.port}/metrics", process)).text
                assert "loa_webhook_rejected_total 0.0" in metrics, process.name
        finally:
            for process in processes:
                with contextlib.suppress(ProcessLookupError):
                    await process.stop()


async def test_only_one_process_polls_and_another_takes_over(redis_url: str | None) -> None:
    if redis_url is None:
        pytest.skip("the polling lock lives in Redis (set LOA_REDIS_URL)")
    from redis.asyncio import Redis

    redis = Redis.from_url(redis_url)
    polling: list[str] = []
    stops = [asyncio.Event(), asyncio.Event()]

    def poller(name: str) -> tuple[Any, Any]:
        halt = asyncio.Event()

        async def start_polling() -> None:
            polling.append(name)
            await halt.wait()
            polling.remove(name)

        async def stop_polling() -> None:
            halt.set()

        return start_polling, stop_polling

    locks = [PollingLock(redis, "loa:polling:test", ttl=0.6), PollingLock(redis, "loa:polling:test", ttl=0.6)]
    tasks = [asyncio.create_task(poll_with_lock(locks[i], stops[i], *poller(f"p{i}"))) for i in range(2)]
    try:

        async def wait_for(predicate: Any, timeout: float = 10.0) -> None:
            deadline = asyncio.get_running_loop().time() + timeout
            while not predicate():
                assert asyncio.get_running_loop().time() < deadline, polling
                await asyncio.sleep(0.02)

        await wait_for(lambda: len(polling) == 1)
        first = polling[0]
        for _ in range(20):  # several renewals later, still one poller
            assert len(polling) == 1
            await asyncio.sleep(0.05)
        stops[int(first[1])].set()
        await wait_for(lambda: polling and polling[0] != first)
        assert len(polling) == 1
    finally:
        for stop in stops:
            stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=10)
        await redis.aclose()
