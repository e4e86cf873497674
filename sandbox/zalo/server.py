"""HTTP server of the Zalo sandbox: Bot API at ``/bot<TOKEN>/<method>``, control API at ``/sandbox``."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any

import aiohttp
from aiohttp import web

from sandbox.zalo.control import STATE_KEY, add_control_routes
from sandbox.zalo.methods import execute
from sandbox.zalo.state import ZaloLimits, ZaloState

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Bot-Api-Secret-Token"  # noqa: S105 (a header name)


async def bot_api(request: web.Request) -> web.StreamResponse:
    params: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                return web.json_response(
                    {"ok": False, "error_code": 400, "description": "Bad Request: invalid JSON"}, status=400
                )
            if isinstance(body, dict):
                params.update(body)
        else:
            params.update(dict(await request.post()))
    status, answer = await execute(
        request.app[STATE_KEY], request.match_info["token"], request.match_info["method"], params
    )
    return web.json_response(answer, status=status)


async def not_found(request: web.Request) -> web.StreamResponse:
    return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)


async def run_webhook_pusher(state: ZaloState) -> None:
    """POST queued updates one at a time (Zalo pushes each event once); a failed push is retried
    with a growing pause, so a restarting bot receives what it missed."""
    pause = 0.05
    async with aiohttp.ClientSession() as http:
        while not state.closing:
            if not state.webhook_url or not state.updates:
                await state.changed(0.5)
                continue
            update = state.updates[0]
            url, secret = state.webhook_url, state.webhook_secret
            try:
                async with http.post(
                    url,
                    data=json.dumps(update, ensure_ascii=False).encode(),
                    headers={"Content-Type": "application/json", SECRET_HEADER: secret},
                    timeout=aiohttp.ClientTimeout(total=30),
                ) as resp:
                    ok = 200 <= resp.status < 300
                    state.webhook_deliveries.append({"status": resp.status})
            except (aiohttp.ClientError, TimeoutError) as exc:
                ok = False
                state.webhook_deliveries.append({"status": 0, "error": type(exc).__name__})
            if ok:
                if state.updates and state.updates[0] is update:
                    state.updates.popleft()
                pause = 0.05
            else:
                await asyncio.sleep(pause)
                pause = min(pause * 2, 2.0)


def create_zalo_sandbox_app(state: ZaloState | None = None) -> web.Application:
    app = web.Application(client_max_size=5 * 1024 * 1024)
    app[STATE_KEY] = state if state is not None else ZaloState()
    app.router.add_route("*", "/bot{token}/{method}", bot_api)
    add_control_routes(app)
    app.router.add_route("*", "/{tail:.*}", not_found)

    async def pusher(app: web.Application) -> AsyncIterator[None]:
        app_state = app[STATE_KEY]
        app_state.closing = False
        task = asyncio.create_task(run_webhook_pusher(app_state), name="zalo-sandbox-webhook")
        yield
        app_state.closing = True
        app_state.notify()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app.cleanup_ctx.append(pusher)
    return app


class ZaloSandboxServer:
    """``async with ZaloSandboxServer() as sb: sb.base_url, sb.state`` (port 0 picks a free port)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, limits: ZaloLimits | None = None) -> None:
        self.host = host
        self.port = port
        self.state = ZaloState(limits=limits or ZaloLimits())
        self.app = create_zalo_sandbox_app(self.state)
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        if self._runner is None:
            raise RuntimeError("the Zalo sandbox is not started")
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        if self._runner is not None:
            return
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        if self.port == 0:
            for address in runner.addresses:
                if isinstance(address, tuple):
                    self.port = int(address[1])
                    break
        self._runner = runner
        log.info("Zalo sandbox listening on %s", self.base_url)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            self.state.closing = True
            self.state.notify()
            await runner.cleanup()

    async def __aenter__(self) -> ZaloSandboxServer:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()


async def serve_forever(host: str = "127.0.0.1", port: int = 8082, limits: ZaloLimits | None = None) -> None:
    server = ZaloSandboxServer(host=host, port=port, limits=limits)
    await server.start()
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()
