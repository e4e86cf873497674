"""Broadcast jobs on the APScheduler of the scheduler role.

The scheduler's leadership guard (`storage.jobs`) makes the tick act on one replica only. Schedules live
in Loa's own tables, never in an APScheduler job store; firing itself is a compare-and-set (see
`broadcasts.schedules`). Whatever the tick tells people is queued in the outbox.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from broadcasts import acks, schedules
from broadcasts.config import BroadcastConfig
from storage.db import Database
from storage.jobs import Guard

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)


class BroadcastJobs:
    def __init__(
        self,
        *,
        db: Database,
        config: BroadcastConfig,
        tz: ZoneInfo,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.db, self.config, self.tz, self.clock = db, config, tz, clock

    async def tick(self) -> dict[str, Any]:
        """One scheduler pass: due schedules start (or are reported missed), acknowledgment reminders
        and reports are queued. Idempotent; returns a summary."""
        now = self.clock() if self.clock else None
        run = await schedules.run_due(
            self.db, now=now, tz=self.tz, grace_seconds=self.config.misfire_grace_seconds
        )
        async with self.db.transaction() as s:
            followups = await acks.run_followups(s, config=self.config, now=now, tz=self.tz)
        return {"leader": True, **run.as_dict(), **followups}


def register_broadcast_jobs(
    scheduler: AsyncIOScheduler, *, db: Database, config: BroadcastConfig, tz: ZoneInfo, guard: Guard
) -> BroadcastJobs:
    jobs = BroadcastJobs(db=db, config=config, tz=tz)
    scheduler.add_job(
        guard("broadcasts.tick", jobs.tick),
        "interval",
        seconds=config.tick_seconds,
        id="broadcasts_tick",
        next_run_time=datetime.now(tz),  # catch up on start: misfires are judged at once
        coalesce=True,
        max_instances=1,
    )
    return jobs
