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
from bot.scheduling import build_scheduler
from config.settings import Settings

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
        config = uvicorn.Config(
            app, host=settings.api_host, port=settings.api_port, log_level="warning", lifespan="off"
        )
        server = _QuietServer(config)
        tasks.append(asyncio.create_task(server.serve(sockets=sockets), name="api"))
    if Role.bot in roles:
        if settings.webhook_enabled:
            await loa.start_webhook()
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
    loa = await Loa.create(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await serve(loa, roles, stop)
    finally:
        await loa.close()
