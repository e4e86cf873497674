"""The outbox against the Telegram sandbox with its limits on: notices go out at the configured rate
without a 429; a database outage during a broadcast loses nobody and duplicates at most the sends in
flight."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import select

from bot.app import Loa
from bot.worker import build_engine
from broadcasts.config import BroadcastConfig
from config.settings import Settings
from directory.models import Role
from outbox.models import OutboxMessage
from reports.notify import remind_missing
from reports.scheduled import announce_round
from sandbox.client import SandboxClient
from storage.db import Database
from tests.broadcasts.helpers import scope, sending_broadcast
from tests.outbox.processes import received, wait_until
from tests.outbox.world import open_monthly_round, union

OUTAGE_SECONDS = 60.0


@contextlib.asynccontextmanager
async def running(loa: Loa, config: BroadcastConfig) -> AsyncIterator[Any]:
    engine = build_engine(loa, config)
    stop = asyncio.Event()
    task = asyncio.create_task(engine.run(stop))
    try:
        yield engine
    finally:
        stop.set()
        await task


async def test_a_round_and_its_reminders_go_out_at_the_configured_rate_without_a_429(
    db: Database, settings: Settings, sandbox: Any
) -> None:
    client = SandboxClient(sandbox.base_url)
    async with db.transaction() as s:
        u = await union(s, client, grassroots=300)
        round_ = await open_monthly_round(s, u)
        assert (await announce_round(session=s, round_=round_))["sent"] == 300
        reminded = await remind_missing(session=s, round_=round_, root_path=u.root.path, kind="reminder")
        assert reminded["sent"] == 300
    loa = await Loa.create(settings.model_copy(update={"telegram_api_base": sandbox.base_url}))
    config = BroadcastConfig(rate_per_sec=30.0, idle_poll_seconds=0.05)  # the sandbox's (Telegram's) limit
    try:
        async with running(loa, config):

            async def all_sent() -> bool:
                return len(await client.get_calls(method="sendMessage", status=200)) >= 600

            await wait_until(all_sent, 120, "600 messages")
    finally:
        await loa.close()
    times = sorted(c["time"] for c in await client.get_calls(method="sendMessage", status=200))
    assert len(times) == 600
    rate = (len(times) - 1) / (times[-1] - times[0])
    assert rate >= 0.97 * 30.0, rate
    assert await client.get_calls(status=429) == []
    assert set((await received(client, u.leader_chats)).values()) == {2}  # the request and one reminder
    await client.close()


@contextlib.asynccontextmanager
async def outage(settings: Settings) -> AsyncIterator[None]:
    """The outbox cannot be written for a while: SQLite's file locked by another writer, or the table
    locked in PostgreSQL. Every write of the engine waits or fails until the lock goes."""
    url = settings.database_url
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.split("///", 1)[1], timeout=1, check_same_thread=False)
        conn.isolation_level = None
        await asyncio.to_thread(conn.execute, "BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            await asyncio.to_thread(conn.execute, "ROLLBACK")
            conn.close()
        return
    import asyncpg

    pg = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    tx = pg.transaction()
    await tx.start()
    await pg.execute("LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE")
    try:
        yield
    finally:
        await tx.rollback()
        await pg.close()


async def test_a_database_outage_during_a_broadcast_loses_nobody(
    db: Database, settings: Settings, sandbox: Any
) -> None:
    client = SandboxClient(sandbox.base_url)
    async with db.transaction() as s:
        u = await union(s, client, grassroots=80, groups=80, leaders=False)
        assert u.officer is not None
        await sending_broadcast(
            s,
            scope(u.officer, u.root, Role.officer),
            [u.root.id],
            config=BroadcastConfig(approval_wide_kinds=()),
            content={"kind": "text", "html": "Thông báo lịch họp."},
        )
    loa = await Loa.create(settings.model_copy(update={"telegram_api_base": sandbox.base_url}))
    config = BroadcastConfig(rate_per_sec=10.0, concurrency=4, batch_size=10, idle_poll_seconds=0.05)
    try:
        async with running(loa, config) as engine:

            async def some() -> bool:
                return sum((await received(client, u.groups)).values()) >= 15

            await wait_until(some, 120, "the broadcast to be under way")
            async with outage(settings):
                await asyncio.sleep(OUTAGE_SECONDS)  # the outage itself: nothing to poll for

            async def everyone() -> bool:
                return all(n >= 1 for n in (await received(client, u.groups)).values())

            await wait_until(everyone, 120, "every group after the outage")
    finally:
        await loa.close()
    counts = await received(client, u.groups)
    duplicates = sum(n - 1 for n in counts.values())
    assert duplicates <= config.concurrency, counts
    async with db.transaction() as s:
        statuses = set(await s.scalars(select(OutboxMessage.status)))
    assert statuses == {"sent"}
    assert engine.stats.sent >= 80 - duplicates
    await client.close()
