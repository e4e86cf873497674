"""Run modes: all roles in one process by default, or one role per process for scale-out."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Iterable, Iterator
from enum import StrEnum

import uvicorn

from api.app import create_app
from bot.app import Loa
from bot.instrument import instrument
from bot.logs import log_startup
from bot.ops_server import create_ops_app
from bot.polling_lock import PollingLock, poll_with_lock
from bot.scheduling import build_scheduler
from config.settings import SANDBOX_TOKEN, TELEGRAM_API_BASE, Settings

log = logging.getLogger(__name__)


class _QuietServer(uvicorn.Server):
    """uvicorn without its own signal capture: this process's stop event decides shutdown."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Role(StrEnum):
    api = "api"
    bot = "bot"
    worker = "worker"
    scheduler = "scheduler"


ALL_ROLES = frozenset(Role)
# Roles that talk to the messenger and therefore need a real token.
SENDING_ROLES = frozenset({Role.bot, Role.worker, Role.scheduler})


def preflight(settings: Settings, roles: Iterable[Role]) -> str | None:
    """Why this process must not start, in one Vietnamese line (None: it may start)."""
    roles = set(roles)
    token = settings.telegram_token.get_secret_value()
    to_telegram = settings.telegram_api_base.rstrip("/") == TELEGRAM_API_BASE
    # The sandbox token only works against a local sandbox (tests, demo); sent to Telegram it fails
    # with a long traceback, so say what is missing instead. Production refuses it in Settings.
    if roles & SENDING_ROLES and token == SANDBOX_TOKEN and to_telegram:
        return (
            "chưa đặt LOA_TELEGRAM_TOKEN: hãy đặt mã bot lấy từ @BotFather "
            "(hoặc chạy `loa demo` để thử với hộp cát)."
        )
    if Role.bot in roles and settings.webhook_enabled and settings.uses_redis and not settings.webhook_secret:
        return (
            "chưa đặt LOA_WEBHOOK_SECRET: khi có Redis (nhiều tiến trình bot sau một địa chỉ), "
            "mọi tiến trình phải dùng chung một khoá bí mật webhook."
        )
    return None


def _ops_socket(host: str, port: int) -> socket.socket | None:
    """The probes' listening socket; a busy port costs the probes, never the worker's deliveries."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        log.error("cannot serve /healthz and /metrics on %s:%s (%s); set LOA_METRICS_PORT", host, port, exc)
        return None
    sock.listen(64)
    sock.setblocking(False)
    return sock


def _uvicorn_config(app: object, host: str, port: int, settings: Settings) -> uvicorn.Config:
    # log_config=None: uvicorn's loggers (and its access log) go through this process's handlers.
    return uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=host,
        port=port,
        log_config=None,
        log_level=settings.log_level.lower(),
        access_log=True,
        lifespan="off",
    )


async def serve(
    loa: Loa, roles: Iterable[Role], stop: asyncio.Event, *, sockets: list[socket.socket] | None = None
) -> None:
    """Run the given roles until `stop` is set. `sockets`: pre-bound listening sockets for the API."""
    roles = set(roles)
    settings = loa.settings
    tasks: list[asyncio.Task[object]] = []
    server: uvicorn.Server | None = None
    scheduler = None

    if Role.api in roles or (Role.bot in roles and settings.webhook_enabled):
        app = create_app(loa, webhook=settings.webhook_enabled and Role.bot in roles)
        server = _QuietServer(_uvicorn_config(app, settings.api_host, settings.api_port, settings))
        tasks.append(asyncio.create_task(server.serve(sockets=sockets), name="api"))
    elif settings.metrics_port and (ops_socket := _ops_socket(settings.metrics_host, settings.metrics_port)):
        ops = _uvicorn_config(create_ops_app(loa), settings.metrics_host, settings.metrics_port, settings)
        ops.access_log = False  # probes and scrapes every few seconds would drown the log
        server = _QuietServer(ops)
        tasks.append(asyncio.create_task(server.serve(sockets=[ops_socket]), name="ops-http"))
    if Role.bot in roles:
        if settings.webhook_enabled:
            await loa.start_webhook()
        elif loa.redis is not None:
            lock = PollingLock(loa.redis, f"loa:polling:{loa.bot.id}")
            tasks.append(
                asyncio.create_task(
                    poll_with_lock(lock, stop, loa.start_polling, loa.stop_polling), name="polling"
                )
            )
        else:
            tasks.append(asyncio.create_task(loa.start_polling(), name="polling"))
    if Role.scheduler in roles:
        scheduler = build_scheduler(loa)
        scheduler.start()
    if Role.worker in roles:
        from bot.worker import run_worker

        tasks.append(asyncio.create_task(run_worker(loa, stop), name="broadcast-worker"))

    stopper = asyncio.create_task(stop.wait(), name="stop")
    try:
        done, _ = await asyncio.wait([stopper, *tasks], return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task is not stopper and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        await loa.stop_polling()
        if server is not None:
            server.should_exit = True
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, timeout=10)
        stopper.cancel()


async def run(settings: Settings, roles: Iterable[Role]) -> None:
    roles = set(roles)
    loa = await Loa.create(settings)
    instrument(bot=loa.bot, dispatcher=loa.dispatcher, metrics=loa.metrics)
    log_startup(log, settings, [r.value for r in roles])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await serve(loa, roles, stop)
    finally:
        await loa.close()
