from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from sqlalchemy import select

from bot.worker import on_sent_hooks
from broadcasts import service
from broadcasts.config import BroadcastConfig
from broadcasts.models import Broadcast
from directory.models import Chat, Role
from outbox.engine import Engine
from outbox.models import OutboxMessage
from outbox.ratelimit import LocalPacer
from outbox.transport import Blocked, Migrated, Permanent, RetryAfter, Transient
from storage.db import Database
from tests.broadcasts import factories as f
from tests.broadcasts.fakes import FakeTransport, Forever
from tests.broadcasts.helpers import scope, sending_broadcast

FAST = BroadcastConfig(
    approval_threshold=10_000,
    approval_wide_kinds=(),
    idle_poll_seconds=0.02,
    backoff_base=0.01,
    backoff_cap=0.05,
    max_attempts=3,
    private_chat_interval=0,
    group_per_min=1e9,
    batch_size=5,
    concurrency=4,
)


def engine(db: Database, transport: FakeTransport, config: BroadcastConfig = FAST, **kw: Any) -> Engine:
    kw.setdefault("on_sent", on_sent_hooks())
    return Engine(db=db, transport=transport, pacer=LocalPacer(10_000), config=config, **kw)


async def run_idle(e: Engine, timeout: float = 10) -> None:
    await asyncio.wait_for(e.run(asyncio.Event(), until_idle=True), timeout)


async def setup(db: Database, targets: list[str] | None = None, **kw: Any) -> tuple[f.Province, Broadcast]:
    async with db.transaction() as s:
        p = await f.province(s)
        officer = scope(p.officer, p.province, Role.officer)
        b = await sending_broadcast(
            s, officer, [p.province.id], config=FAST, targets=targets or ["group", "leader"], **kw
        )
        return p, b


async def deliveries(db: Database, bid: int) -> list[OutboxMessage]:
    async with db.transaction() as s:
        return list((await s.scalars(select(OutboxMessage).where(OutboxMessage.broadcast_id == bid))).all())


async def test_every_recipient_gets_exactly_one_message_and_the_broadcast_is_done(db: Database) -> None:
    _p, b = await setup(db)
    t = FakeTransport()
    await run_idle(engine(db, t))
    rows = await deliveries(db, b.id)
    assert len(rows) == 16 and {r.status for r in rows} == {"sent"}
    assert all(len(parts) == 1 for parts in t.sent.values()) and len(t.sent) == 16
    assert all(r.message_ids and r.sent_at for r in rows)
    async with db.transaction() as s:
        assert (await service.get(s, b.id)).status == "done"


async def test_each_outcome_is_handled(db: Database) -> None:
    p, b = await setup(db, targets=["group"])
    chats = [g.telegram_chat_id for g in p.groups]
    blocked, missing, flaky, dead, flood, migrating = chats[:6]
    t = FakeTransport(
        failures={
            blocked: [Blocked("Forbidden: bot was blocked by the user")],
            missing: [Permanent("Bad Request: chat not found")],
            flaky: [Transient("TelegramNetworkError"), Transient("TelegramServerError")],
            dead: Forever([Transient("TelegramServerError")]),
            flood: [RetryAfter(0.05)],
            migrating: [Migrated(-100_999)],
        }
    )
    e = engine(db, t)
    await run_idle(e)
    by_chat = {r.address: r for r in await deliveries(db, b.id)}
    assert by_chat[blocked].status == "blocked"
    assert by_chat[missing].status == "failed" and "chat not found" in (by_chat[missing].error or "")
    assert by_chat[flaky].status == "sent" and by_chat[flaky].attempts == 3
    assert by_chat[dead].status == "failed" and by_chat[dead].attempts == FAST.max_attempts
    assert by_chat[flood].status == "sent" and e.stats.retry_after == 1
    assert by_chat[-100_999].status == "sent" and len(t.sent[-100_999]) == 1 and migrating not in t.sent
    assert sum(1 for r in by_chat.values() if r.status == "sent") == 10 - 3
    async with db.transaction() as s:
        blocked_chat = await s.scalar(select(Chat).where(Chat.telegram_chat_id == blocked))
        assert blocked_chat is not None and not blocked_chat.is_active and blocked_chat.blocked_at
        assert (
            await s.scalar(select(Chat.migrated_from_chat_id).where(Chat.telegram_chat_id == -100_999))
            == migrating
        )
        assert (await service.get(s, b.id)).status == "done"
    assert blocked not in t.sent  # a 403 is never retried


async def test_long_text_goes_out_in_order_with_the_ack_button_last(db: Database) -> None:
    long_html = "\n\n".join(f"Đoạn {i}. " + "nội dung " * 300 for i in range(6))
    p, b = await setup(db, targets=["group"], content={"kind": "text", "html": long_html}, require_ack=True)
    t = FakeTransport()
    await run_idle(engine(db, t))
    parts = t.sent[p.groups[0].telegram_chat_id]
    assert len(parts) >= 3 and parts[0].html.startswith("Đoạn 0")
    assert parts[-1].markup is not None and all(pt.markup is None for pt in parts[:-1])
    rows = await deliveries(db, b.id)
    assert all(len(r.message_ids or []) == len(parts) for r in rows)


async def test_a_leader_filling_a_form_is_not_interrupted(db: Database) -> None:
    p, _b = await setup(db, targets=["leader"])
    busy_user = f.tg(p.leaders[0])
    busy = {busy_user}
    config = BroadcastConfig(**{**FAST.__dict__, "busy_recheck_seconds": 0.05})

    async def is_busy(user_id: int) -> bool:
        return user_id in busy

    t = FakeTransport()
    e = engine(db, t, config, is_busy=is_busy)
    task = asyncio.create_task(e.run(asyncio.Event(), until_idle=True))
    for _ in range(200):
        if t.count() == 5:
            break
        await asyncio.sleep(0.01)
    assert t.count() == 5 and busy_user not in t.sent and e.stats.deferred >= 1
    busy.clear()  # the form is finished
    await asyncio.wait_for(task, 10)
    assert len(t.sent[busy_user]) == 1


async def test_busy_wait_is_bounded_by_the_timeout(db: Database) -> None:
    _p, _b = await setup(db, targets=["leader"])

    async def always_busy(user_id: int) -> bool:
        return True

    config = BroadcastConfig(**{**FAST.__dict__, "busy_recheck_seconds": 0.02, "busy_timeout_seconds": 0.1})
    t = FakeTransport()
    await run_idle(engine(db, t, config, is_busy=always_busy))
    assert t.count() == 6


async def test_cancel_mid_send_stops_pending_deliveries(db: Database) -> None:
    _p, b = await setup(db)
    t = FakeTransport(latency=0.05)
    e = engine(db, t, BroadcastConfig(**{**FAST.__dict__, "concurrency": 1, "batch_size": 2}))
    task = asyncio.create_task(e.run(asyncio.Event(), until_idle=True))
    for _ in range(300):
        if t.count() >= 3:
            break
        await asyncio.sleep(0.01)
    async with db.transaction() as s:
        _, stopped = await service.cancel(s, scope=None, broadcast_id=b.id)
    await asyncio.wait_for(task, 10)
    rows = await deliveries(db, b.id)
    outcomes = Counter(r.status for r in rows)
    assert stopped >= 8 and outcomes["sent"] == t.count() and outcomes["sent"] < 8
    assert outcomes["sent"] + outcomes["cancelled"] == 16


async def test_two_engines_share_one_broadcast_without_double_sends(db: Database) -> None:
    _p, _b = await setup(db)
    t = FakeTransport(latency=0.005)
    e1, e2 = engine(db, t), engine(db, t)
    await asyncio.wait_for(
        asyncio.gather(e1.run(asyncio.Event(), until_idle=True), e2.run(asyncio.Event(), until_idle=True)), 20
    )
    assert t.count() == 16 and all(len(v) == 1 for v in t.sent.values())
    assert e1.stats.sent > 0 and e2.stats.sent > 0


async def test_records_of_a_dead_worker_are_recovered_after_the_lease(db: Database) -> None:
    _p, b = await setup(db)
    t = FakeTransport()
    dead = engine(db, t)
    claimed = await dead.claim(b.id, 6)  # claimed, then the process "died"
    assert len(claimed) == 6
    config = BroadcastConfig(**{**FAST.__dict__, "lease_seconds": 0.2})
    survivor = engine(db, t, config)
    await asyncio.sleep(0.25)
    await run_idle(survivor)
    assert t.count() == 16 and survivor.stats.recovered == 6
    assert {r.status for r in await deliveries(db, b.id)} == {"sent"}
