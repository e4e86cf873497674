"""Broadcast jobs on the APScheduler of the scheduler role, and the worker role's entry point.

Only one scheduler acts at a time: a Redis lock (SET NX PX, renewed on every tick) when Redis is
configured, an in-process lock otherwise. Schedules live in Loa's own tables, never in an
APScheduler job store; firing itself is a compare-and-set (see `broadcasts.schedules`).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, Protocol
from zoneinfo import ZoneInfo

from redis.asyncio import Redis
from sqlalchemy import select

from broadcasts import acks, schedules
from broadcasts.config import BroadcastConfig
from broadcasts.content import Part, PartKind
from directory.models import Chat, ChatKind
from outbox.ratelimit import LocalPacer, Pacer, RedisPacer
from outbox.transport import SendError, Transport
from storage.db import Database

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from bot.app import Loa

log = logging.getLogger(__name__)
Notify = Callable[[int | None, str], Awaitable[None]]
LOCK_KEY = "loa:broadcasts:scheduler"

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0
"""
_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"


class LeaderLock(Protocol):
    async def acquire(self) -> bool:
        """Take or renew leadership; False while another scheduler holds it."""
        ...

    async def release(self) -> None: ...


class RedisLeaderLock:
    def __init__(self, redis: Redis, *, ttl_seconds: float, key: str = LOCK_KEY) -> None:
        self.redis, self.key, self.ttl_ms = redis, key, int(ttl_seconds * 1000)
        self.token = uuid.uuid4().hex

    async def acquire(self) -> bool:
        return bool(await self.redis.eval(_RENEW, 1, self.key, self.token, self.ttl_ms))  # type: ignore[misc]

    async def release(self) -> None:
        await self.redis.eval(_RELEASE, 1, self.key, self.token)  # type: ignore[misc]


class LocalLeaderLock:
    """Without Redis: one leader among the schedulers of this process."""

    _holders: ClassVar[dict[str, str]] = {}

    def __init__(self, key: str = LOCK_KEY) -> None:
        self.key, self.token = key, uuid.uuid4().hex

    async def acquire(self) -> bool:
        holder = self._holders.setdefault(self.key, self.token)
        return holder == self.token

    async def release(self) -> None:
        if self._holders.get(self.key) == self.token:
            del self._holders[self.key]


def person_notifier(db: Database, transport: Transport) -> Notify:
    """Tells a person something in their private chat with the bot (if they have one)."""

    async def notify(person_id: int | None, text: str) -> None:
        if person_id is None:
            return
        async with db.transaction() as s:
            chat_id = await s.scalar(
                select(Chat.telegram_chat_id).where(
                    Chat.person_id == person_id, Chat.kind == ChatKind.private, Chat.is_active.is_(True)
                )
            )
        if chat_id is None:
            return
        try:
            await transport.send(chat_id, Part(PartKind.text, text))
        except SendError as exc:
            log.warning("could not notify person %s: %s", person_id, exc.reason)

    return notify


class BroadcastJobs:
    def __init__(
        self,
        *,
        db: Database,
        config: BroadcastConfig,
        tz: ZoneInfo,
        lock: LeaderLock,
        transport: Transport,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.db, self.config, self.tz, self.lock, self.transport = db, config, tz, lock, transport
        self.notify = person_notifier(db, transport)
        self.clock = clock

    async def tick(self) -> dict[str, object]:
        """One scheduler pass; idempotent, returns a summary."""
        if not await self.lock.acquire():
            return {"leader": False}
        now = self.clock() if self.clock else None
        run = await schedules.run_due(
            self.db, now=now, tz=self.tz, grace_seconds=self.config.misfire_grace_seconds
        )
        for person_id, text in run.missed:
            await self.notify(person_id, text)
        followups = await acks.run_followups(
            self.db, transport=self.transport, notify=self.notify, config=self.config, now=now, tz=self.tz
        )
        summary: dict[str, object] = {"leader": True, **run.as_dict(), **followups}
        if run.fired or run.missed:
            log.info("broadcast jobs: %s", summary)
        return summary


def transport_for(loa: Loa) -> Transport:
    from outbox.telegram import TelegramTransport

    return TelegramTransport(loa.bot)


def pacer_for(loa: Loa, config: BroadcastConfig) -> Pacer:
    """The global send rate, shared by every process through Redis when it is configured."""
    if loa.redis is not None:
        return RedisPacer(loa.redis, "loa:broadcasts:rate", config.global_rate)
    return LocalPacer(config.global_rate)


def register_broadcast_jobs(scheduler: AsyncIOScheduler, loa: Loa) -> BroadcastJobs:
    config = BroadcastConfig.from_settings(loa.settings)
    lock: LeaderLock = (
        RedisLeaderLock(loa.redis, ttl_seconds=config.lock_ttl_seconds) if loa.redis else LocalLeaderLock()
    )
    jobs = BroadcastJobs(
        db=loa.db, config=config, tz=loa.settings.tz, lock=lock, transport=transport_for(loa)
    )
    scheduler.add_job(
        jobs.tick,
        "interval",
        seconds=config.tick_seconds,
        id="broadcasts_tick",
        next_run_time=datetime.now(loa.settings.tz),  # catch up on start: misfires are judged at once
        coalesce=True,
        max_instances=1,
    )
    return jobs


async def run_worker(loa: Loa, stop: asyncio.Event) -> None:
    """The worker role: deliver broadcasts until `stop` is set."""
    from bot.retry import interactive_retry
    from broadcasts.progress import ProgressReporter
    from outbox.engine import Engine

    interactive_retry.set(False)  # the engine paces itself and accounts for every 429

    config = BroadcastConfig.from_settings(loa.settings)
    transport = transport_for(loa)
    engine = Engine(
        db=loa.db,
        transport=transport,
        pacer=pacer_for(loa, config),
        config=config,
        is_busy=fsm_busy_checker(loa),
    )
    reporter = ProgressReporter(db=loa.db, transport=transport, config=config)
    await asyncio.gather(engine.run(stop), reporter.run(stop))


def fsm_busy_checker(loa: Loa) -> Callable[[int], Awaitable[bool]]:
    """True while a person has a conversation state (e.g. a report form) open in their private chat."""
    from aiogram.fsm.storage.base import StorageKey

    storage = loa.dispatcher.storage

    async def is_busy(telegram_user_id: int) -> bool:
        key = StorageKey(bot_id=loa.bot.id, chat_id=telegram_user_id, user_id=telegram_user_id)
        return await storage.get_state(key) is not None

    return is_busy
