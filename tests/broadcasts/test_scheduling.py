from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from broadcasts import schedules, service
from broadcasts.config import BroadcastConfig
from broadcasts.models import Broadcast, BroadcastSchedule, Status
from broadcasts.scheduled import BroadcastJobs
from common.vietnamese import VN_TZ
from directory.models import Role
from storage.base import utcnow
from storage.db import Database
from storage.jobs import leader_guard
from storage.locks import DatabaseLeaderLock, LeaderLock, RedisLeaderLock
from tests.broadcasts import factories as f
from tests.broadcasts.fakes import FakeTransport
from tests.broadcasts.helpers import scope
from tests.broadcasts.test_engine import engine, run_idle

WEEKLY = {"kind": "weekly", "time": "07:00", "weekdays": [0]}
TEXT = {"kind": "text", "html": "Bản tin tuần"}


async def approved_template(db: Database) -> tuple[f.Province, int, int]:
    async with db.transaction() as s:
        p = await f.province(s)
        officer = scope(p.officer, p.province, Role.officer)
        b, _ = await service.create(
            s, scope=officer, title="Bản tin tuần", content=TEXT, audience_spec={"roots": [p.uppers[0].id]}
        )
        await service.submit(s, scope=officer, broadcast_id=b.id, config=BroadcastConfig())
        sched = await schedules.create_schedule(s, scope=officer, template_id=b.id, rule=WEEKLY, tz=VN_TZ)
        assert sched.next_run_at is not None and sched.next_run_at.astimezone(VN_TZ).weekday() == 0
        return p, b.id, sched.id


async def set_due(db: Database, sid: int, ago: timedelta) -> None:
    async with db.transaction() as s:
        sched = await s.get(BroadcastSchedule, sid)
        assert sched is not None
        sched.next_run_at = utcnow() - ago


async def copies(db: Database, sid: int) -> list[Broadcast]:
    async with db.transaction() as s:
        return list(await s.scalars(select(Broadcast).where(Broadcast.schedule_id == sid)))


def jobs(db: Database) -> BroadcastJobs:
    return BroadcastJobs(db=db, config=BroadcastConfig(misfire_grace_seconds=600), tz=VN_TZ)


async def test_a_due_occurrence_fires_once_and_the_next_one_is_computed(db: Database) -> None:
    _, template_id, sid = await approved_template(db)
    await set_due(db, sid, timedelta(minutes=1))
    scheduler = jobs(db)
    summary = await scheduler.tick()
    assert summary["fired"] == 1
    (copy,) = await copies(db, sid)
    assert copy.status == Status.sending and copy.total == 5 and copy.id != template_id
    async with db.transaction() as s:
        sched = await s.get(BroadcastSchedule, sid)
        assert sched is not None and sched.next_run_at is not None and sched.next_run_at > utcnow()
    assert (await scheduler.tick())["fired"] == 0  # idempotent


async def test_misfire_beyond_grace_is_missed_and_the_author_told(db: Database) -> None:
    p, _, sid = await approved_template(db)
    await set_due(db, sid, timedelta(hours=3))
    t = FakeTransport()
    summary = await jobs(db).tick()
    assert summary["fired"] == 0 and summary["missed"] == 1
    assert await copies(db, sid) == []
    await run_idle(engine(db, t))  # the notice was queued with the record of the miss
    (note,) = t.sent[f.tg(p.officer)]
    assert "bị lỡ" in note.html
    async with db.transaction() as s:
        sched = await s.get(BroadcastSchedule, sid)
        assert sched is not None and sched.missed_count == 1 and (sched.next_run_at or utcnow()) > utcnow()


async def test_one_off_scheduled_broadcast_within_and_beyond_grace(db: Database) -> None:
    async with db.transaction() as s:
        p = await f.province(s)
        officer = scope(p.officer, p.province, Role.officer)
        ids = []
        for _ in range(2):
            b, _ = await service.create(
                s, scope=officer, title="Hẹn giờ", content=TEXT, audience_spec={"roots": [p.uppers[0].id]}
            )
            await service.submit(s, scope=officer, broadcast_id=b.id, config=BroadcastConfig())
            await service.schedule(s, scope=officer, broadcast_id=b.id, at=utcnow() + timedelta(hours=1))
            ids.append(b.id)
    soon, late = ids
    async with db.transaction() as s:
        (await service.get(s, soon)).scheduled_at = utcnow() - timedelta(minutes=5)
        (await service.get(s, late)).scheduled_at = utcnow() - timedelta(hours=5)
    summary = await jobs(db).tick()
    assert summary["fired"] == 1 and summary["missed"] == 1
    async with db.transaction() as s:
        assert (await service.get(s, soon)).status == Status.sending
        missed = await service.get(s, late)
        assert missed.status == Status.cancelled and missed.note == "missed"


async def test_two_schedulers_never_fire_the_same_occurrence_twice(
    db: Database, redis_url: str | None
) -> None:
    _, _, sid = await approved_template(db)
    await set_due(db, sid, timedelta(minutes=1))
    # two schedulers without any lock between them: the compare-and-set alone prevents a double send
    free_a, free_b = jobs(db), jobs(db)
    results = await asyncio.gather(free_a.tick(), free_b.tick())
    assert sum(int(r["fired"]) for r in results) == 1
    assert len(await copies(db, sid)) == 1


async def test_only_one_scheduler_leads(db: Database, redis_url: str | None) -> None:
    a: LeaderLock
    b: LeaderLock
    if redis_url is None:  # without Redis the lease lives in the database
        a, b = DatabaseLeaderLock(db, ttl_seconds=0.3), DatabaseLeaderLock(db, ttl_seconds=0.3)
    else:
        from redis.asyncio import Redis

        client = Redis.from_url(redis_url)
        a = RedisLeaderLock(client, ttl_seconds=0.3)
        b = RedisLeaderLock(client, ttl_seconds=0.3)
    assert await a.acquire() and await a.acquire()  # renewal
    assert not await b.acquire()
    assert (await leader_guard(b)("broadcasts.tick", jobs(db).tick)()) == {"leader": False}
    await a.release()
    assert await b.acquire() and not await a.acquire()
    await b.release()
    assert await a.acquire()
    await asyncio.sleep(0.4)  # the leader died without releasing: its lease runs out
    assert await b.acquire()
    if redis_url is not None:
        await client.aclose()


async def test_pausing_stops_the_schedule(db: Database) -> None:
    p, _, sid = await approved_template(db)
    async with db.transaction() as s:
        await schedules.pause_schedule(s, scope=scope(p.officer, p.province, Role.officer), schedule_id=sid)
    await set_due(db, sid, timedelta(minutes=1))
    assert (await jobs(db).tick())["fired"] == 0
    async with db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Broadcast)) == 1


async def test_rule_is_validated(db: Database) -> None:
    p, template_id, _ = await approved_template(db)
    from broadcasts.errors import BroadcastError

    async with db.transaction() as s:
        with pytest.raises(BroadcastError):
            await schedules.create_schedule(
                s,
                scope=scope(p.officer, p.province, Role.officer),
                template_id=template_id,
                rule={"kind": "hourly"},
                tz=VN_TZ,
            )
