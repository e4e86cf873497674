"""Several real worker processes (`loa run --role worker`) share the outbox with the Telegram sandbox
(limits on): leases renewed by their holder mean no duplicates without a crash; a killed worker's
records, committed but not yet sent, are picked up again within seconds."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, select

from broadcasts.config import BroadcastConfig
from config.settings import Settings
from directory.models import Role
from outbox.models import OutboxMessage
from reports.models import ReportMessage
from reports.scheduled import announce_round
from sandbox.client import SandboxClient
from storage.db import Database
from tests.broadcasts.helpers import scope, sending_broadcast
from tests.outbox.processes import received, start_worker, stop, wait_until
from tests.outbox.world import open_monthly_round, union

LONG = " ".join(f"Câu thứ {i} của chỉ thị về công tác thông tin, báo cáo." for i in range(220))  # 3 parts


async def test_five_workers_share_a_three_part_broadcast_with_no_duplicates(
    db: Database, settings: Settings, sandbox: Any
) -> None:
    client = SandboxClient(sandbox.base_url)
    async with db.transaction() as s:
        u = await union(s, client, grassroots=60, groups=60, leaders=False)
        assert u.officer is not None
        b = await sending_broadcast(
            s,
            scope(u.officer, u.root, Role.officer),
            [u.root.id],
            config=BroadcastConfig(approval_wide_kinds=()),
            content={"kind": "text", "html": LONG},
        )
        assert b.total == 60
    # without Redis each process paces itself: five of them share the bot's 30 msg/s by hand
    rate = "30" if settings.redis_url else "6"
    env = {
        "LOA_BROADCAST_RATE_PER_SEC": rate,
        "LOA_BROADCAST_BATCH_SIZE": "5",
        "LOA_BROADCAST_CONCURRENCY": "16",
    }
    workers = [start_worker(settings, sandbox.base_url, **env) for _ in range(5)]
    try:

        async def all_parts() -> bool:
            counts = await received(client, u.groups)
            return all(n >= 3 for n in counts.values())

        await wait_until(all_parts, 300, "every group to get its three parts", workers)

        async def all_written() -> bool:  # the last outcomes reach the database just after the sends
            async with db.transaction() as s:
                still_open = await s.scalar(
                    select(func.count()).where(
                        OutboxMessage.broadcast_id == b.id, OutboxMessage.status != "sent"
                    )
                )
            return still_open == 0

        await wait_until(all_written, 60, "every record written as sent", workers)
    finally:
        errors = [stop(w) for w in workers]
    counts = await received(client, u.groups)
    assert Counter(counts.values()) == Counter({3: 60}), (counts, errors)  # every part once, nobody twice
    assert await client.get_calls(status=429) == [] if settings.redis_url else True
    await client.close()


async def test_a_killed_worker_loses_no_notice_and_its_records_resume_within_seconds(
    db: Database, settings: Settings, sandbox: Any
) -> None:
    client = SandboxClient(sandbox.base_url)
    async with db.transaction() as s:
        u = await union(s, client, grassroots=40)
        round_ = await open_monthly_round(s, u)
        announced = await announce_round(session=s, round_=round_)
    assert announced["sent"] == 40  # committed: 40 requests wait in the outbox, none sent yet
    await client.add_fault(kind="slow", delay=0.25, method="sendMessage", count=10_000)
    env = {"LOA_BROADCAST_BATCH_SIZE": "10", "LOA_BROADCAST_CONCURRENCY": "2"}
    first = start_worker(settings, sandbox.base_url, **env)

    async def some_sent() -> bool:
        return sum((await received(client, u.leader_chats)).values()) >= 4

    try:
        await wait_until(some_sent, 300, "the first worker to send a few requests", [first])
    finally:
        stop(first, kill=True)
    killed_at = (await client.get_clock())["time"]
    async with db.transaction() as s:
        held = set(await s.scalars(select(OutboxMessage.address).where(OutboxMessage.status == "sending")))
    assert held, "the killed worker held claimed records"
    second = start_worker(settings, sandbox.base_url, **env)
    try:

        async def everyone() -> bool:
            return all(n >= 1 for n in (await received(client, u.leader_chats)).values())

        await wait_until(everyone, 300, "every leader to get the request", [second])
    finally:
        err = stop(second)
    resumed = [
        c["time"]
        for c in await client.get_calls(method="sendMessage", status=200)
        if c["chat_id"] in held and c["time"] > killed_at
    ]
    assert resumed, err
    assert min(resumed) - killed_at <= 10.0  # a dead worker's lease lapses in seconds, not minutes
    counts = await received(client, u.leader_chats)
    duplicates = sum(n - 1 for n in counts.values())
    assert duplicates <= 2  # at most the sends in flight at the kill (the engine's concurrency)
    async with db.transaction() as s:  # the "once sent" hook ran for every request: replies will match
        assert (await s.scalar(select(func.count()).select_from(ReportMessage)) or 0) >= 40
    await client.close()
