"""Depth and age of the outbox, read at scrape time.

The outbox table is described by an :class:`OutboxSpec` rather than imported as a model, so the
collector follows a renamed table or status by changing one value, and reading it never pulls a
domain package into the metrics module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, column, func, select, table
from sqlalchemy.ext.asyncio import AsyncSession

from storage.base import UTCDateTime, utcnow


@dataclass(frozen=True)
class OutboxSpec:
    table: str = "outbox"
    status_column: str = "status"
    waiting: tuple[str, ...] = ("pending", "sending", "retrying")
    since_column: str = "created_at"


async def outbox_stats(
    session: AsyncSession, spec: OutboxSpec, now: datetime | None = None
) -> tuple[int, float]:
    """(number of waiting rows, seconds since the oldest of them was queued)."""
    status = column(spec.status_column, String())
    since = column(spec.since_column, UTCDateTime())
    outbox = table(spec.table, status, since)
    row = (
        await session.execute(
            select(func.count(), func.min(since)).select_from(outbox).where(status.in_(spec.waiting))
        )
    ).one()
    depth, oldest = int(row[0] or 0), row[1]
    if oldest is None:
        return depth, 0.0
    return depth, max(0.0, ((now or utcnow()) - oldest).total_seconds())
