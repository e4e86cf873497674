"""Recurring broadcasts: an approved template plus a rule; each run sends a fresh copy.

Firing is a compare-and-set on `next_run_at` (and on `status` for one-off scheduled broadcasts), so
even two schedulers acting at once can never send the same occurrence twice; the leader lock in
`broadcasts.scheduled` only keeps the others idle.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from broadcasts import recurrence, service
from broadcasts.errors import BroadcastError, InvalidState
from broadcasts.models import Broadcast, BroadcastSchedule, ScheduleState, Status
from broadcasts.recurrence import RuleError
from directory.access import Scope
from directory.models import Role
from outbox.models import Kind
from outbox.parts import text
from outbox.service import notify_person
from storage.base import utcnow
from storage.db import Database

log = logging.getLogger(__name__)


async def create_schedule(
    session: AsyncSession, *, scope: Scope, template_id: int, rule: dict[str, Any], tz: ZoneInfo
) -> BroadcastSchedule:
    b = await service.get(session, template_id, lock=True)
    await service.require_in_scope(session, scope, b, Role.officer)
    if b.status != Status.approved:
        raise InvalidState("not_approved", "Tin mẫu cần được duyệt trước khi đặt lịch lặp lại.")
    try:
        clean = recurrence.validate(rule)
    except RuleError as exc:
        raise BroadcastError("bad_rule", exc.message) from exc
    sched = BroadcastSchedule(
        template_id=b.id,
        rule=clean,
        state=ScheduleState.active,
        next_run_at=recurrence.next_after(clean, utcnow(), tz),
    )
    session.add(sched)
    await session.flush()
    return sched


async def pause_schedule(session: AsyncSession, *, scope: Scope, schedule_id: int) -> BroadcastSchedule:
    sched = await session.get(BroadcastSchedule, schedule_id, with_for_update=True)
    if sched is None:
        raise BroadcastError("schedule_not_found", "Không tìm thấy lịch gửi.")
    await service.require_in_scope(
        session, scope, await service.get(session, sched.template_id), Role.officer
    )
    sched.state = ScheduleState.paused
    await session.flush()
    return sched


@dataclass
class RunSummary:
    fired: list[int] = field(default_factory=list)  # broadcast ids started
    missed: list[tuple[int | None, str]] = field(default_factory=list)  # (author person id, text)

    def as_dict(self) -> dict[str, int]:
        return {"fired": len(self.fired), "missed": len(self.missed)}


def _copy(template: Broadcast, schedule_id: int) -> Broadcast:
    return Broadcast(
        title=template.title,
        status=Status.approved,
        author_id=template.author_id,
        author_actor=template.author_actor,
        content=template.content,
        audience=template.audience,
        document_id=template.document_id,
        require_ack=template.require_ack,
        paid=template.paid,
        requires_approval=template.requires_approval,
        approved_by_id=template.approved_by_id,
        approved_at=template.approved_at,
        schedule_id=schedule_id,
        progress_chat_id=None,
    )


async def _run_schedule(
    db: Database, schedule_id: int, *, now: datetime, tz: ZoneInfo, grace: timedelta, out: RunSummary
) -> None:
    async with db.transaction() as s:
        sched = await s.get(BroadcastSchedule, schedule_id)
        if sched is None or sched.state != ScheduleState.active or sched.next_run_at is None:
            return
        if sched.next_run_at > now:
            return  # another scheduler ran this occurrence since we listed it
        due = sched.next_run_at
        nxt = recurrence.next_after(sched.rule, now, tz)
        won = await s.execute(
            update(BroadcastSchedule)
            .where(BroadcastSchedule.id == schedule_id, BroadcastSchedule.next_run_at == due)
            .values(next_run_at=nxt, last_run_at=now)
            .execution_options(synchronize_session=False)
        )
        if not getattr(won, "rowcount", 0):
            return  # another scheduler took this occurrence
        template = await s.get(Broadcast, sched.template_id)
        if template is None or template.status in (Status.cancelled, Status.draft, Status.submitted):
            await s.execute(
                update(BroadcastSchedule)
                .where(BroadcastSchedule.id == schedule_id)
                .values(state=ScheduleState.finished)
            )
            return
        if now - due > grace:
            await s.execute(
                update(BroadcastSchedule)
                .where(BroadcastSchedule.id == schedule_id)
                .values(missed_count=BroadcastSchedule.missed_count + 1, last_missed_at=now)
            )
            await _tell_missed(s, out, template.author_id, _missed_text(template.title, due, tz))
            return
        copy = _copy(template, schedule_id)
        s.add(copy)
        await s.flush()
        await service.start_sending(s, broadcast=copy)
        out.fired.append(copy.id)


async def _run_one_off(
    db: Database, broadcast_id: int, *, now: datetime, tz: ZoneInfo, grace: timedelta, out: RunSummary
) -> None:
    async with db.transaction() as s:
        b = await s.get(Broadcast, broadcast_id)
        if b is None or b.status != Status.scheduled or b.scheduled_at is None:
            return
        won = await s.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.status == Status.scheduled)
            .values(status=Status.approved)
            .execution_options(synchronize_session=False)
        )
        if not getattr(won, "rowcount", 0):
            return
        await s.refresh(b)
        if now - b.scheduled_at > grace:
            b.status, b.note, b.finished_at = Status.cancelled, "missed", now
            await _tell_missed(s, out, b.author_id, _missed_text(b.title, b.scheduled_at, tz))
            return
        await service.start_sending(s, broadcast=b)
        out.fired.append(b.id)


async def _tell_missed(s: AsyncSession, out: RunSummary, author_id: int | None, body: str) -> None:
    """The author hears of a missed send in the same transaction that records it."""
    out.missed.append((author_id, body))
    await notify_person(s, kind=Kind.schedule_notice, person_id=author_id, parts=[text(body)])


def _missed_text(title: str, due: datetime, tz: ZoneInfo) -> str:
    from html import escape

    from common.vietnamese import format_datetime

    return (
        f"⚠️ Tin «{escape(title)}» hẹn gửi lúc {format_datetime(due, tz)} đã bị lỡ vì hệ thống ngừng "
        "hoạt động quá lâu, nên Loa không tự gửi muộn. Xin đồng chí kiểm tra và gửi lại nếu cần."
    )


async def run_due(
    db: Database, *, now: datetime | None = None, tz: ZoneInfo, grace_seconds: float
) -> RunSummary:
    """Starts every occurrence that is due: within the grace it goes out, later it is missed."""
    now = now or utcnow()
    grace = timedelta(seconds=grace_seconds)
    out = RunSummary()
    async with db.transaction() as s:
        schedule_ids = list(
            await s.scalars(
                select(BroadcastSchedule.id).where(
                    BroadcastSchedule.state == ScheduleState.active, BroadcastSchedule.next_run_at <= now
                )
            )
        )
        one_offs = await service.due_scheduled(s, now=now)
    for sid in schedule_ids:
        try:
            await _run_schedule(db, sid, now=now, tz=tz, grace=grace, out=out)
        except OperationalError:  # SQLite busy: still due, the next tick runs it
            log.warning("schedule %s not run this tick", sid, exc_info=True)
    for bid in one_offs:
        try:
            await _run_one_off(db, bid, now=now, tz=tz, grace=grace, out=out)
        except OperationalError:
            log.warning("scheduled broadcast %s not started this tick", bid, exc_info=True)
    return out
