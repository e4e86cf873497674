"""APScheduler setup. Each process that runs the scheduler role owns its own scheduler and job store;
jobs are idempotent and return a summary."""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import delete

from bot.app import Loa
from broadcasts.scheduled import register_broadcast_jobs
from reports.scheduled import register_report_jobs
from storage.base import utcnow
from storage.runtime_models import ProcessedUpdate

log = logging.getLogger(__name__)


async def purge_processed_updates(loa: Loa) -> dict[str, int]:
    """Forget update ids older than the retention window; Telegram never re-delivers that late."""
    cutoff = utcnow() - timedelta(hours=loa.settings.processed_update_retention_hours)
    async with loa.db.transaction() as session:
        result = await session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < cutoff))
    summary = {"purged": int(getattr(result, "rowcount", 0) or 0)}
    log.info("purge_processed_updates: %s", summary)
    return summary


def build_scheduler(loa: Loa) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=loa.settings.tz)
    scheduler.add_job(
        purge_processed_updates,
        "interval",
        hours=1,
        args=[loa],
        id="purge_processed_updates",
        coalesce=True,
        max_instances=1,
    )
    register_broadcast_jobs(scheduler, loa)
    register_report_jobs(scheduler, loa)
    return scheduler
