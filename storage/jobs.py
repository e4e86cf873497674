"""Every scheduled job acts once across scheduler replicas, and returns a summary that is logged and counted.

`leader_guard(lock)` wraps a job: a replica that does not hold the scheduler's leadership skips the run
(`{"leader": False}`); the leader runs it, logs its summary and reports the outcome to `on_run`, which the
process's metrics count. A failing job is logged and counted, never raised into APScheduler.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from storage.locks import LeaderLock

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[dict[str, Any]]]
Guard = Callable[[str, Job], Job]
OnRun = Callable[[str, str], None]


def leader_guard(lock: LeaderLock, *, on_run: OnRun | None = None) -> Guard:
    def guard(name: str, job: Job) -> Job:
        async def run() -> dict[str, Any]:
            if not await lock.acquire():
                if on_run:
                    on_run(name, "skipped")
                return {"leader": False}
            try:
                summary = await job()
            except Exception:
                log.exception("job %s failed", name)
                if on_run:
                    on_run(name, "failed")
                return {"leader": True, "failed": True}
            log.info("job %s: %s", name, summary)
            if on_run:
                on_run(name, "ok")
            return summary

        run.__name__ = run.__qualname__ = name
        return run

    return guard
