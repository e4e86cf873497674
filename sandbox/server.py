"""HTTP server of the sandbox: Bot API at ``/bot<token>/<method>``, files, and ``/sandbox`` control API."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from types import TracebackType

from aiohttp import web

from sandbox.control import STATE_KEY, add_control_routes
from sandbox.errors import ApiError
from sandbox.limits import LimitsConfig
from sandbox.methods import bot_id_of, execute
from sandbox.params import read_params
from sandbox.state import Clock, SandboxState
from sandbox.webhook import run_webhook_pusher

log = logging.getLogger(__name__)

MAX_REQUEST_SIZE = 50 * 1024 * 1024 + 64 * 1024  # Telegram's upload limit for bots, plus form overhead


def _error(status: int, description: str) -> web.Response:
    return web.json_response({"ok": False, "error_code": status, "description": description}, status=status)


async def bot_api(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    try:
        params = await read_params(request)
    except ApiError as exc:
        return web.json_response(exc.payload(), status=exc.status)
    except web.HTTPRequestEntityTooLarge:
        return _error(413, "Request Entity Too Large")
    status, body = await execute(state, request.match_info["token"], request.match_info["method"], params)
    if isinstance(body, str):
        return web.Response(text=body, status=status, content_type="text/html")
    return web.json_response(body, status=status)


async def download_file(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    if bot_id_of(request.match_info["token"]) is None:
        return _error(401, "Unauthorized")
    record = state.files_by_path.get(request.match_info["path"])
    if record is None:
        return _error(404, "Not Found")
    return web.Response(body=record.data, content_type=record.mime_type or "application/octet-stream")


async def not_found(request: web.Request) -> web.StreamResponse:
    return _error(404, "Not Found")


def create_sandbox_app(state: SandboxState | None = None) -> web.Application:
    """The aiohttp application; the webhook pusher runs while the app runs."""
    app = web.Application(client_max_size=MAX_REQUEST_SIZE)
    app[STATE_KEY] = state if state is not None else SandboxState()
    app.router.add_route("*", "/bot{token}/{method}", bot_api)
    app.router.add_get("/file/bot{token}/{path:.+}", download_file)
    add_control_routes(app)
    app.router.add_route("*", "/{tail:.*}", not_found)

    async def pusher(app: web.Application) -> AsyncIterator[None]:
        app_state = app[STATE_KEY]
        app_state.closing = False
        task = asyncio.create_task(run_webhook_pusher(app_state), name="sandbox-webhook-pusher")
        yield
        app_state.closing = True
        app_state.notify()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def on_shutdown(app: web.Application) -> None:
        app[STATE_KEY].closing = True
        app[STATE_KEY].notify()

    app.cleanup_ctx.append(pusher)
    app.on_shutdown.append(on_shutdown)
    return app


class SandboxServer:
    """A running sandbox on ``host:port`` (port 0 picks a free one).

    ``async with SandboxServer() as sb: ... sb.base_url ... sb.state``
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        limits: LimitsConfig | None = None,
        bot_username: str = "loa_bot",
        clock: Clock | None = None,
        bot_first_name: str = "Loa",
        dev_webhooks: bool = False,
    ) -> None:
        self.host = host
        self.port = port
        self.state = SandboxState(
            limits=limits or LimitsConfig(),
            bot_username=bot_username,
            bot_first_name=bot_first_name,
            clock=clock,
            dev_webhooks=dev_webhooks,
        )
        self.app = create_sandbox_app(self.state)
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        if self._runner is None:
            raise RuntimeError("the sandbox is not started")
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
        log.info("Telegram sandbox listening on %s", self.base_url)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            self.state.closing = True
            self.state.notify()
            await runner.cleanup()

    async def __aenter__(self) -> SandboxServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


async def serve_forever(
    host: str = "127.0.0.1",
    port: int = 8081,
    limits: LimitsConfig | None = None,
    dev_webhooks: bool = False,
) -> None:
    """Run a sandbox until cancelled (Ctrl+C under ``asyncio.run``)."""
    server = SandboxServer(host=host, port=port, limits=limits, dev_webhooks=dev_webhooks)
    await server.start()
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()
