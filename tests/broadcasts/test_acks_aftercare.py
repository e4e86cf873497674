from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from broadcasts import acks, aftercare, stats
from broadcasts.config import BroadcastConfig
from broadcasts.errors import BroadcastError
from broadcasts.models import Broadcast
from broadcasts.progress import ProgressReporter
from broadcasts.scheduled import BroadcastJobs
from common.vietnamese import VN_TZ
from directory.models import Role
from outbox.models import OutboxMessage
from storage.base import utcnow
from storage.db import Database
from tests.broadcasts import factories as f
from tests.broadcasts.fakes import FakeTransport
from tests.broadcasts.helpers import scope
from tests.broadcasts.test_engine import FAST, engine, run_idle, setup


async def sent_broadcast(db: Database, t: FakeTransport, **kw: object) -> tuple[f.Province, Broadcast]:
    p, b = await setup(db, targets=["group"], **kw)
    await run_idle(engine(db, t))
    return p, b


async def test_ack_is_idempotent_and_counted_per_chat(db: Database) -> None:
    t = FakeTransport()
    p, b = await sent_broadcast(db, t, require_ack=True, ack_deadline=utcnow() + timedelta(days=2))
    group = p.groups[2]  # the group of the first CĐCS
    async with db.transaction() as s:
        first = await acks.record_ack(
            s,
            broadcast_id=b.id,
            telegram_chat_id=group.telegram_chat_id,
            telegram_user_id=f.tg(p.leaders[0]),
        )
        again = await acks.record_ack(
            s,
            broadcast_id=b.id,
            telegram_chat_id=group.telegram_chat_id,
            telegram_user_id=f.tg(p.leaders[0]),
        )
        other = await acks.record_ack(
            s, broadcast_id=b.id, telegram_chat_id=group.telegram_chat_id, telegram_user_id=999
        )
        assert first.created and not again.created and other.created
        assert (first.count, again.count, other.count) == (1, 1, 2) and first.unit_id == p.grassroots[0].id
        silent = await acks.silent_units(s, broadcast_id=b.id)
        assert p.grassroots[0].id not in {u.id for u in silent} and len(silent) == 2 + 6 - 1
        st = await stats.stats(s, broadcast_id=b.id)
        assert st.ack_chats == 1 and st.ack_presses == 2 and st.by_outcome == {"sent": 10}
        assert sorted(u.acknowledged for u in st.by_unit) == [0, 1]
        with pytest.raises(BroadcastError):
            await acks.record_ack(s, broadcast_id=b.id, telegram_chat_id=-1, telegram_user_id=1)


async def test_reminders_then_the_parent_officer_gets_the_silent_units(db: Database) -> None:
    t = FakeTransport()
    p, b = await sent_broadcast(db, t, require_ack=True, ack_deadline=utcnow() + timedelta(hours=2))
    async with db.transaction() as s:
        upper_officer = await f.person(s, "Cán bộ huyện", at=p.uppers[0], role=Role.officer)
        for g in p.groups:  # every chat of the second upper union acknowledges
            if g.unit_id in {u.id for u in p.uppers[1:]} | {u.id for u in p.grassroots[3:]}:
                await acks.record_ack(
                    s, broadcast_id=b.id, telegram_chat_id=g.telegram_chat_id, telegram_user_id=1
                )
    t2 = FakeTransport()
    scheduler = BroadcastJobs(db=db, config=BroadcastConfig(), tz=VN_TZ)
    first = await scheduler.tick()
    assert first["ack_reminders"] == 5 and first["ack_reports"] == 0  # 2 block groups + 3 CĐCS groups
    assert (await scheduler.tick())["ack_reminders"] == 0  # once
    async with db.transaction() as s:
        (await s.get(Broadcast, b.id)).ack_deadline = utcnow() - timedelta(minutes=1)  # type: ignore[union-attr]
    after = await scheduler.tick()
    assert after["ack_reports"] == 2  # the upper union officer, and the province officer for its block groups
    await run_idle(engine(db, t2))  # the worker sends what the ticks queued
    assert sum(len(v) for v in t2.sent.values()) == 5 + 2
    (report,) = t2.sent[f.tg(upper_officer)]
    assert all(g.name in report.html for g in p.grassroots[:3]) and p.grassroots[3].name not in report.html


async def test_correct_edits_every_sent_message_and_recall_deletes(db: Database) -> None:
    t = FakeTransport()
    p, b = await sent_broadcast(db, t)
    who = scope(p.officer, p.province, Role.officer)
    async with db.transaction() as s:
        res = await aftercare.correct(
            s, scope=who, broadcast_id=b.id, content={"kind": "text", "html": "<b>Đính chính</b>"}
        )
    assert res == {"queued": 10}
    await run_idle(engine(db, t))
    assert len(t.edits) == 10 and all(h == "<b>Đính chính</b>" for _, _, h in t.edits)
    with pytest.raises(BroadcastError):
        async with db.transaction() as s:
            await aftercare.correct(
                s, scope=who, broadcast_id=b.id, content={"kind": "photo", "html": "x", "media": "F"}
            )
    async with db.transaction() as s:  # one delivery is older than 48 h, one message cannot be deleted
        rows = list(
            await s.scalars(
                select(OutboxMessage).where(OutboxMessage.broadcast_id == b.id).order_by(OutboxMessage.id)
            )
        )
        rows[0].sent_at = utcnow() - timedelta(hours=49)
        t.undeletable.add(rows[1].message_ids[0])  # type: ignore[index]
    async with db.transaction() as s:
        res = await aftercare.recall(s, scope=who, broadcast_id=b.id, config=BroadcastConfig())
    assert res == {"queued": 9, "too_old": 1}
    await run_idle(engine(db, t))
    async with db.transaction() as s:  # the undeletable one stays sent; its deletion is recorded as failed
        assert (await stats.by_outcome(s, broadcast_id=b.id)) == {"recalled": 8, "sent": 2}


async def test_progress_message_is_edited_and_a_summary_sent(db: Database) -> None:
    p, b = await setup(db, targets=["group"])
    async with db.transaction() as s:
        row = await s.get(Broadcast, b.id)
        assert row is not None
        row.progress_chat_id = f.tg(p.officer)
    t = FakeTransport()
    reporter = ProgressReporter(db=db, config=BroadcastConfig(progress_interval=0))
    assert await reporter.pass_once() == 1
    await run_idle(engine(db, t, config=replace(FAST, private_chat_interval=0)))  # progress, then the rest
    (progress,) = t.sent[f.tg(p.officer)]
    assert "0/10" in progress.html
    await reporter.pass_once()
    await run_idle(engine(db, t))
    final = t.sent[f.tg(p.officer)]
    assert len(final) == 2 and "Đã gửi xong" in final[1].html and "Theo đơn vị" in final[1].html
    assert t.edits and "10/10" in t.edits[-1][2]
    assert await reporter.pass_once() == 0  # the summary goes once
