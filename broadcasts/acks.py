"""“✅ Đã nhận”: who acknowledged, for which unit and chat; reminders; the list of silent units."""

from __future__ import annotations

import html
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from broadcasts import service
from broadcasts.config import BroadcastConfig
from broadcasts.content import Content, Part, PartKind, build_markup
from broadcasts.errors import BroadcastError, NotFound
from broadcasts.models import Acknowledgment, Broadcast, Status
from common.vietnamese import format_datetime
from directory.models import OrgUnit, Person, Role, RoleAssignment
from outbox.models import Kind, OutboxMessage, Outcome
from outbox.parts import text
from outbox.service import enqueue, notify_person
from storage.base import utcnow


@dataclass(frozen=True)
class AckResult:
    created: bool
    count: int  # presses in this chat
    unit_id: int | None
    late: bool


async def record_ack(
    session: AsyncSession, *, broadcast_id: int, telegram_chat_id: int, telegram_user_id: int
) -> AckResult:
    """Idempotent: pressing twice records once."""
    b = await service.get(session, broadcast_id)
    if not b.require_ack:
        raise BroadcastError("no_ack", "Tin này không yêu cầu xác nhận.")
    # the row lock serialises presses in one chat, so each press counts the ones committed before it
    delivery = await session.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.broadcast_id == b.id, OutboxMessage.address == telegram_chat_id)
        .with_for_update()
    )
    if delivery is None or delivery.status not in (Outcome.sent, Outcome.sending):
        raise NotFound("Tin này không được gửi tới cuộc trò chuyện này.")
    existing = await session.scalar(
        select(Acknowledgment.id).where(
            Acknowledgment.broadcast_id == b.id,
            Acknowledgment.chat_id == delivery.chat_id,
            Acknowledgment.telegram_user_id == telegram_user_id,
        )
    )
    created = False
    if existing is None:
        person_id = await session.scalar(select(Person.id).where(Person.telegram_user_id == telegram_user_id))
        try:
            async with session.begin_nested():
                session.add(
                    Acknowledgment(
                        broadcast_id=b.id,
                        chat_id=delivery.chat_id,
                        unit_id=delivery.unit_id,
                        person_id=person_id,
                        telegram_user_id=telegram_user_id,
                    )
                )
            created = True
        except IntegrityError:  # a concurrent press of the same person won
            created = False
    count = await session.scalar(
        select(func.count()).where(
            Acknowledgment.broadcast_id == b.id, Acknowledgment.chat_id == delivery.chat_id
        )
    )
    late = b.ack_deadline is not None and utcnow() > b.ack_deadline
    return AckResult(created, int(count or 0), delivery.unit_id, late)


async def silent_units(session: AsyncSession, *, broadcast_id: int) -> list[OrgUnit]:
    """Units that received the broadcast and where nobody acknowledged it."""
    acked = select(Acknowledgment.unit_id).where(
        Acknowledgment.broadcast_id == broadcast_id, Acknowledgment.unit_id.is_not(None)
    )
    received = select(OutboxMessage.unit_id).where(
        OutboxMessage.broadcast_id == broadcast_id,
        OutboxMessage.status == Outcome.sent,
        OutboxMessage.unit_id.not_in(acked),
    )
    rows = await session.scalars(select(OrgUnit).where(OrgUnit.id.in_(received)).order_by(OrgUnit.name))
    return list(rows)


def reminder_text(b: Broadcast, tz: ZoneInfo) -> str:
    deadline = format_datetime(b.ack_deadline, tz) if b.ack_deadline else ""
    return (
        f"🔔 Nhắc: đơn vị chưa xác nhận đã nhận tin «{html.escape(b.title)}». "
        f"Xin bấm <b>✅ Đã nhận</b> trước {deadline}."
    )


def silent_report_text(b: Broadcast, units: list[OrgUnit], tz: ZoneInfo) -> str:
    names = "\n".join(f"• {html.escape(u.name)}" for u in units)
    deadline = format_datetime(b.ack_deadline, tz) if b.ack_deadline else ""
    return (
        f"📋 Hết hạn xác nhận ({deadline}) tin «{html.escape(b.title)}».\n"
        f"Các đơn vị trực thuộc chưa bấm «Đã nhận» ({len(units)}):\n{names}"
    )


async def _claim(session: AsyncSession, column: str, *, now: datetime, before: timedelta) -> list[Broadcast]:
    """Broadcasts whose reminder (or final report) is due, marked done in the same transaction."""
    col = getattr(Broadcast, column)
    due = list(
        await session.scalars(
            select(Broadcast).where(
                Broadcast.require_ack.is_(True),
                Broadcast.ack_deadline.is_not(None),
                Broadcast.ack_deadline <= now + before,
                col.is_(None),
                Broadcast.status.in_([Status.sending, Status.done]),
            )
        )
    )
    won: list[Broadcast] = []
    for b in due:
        result = await session.execute(
            update(Broadcast)
            .where(Broadcast.id == b.id, col.is_(None))
            .values({column: now})
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0):
            won.append(b)
    return won


async def run_followups(
    session: AsyncSession, *, config: BroadcastConfig, tz: ZoneInfo, now: datetime | None = None
) -> dict[str, int]:
    """Reminds units that have not acknowledged, and tells their officers once the deadline passed.
    Everything is queued in the caller's transaction."""
    now = now or utcnow()
    reminded = reported = 0
    for b in await _claim(
        session, "reminded_at", now=now, before=timedelta(hours=config.ack_reminder_before_hours)
    ):
        if b.ack_deadline is not None and b.ack_deadline <= now:
            continue  # too late to remind: the report below covers it
        reminded += await _remind(session, b, tz=tz)
    for b in await _claim(session, "ack_reported_at", now=now, before=timedelta(0)):
        reported += await _report_silent(session, b, tz=tz)
    return {"ack_reminders": reminded, "ack_reports": reported}


async def _remind(session: AsyncSession, b: Broadcast, *, tz: ZoneInfo) -> int:
    units = [u.id for u in await silent_units(session, broadcast_id=b.id)]
    rows = (
        await session.execute(
            select(
                OutboxMessage.address,
                OutboxMessage.channel,
                OutboxMessage.chat_kind,
                OutboxMessage.chat_id,
                OutboxMessage.unit_id,
            ).where(
                OutboxMessage.broadcast_id == b.id,
                OutboxMessage.status == Outcome.sent,
                OutboxMessage.unit_id.in_(units),
            )
        )
    ).all()
    markup = build_markup(Content(kind=PartKind.text, html="-"), ack_for=b.id)
    part = Part(PartKind.text, reminder_text(b, tz), markup=markup)
    for address, channel, chat_kind, chat_id, unit_id in rows:
        enqueue(
            session,
            kind=Kind.ack_reminder,
            address=address,
            channel=channel,
            chat_kind=chat_kind,
            chat_id=chat_id,
            unit_id=unit_id,
            parts=[part],
        )
    return len(rows)


async def _report_silent(session: AsyncSession, b: Broadcast, *, tz: ZoneInfo) -> int:
    units = await silent_units(session, broadcast_id=b.id)
    by_parent: dict[int | None, list[OrgUnit]] = defaultdict(list)
    for u in units:
        by_parent[u.parent_id].append(u)
    told = 0
    for parent_id, silent in by_parent.items():
        officers: list[int | None] = list(
            await session.scalars(
                select(RoleAssignment.person_id).where(
                    RoleAssignment.unit_id == parent_id, RoleAssignment.role == Role.officer
                )
            )
        ) or [b.author_id]  # nobody there: the author hears it
        for person_id in officers:
            told += await notify_person(
                session,
                kind=Kind.ack_escalation,
                person_id=person_id,
                unit_id=parent_id,
                parts=[text(silent_report_text(b, silent, tz))],
            )
    return told
