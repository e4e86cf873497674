"""Scheduled report jobs: open rounds on schedule, announce them, remind the missing, escalate overdue.

Every job is idempotent (what was done is recorded on the round in the same transaction) and returns a
summary dict. They take the database and the settings; what they tell people goes into the outbox in
the same transaction as the change it announces.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from config.settings import Settings
from directory.models import OrgUnit
from reports.models import PeriodKind, ReportRound, ReportSchedule, ReportTarget, RoundStatus
from reports.notify import (
    ask_units,
    overdue_header,
    remind_markup,
    remind_missing,
    tell_officers_by_parent,
)
from reports.periods import end_of_day, period_bounds, scheduled_dates
from reports.rollup import missing_units
from reports.services import current_template, open_round
from storage.base import utcnow
from storage.db import Database
from storage.jobs import Guard

if TYPE_CHECKING:
    from apscheduler.schedulers.base import BaseScheduler


log = logging.getLogger(__name__)
REMINDER_HOUR = time(8, 0)
UNREACHABLE_HEADER = (
    "ℹ️ <b>Chưa gửi được yêu cầu báo cáo</b>: các đơn vị sau chưa có Chủ tịch CĐCS đăng ký trên Loa "
    "(hoặc đã chặn Loa). Xin liên hệ trực tiếp hoặc gửi đường dẫn mời cho đơn vị."
)


async def announce_round(
    *, session: AsyncSession, round_: ReportRound, now: datetime | None = None
) -> dict[str, int]:
    """Send the request to every target unit's leaders; tell officers which units cannot be reached."""
    if round_.announced_at is not None:
        return {"sent": 0, "unreachable": 0}
    units = list(
        await session.scalars(
            select(OrgUnit)
            .join(ReportTarget, ReportTarget.unit_id == OrgUnit.id)
            .where(ReportTarget.round_id == round_.id)
            .order_by(OrgUnit.path)
        )
    )
    sent, unreachable = await ask_units(
        session=session, round_=round_, units=units, kind="request"
    )
    told = 0
    if unreachable:
        header = f"{UNREACHABLE_HEADER}\nKỳ báo cáo: {round_.title}"
        told = await tell_officers_by_parent(session=session, units=unreachable, header=header)
    round_.announced_at = now or utcnow()
    await session.flush()
    return {"targets": len(units), "sent": sent, "unreachable": len(unreachable), "officers_told": told}


async def open_scheduled_rounds(
    *, db: Database, settings: Settings, now: datetime | None = None
) -> dict[str, Any]:
    now = now or utcnow()
    today = now.astimezone(settings.tz).date()
    opened: list[int] = []
    async with db.transaction() as session:
        schedules = list(
            await session.scalars(select(ReportSchedule).where(ReportSchedule.is_active.is_(True)))
        )
        for schedule in schedules:
            kind = PeriodKind(schedule.period_kind)
            dates = scheduled_dates(kind, today, schedule.open_day, schedule.due_day)
            if dates is None:
                continue
            opens, due = dates
            if await _exists(session, schedule.id, kind, opens):
                continue
            template = await current_template(session=session, code=schedule.template_code)
            round_ = await open_round(
                session=session,
                template_id=template.id,
                period_kind=kind,
                period_day=opens,
                deadline=end_of_day(due, settings.tz),
                root_unit_id=schedule.root_unit_id,
                target_kinds=schedule.target_kinds,
                target_blocks=schedule.target_blocks,
                reminder_offsets=schedule.reminder_offsets or (3, 1, 0),
                schedule_id=schedule.id,
                now=now,
            )
            opened.append(round_.id)
    announced = await announce_pending(db=db, settings=settings, now=now)
    summary = {"opened": opened, **announced}
    log.info("open_scheduled_rounds: %s", summary)
    return summary


async def _exists(session: AsyncSession, schedule_id: int, kind: PeriodKind, day: date) -> bool:
    start, _ = period_bounds(kind, day)
    found = await session.scalar(
        select(ReportRound.id).where(
            ReportRound.schedule_id == schedule_id, ReportRound.period_start == start
        )
    )
    return found is not None


async def announce_pending(
    *, db: Database, settings: Settings, now: datetime | None = None
) -> dict[str, int]:
    totals = {"announced": 0, "sent": 0, "unreachable": 0}
    async with db.transaction() as session:
        rounds = await session.scalars(
            select(ReportRound).where(
                ReportRound.announced_at.is_(None), ReportRound.status == RoundStatus.open.value
            )
        )
        for round_ in list(rounds):
            result = await announce_round(session=session, round_=round_, now=now)
            totals["announced"] += 1
            totals["sent"] += result["sent"]
            totals["unreachable"] += result["unreachable"]
    return totals


def due_offsets(round_: ReportRound, now: datetime, settings: Settings) -> list[int]:
    """Reminder offsets (days before the deadline, at 08:00 local) that are due now and not yet sent."""
    if now >= round_.deadline:
        return []
    deadline_day = round_.deadline.astimezone(settings.tz).date()
    due: list[int] = []
    for offset in round_.reminder_offsets or []:
        fires = datetime.combine(deadline_day - timedelta(days=offset), REMINDER_HOUR, tzinfo=settings.tz)
        if now >= fires and offset not in (round_.reminders_sent or []):
            due.append(offset)
    return due


async def send_reminders(
    *, db: Database, settings: Settings, now: datetime | None = None
) -> dict[str, Any]:
    """At each configured offset, remind the units that have not submitted (once per offset)."""
    now = now or utcnow()
    summary: dict[str, Any] = {"rounds": 0, "sent": 0, "missing": 0}
    async with db.transaction() as session:
        rounds = list(
            await session.scalars(
                select(ReportRound).where(
                    ReportRound.status == RoundStatus.open.value, ReportRound.deadline > now
                )
            )
        )
        for round_ in rounds:
            offsets = due_offsets(round_, now, settings)
            if not offsets:
                continue
            root = await session.get(OrgUnit, round_.root_unit_id)
            assert root is not None
            result = await remind_missing(
                session=session,
                round_=round_,
                root_path=root.path,
                kind=f"reminder:{min(offsets)}",
            )
            round_.reminders_sent = sorted({*(round_.reminders_sent or []), *offsets}, reverse=True)
            summary["rounds"] += 1
            summary["sent"] += result["sent"]
            summary["missing"] += result["missing"]
    log.info("send_reminders: %s", summary)
    return summary


async def escalate_overdue(
    *, db: Database, settings: Settings, now: datetime | None = None
) -> dict[str, Any]:
    """After the deadline, send each parent unit's officers the list of its units still missing (once)."""
    now = now or utcnow()
    summary: dict[str, Any] = {"rounds": 0, "missing": 0, "officers_told": 0}
    async with db.transaction() as session:
        rounds = list(
            await session.scalars(
                select(ReportRound).where(
                    ReportRound.status == RoundStatus.open.value,
                    ReportRound.deadline <= now,
                    ReportRound.escalated_at.is_(None),
                )
            )
        )
        for round_ in rounds:
            missing = await missing_units(session=session, round_id=round_.id)
            if missing:
                summary["officers_told"] += await tell_officers_by_parent(
                    session=session,
                    units=missing,
                    header=overdue_header(round_, now),
                    markup_for=lambda parent, rid=round_.id: remind_markup(rid, parent.id),
                )
            round_.escalated_at = now
            summary["rounds"] += 1
            summary["missing"] += len(missing)
    log.info("escalate_overdue: %s", summary)
    return summary


def register_report_jobs(scheduler: BaseScheduler, *, db: Database, settings: Settings, guard: Guard) -> None:
    """Add the report jobs to the process's scheduler; `guard` makes each act once across replicas."""
    for job, minutes in ((open_scheduled_rounds, 15), (send_reminders, 15), (escalate_overdue, 30)):
        scheduler.add_job(
            guard(f"reports.{job.__name__}", partial(job, db=db, settings=settings)),
            "interval",
            minutes=minutes,
            id=f"reports.{job.__name__}",
            coalesce=True,
            max_instances=1,
            replace_existing=True,
        )


__all__ = [
    "announce_pending",
    "announce_round",
    "escalate_overdue",
    "open_scheduled_rounds",
    "register_report_jobs",
    "send_reminders",
]
