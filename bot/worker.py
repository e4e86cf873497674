"""The worker role: the delivery engine and the broadcast progress reporter, assembled from settings.

Here, and only here, each messenger's transport and pacer are chosen, and each outbox kind's "once sent"
hook is wired to its domain (the domains never import the engine's assembly).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from aiogram.fsm.storage.base import StorageKey

from bot.app import Loa
from bot.retry import interactive_retry
from broadcasts.config import BroadcastConfig
from broadcasts.progress import ProgressReporter, on_progress_sent
from outbox import service as outbox_service
from outbox.engine import Engine, OnSent
from outbox.models import Kind
from outbox.ratelimit import LocalPacer, Pacer, RedisPacer
from outbox.telegram import TelegramTransport
from outbox.transport import Transport
from reports.notify import on_request_sent

log = logging.getLogger(__name__)


def transports_for(loa: Loa) -> dict[str, Transport]:
    transports: dict[str, Transport] = {"telegram": TelegramTransport(loa.bot)}
    if loa.settings.zalo_token is not None:
        from messengers.zalo.runtime import zalo_transport

        transports["zalo"] = zalo_transport(loa)
    return transports


def pacers_for(loa: Loa, config: BroadcastConfig) -> dict[str, Pacer]:
    """The global send rate per messenger, shared by every process through Redis when it is configured."""
    zalo_rate = loa.settings.zalo_rate_per_sec
    if loa.redis is not None:
        return {
            "telegram": RedisPacer(loa.redis, "loa:broadcasts:rate", config.global_rate),
            "zalo": RedisPacer(loa.redis, "loa:zalo:rate", zalo_rate),
        }
    return {"telegram": LocalPacer(config.global_rate), "zalo": LocalPacer(zalo_rate)}


def on_sent_hooks() -> dict[str, OnSent]:
    from archive.petition_delivery import on_notice_sent
    from broadcasts.aftercare import on_recalled

    return {
        Kind.report_request: on_request_sent,
        Kind.report_reminder: on_request_sent,
        Kind.broadcast_progress: on_progress_sent,
        Kind.petition_notice: on_notice_sent,
        Kind.broadcast_recall: on_recalled,
    }


def fsm_busy_checker(loa: Loa) -> Callable[[int], Awaitable[bool]]:
    """True while a person has a conversation state (e.g. a report form) open in their private chat."""
    storage = loa.dispatcher.storage

    async def is_busy(user_id: int) -> bool:
        key = StorageKey(bot_id=loa.bot.id, chat_id=user_id, user_id=user_id)
        return await storage.get_state(key) is not None

    return is_busy


def build_engine(loa: Loa, config: BroadcastConfig | None = None) -> Engine:
    config = config or BroadcastConfig.from_settings(loa.settings)
    return Engine(
        db=loa.db,
        transport=transports_for(loa),
        pacer=pacers_for(loa, config),
        config=config,
        is_busy=fsm_busy_checker(loa),
        on_sent=on_sent_hooks(),
        on_outcome=lambda kind, channel, outcome: loa.metrics.deliveries.labels(kind, channel, outcome).inc(),
    )


async def run_worker(loa: Loa, stop: asyncio.Event) -> None:
    """Deliver everything in the outbox until `stop` is set."""
    interactive_retry.set(False)  # the engine paces itself and accounts for every 429
    config = BroadcastConfig.from_settings(loa.settings)
    engine = build_engine(loa, config)
    reporter = ProgressReporter(db=loa.db, config=config)
    try:
        await asyncio.gather(engine.run(stop), reporter.run(stop), watch_outbox(loa, stop))
    finally:
        for transport in engine.transports.values():
            close = getattr(transport, "close", None)  # transports with their own HTTP client (Zalo)
            if close is not None:
                await close()


async def watch_outbox(loa: Loa, stop: asyncio.Event, every: float = 5.0) -> None:
    """Keeps the outbox gauges (records by kind, channel and status) current for /metrics. A database that
    does not answer is logged once when it goes and once when it is back, not on every pass."""
    failing = False
    while not stop.is_set():
        try:
            async with loa.db.transaction() as s:
                rows = await outbox_service.counts(s)
            loa.metrics.outbox_records.clear()
            for kind, channel, status, n in rows:
                loa.metrics.outbox_records.labels(kind, channel, status).set(n)
            if failing:
                log.warning("the outbox can be counted again")
            failing = False
        except Exception as exc:
            if not failing:
                log.warning("could not count the outbox (%s); retrying quietly", type(exc).__name__)
            failing = True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
