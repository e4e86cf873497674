"""Runs the real Loa bot against the local Telegram sandbox over HTTP, in polling or webhook mode.

async with BotHarness(make_settings, sandbox, mode="webhook") as h:
    user = await h.client.create_user(first_name="Lan")
    await h.client.send_message(user["id"], text="/start")
    msgs = await h.client.wait_for_messages(user["id"], count=2)
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from types import TracebackType
from typing import Any, Literal

from bot.app import Loa
from bot.runner import Role, serve
from config.settings import Settings
from sandbox.client import SandboxClient
from sandbox.server import SandboxServer

Mode = Literal["polling", "webhook"]


def bound_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    sock.setblocking(False)
    return sock


class BotHarness:
    def __init__(
        self,
        make_settings: Callable[..., Settings],
        sandbox: SandboxServer,
        *,
        mode: Mode = "polling",
        roles: frozenset[Role] = frozenset({Role.bot, Role.api, Role.worker}),
        **overrides: Any,
    ) -> None:
        self.make_settings = make_settings
        self.sandbox = sandbox
        self.client = SandboxClient(sandbox.base_url)
        self.mode = mode
        self.roles = roles
        self.overrides = overrides
        self.loa: Loa | None = None
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._socket: socket.socket | None = None

    @property
    def api_base(self) -> str:
        assert self._socket is not None
        host, port = self._socket.getsockname()[:2]
        return f"http://{host}:{port}"

    async def start(self) -> Loa:
        self._socket = bound_socket()
        values: dict[str, Any] = {"telegram_api_base": self.sandbox.base_url}
        if self.mode == "webhook":
            values.update(webhook_url=self.api_base, webhook_secret="harness-webhook-secret-0123456789")
        values.update(self.overrides)
        settings = self.make_settings(**values)
        self.loa = await Loa.create(settings)
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(serve(self.loa, self.roles, self._stop, sockets=[self._socket]))
        await self._wait_ready()
        return self.loa

    async def _wait_ready(self, timeout: float = 5.0) -> None:
        """Polling: the dispatcher has started (getMe). Webhook: the sandbox knows the webhook."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            if self._task is not None and self._task.done():
                self._task.result()
            if self.mode == "webhook":
                info = await self.loa.bot.get_webhook_info()  # type: ignore[union-attr]
                if info.url:
                    return
            elif await self.client.get_calls("getMe"):
                return
            await asyncio.sleep(0.02)
        raise TimeoutError("bot did not become ready")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await asyncio.wait_for(self._task, timeout=15)
            self._task = None
        if self.loa is not None:
            await self.loa.close()
            self.loa = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    async def restart(self) -> Loa:
        await self.stop()
        return await self.start()

    async def __aenter__(self) -> BotHarness:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()
        await self.client.close()
