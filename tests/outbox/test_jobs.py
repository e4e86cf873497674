"""Scheduled jobs act once across scheduler replicas, and what they tell people waits in the outbox."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from config.settings import Settings
from outbox.models import Kind, OutboxMessage
from reports.models import ReportRound
from reports.scheduled import announce_pending, escalate_overdue, send_reminders
from storage.db import Database
from storage.jobs import leader_guard
from storage.locks import DatabaseLeaderLock, LeaderLock, RedisLeaderLock
from tests.reports.factories import DEADLINE, NOW, round_for, template, tree


def replica_lock(db: Database, redis: Any) -> LeaderLock:
    """What each scheduler process builds: Redis when configured, the database otherwise."""
    if redis is not None:
        return RedisLeaderLock(redis, ttl_seconds=30)
    return DatabaseLeaderLock(db, ttl_seconds=30)


async def test_two_schedulers_run_each_report_job_once(
    db: Database, settings: Settings, redis_url: str | None
) -> None:
    redis = None
    if redis_url is not None:
        from redis.asyncio import Redis

        redis = Redis.from_url(redis_url)
    async with db.transaction() as s:
        t = await tree(s)
        await round_for(s, t, await template(s))
    runs: list[tuple[str, str]] = []
    replicas = [
        leader_guard(replica_lock(db, redis), on_run=lambda job, how: runs.append((job, how)))
        for _ in range(2)
    ]
    moments = {
        "announce": NOW,
        "remind": DEADLINE - timedelta(days=1),
        "escalate": DEADLINE + timedelta(days=1),
    }
    jobs = {
        "announce": lambda: announce_pending(db=db, settings=settings, now=moments["announce"]),
        "remind": lambda: send_reminders(db=db, settings=settings, now=moments["remind"]),
        "escalate": lambda: escalate_overdue(db=db, settings=settings, now=moments["escalate"]),
    }
    for name, job in jobs.items():
        results = await asyncio.gather(*(guard(name, job)() for guard in replicas))
        assert sorted(r.get("leader", True) for r in results) == [False, True], results
    assert sorted(how for _, how in runs) == ["ok"] * 3 + ["skipped"] * 3
    async with db.transaction() as s:
        by_kind = dict(
            (await s.execute(select(OutboxMessage.kind, func.count()).group_by(OutboxMessage.kind)))
            .tuples()
            .all()
        )
        round_ = await s.scalar(select(ReportRound))
    assert by_kind[Kind.report_request] == 4  # each reachable leader asked once
    assert by_kind[Kind.report_reminder] == 4  # nobody has answered: each reminded once
    assert by_kind[Kind.report_escalation] >= 1
    assert round_ is not None and round_.announced_at is not None and round_.escalated_at is not None
    if redis is not None:
        await redis.aclose()
