"""APScheduler setup. Each process that runs the scheduler role owns its own scheduler and job store;
every job is wrapped by the leadership guard (`storage.jobs`), so across replicas each run acts once, and
returns a summary that is logged and counted."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import delete

from bot.app import Loa
from broadcasts.config import BroadcastConfig
from broadcasts.scheduled import register_broadcast_jobs
from reports.scheduled import register_report_jobs
from storage.base import utcnow
from storage.jobs import Guard, leader_guard
from storage.locks import DatabaseLeaderLock, LeaderLock, RedisLeaderLock
from storage.runtime_models import ProcessedUpdate

log = logging.getLogger(__name__)


async def purge_processed_updates(loa: Loa) -> dict[str, int]:
    """Forget update ids older than the retention window; Telegram never re-delivers that late."""
    cutoff = utcnow() - timedelta(hours=loa.settings.processed_update_retention_hours)
    async with loa.db.transaction() as session:
        result = await session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < cutoff))
    return {"purged": int(getattr(result, "rowcount", 0) or 0)}


def scheduler_lock(loa: Loa, config: BroadcastConfig) -> LeaderLock:
    if loa.redis is not None:
        return RedisLeaderLock(loa.redis, ttl_seconds=config.lock_ttl_seconds)
    return DatabaseLeaderLock(loa.db, ttl_seconds=config.lock_ttl_seconds)


def build_guard(loa: Loa, config: BroadcastConfig) -> Guard:
    def counted(job: str, outcome: str) -> None:
        loa.metrics.job_runs.labels(job=job, outcome=outcome).inc()

    return leader_guard(scheduler_lock(loa, config), on_run=counted)


def build_scheduler(loa: Loa, guard: Guard | None = None) -> AsyncIOScheduler:
    config = BroadcastConfig.from_settings(loa.settings)
    guard = guard or build_guard(loa, config)
    scheduler = AsyncIOScheduler(timezone=loa.settings.tz)

    async def purge() -> dict[str, Any]:
        return await purge_processed_updates(loa)

    scheduler.add_job(
        guard("purge_processed_updates", purge),
        "interval",
        hours=1,
        id="purge_processed_updates",
        coalesce=True,
        max_instances=1,
    )
    register_broadcast_jobs(scheduler, db=loa.db, config=config, tz=loa.settings.tz, guard=guard)
    register_report_jobs(scheduler, db=loa.db, settings=loa.settings, guard=guard)
    return scheduler
