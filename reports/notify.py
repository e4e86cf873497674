"""Messages the reports domain sends: requests, reminders, escalations and review notices.

They are outbox records, queued in the caller's transaction and sent after commit by the delivery engine
(at the global rate, with retries). Once a request or reminder is sent, `on_request_sent` records its
message ids, so a reply to it is read as that unit's report.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime
from html import escape
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from common.vietnamese import format_datetime
from directory.models import OrgUnit
from outbox.models import Kind
from outbox.outcomes import Claimed
from outbox.parts import Markup, buttons, text
from outbox.service import enqueue
from reports.forms import Form
from reports.lines import usage
from reports.models import ReportMessage, ReportRound, ReportSubmission, SubmissionStatus
from reports.recipients import Recipient, leaders_of, officers_over
from reports.rollup import missing_units
from reports.services import form_of_round, review
from reports.validation import expected

log = logging.getLogger(__name__)


def form_text(form: Form) -> str:
    lines = []
    for i, f in enumerate(form.fields, 1):
        optional = "" if f.required else " <i>(không bắt buộc)</i>"
        lines.append(f"{i}. <b>{escape(f.label)}</b> [<code>{f.key}</code>]: {escape(expected(f))}{optional}")
    return "\n".join(lines)


def request_text(round_: ReportRound, form: Form, unit: OrgUnit, *, reminder: bool = False) -> str:
    head = "⏰ <b>Nhắc báo cáo</b>" if reminder else "📋 <b>Yêu cầu báo cáo</b>"
    return (
        f"{head}: {escape(round_.title)}\n"
        f"Đơn vị: <b>{escape(unit.name)}</b>\n"
        f"Hạn nộp: <b>{format_datetime(round_.deadline)}</b>\n\n"
        f"{form_text(form)}\n\n"
        "Cách trả lời (chọn một):\n"
        "• Bấm <b>📝 Nhập theo mẫu</b> để trả lời từng câu;\n"
        "• hoặc <b>trả lời (reply) tin nhắn này</b> bằng một dòng, ví dụ:\n"
        f"{usage(form)}\n"
        f"• hoặc gửi <code>/baocao {form.code} …</code> với các số như trên.\n"
        "Số viết kiểu Việt Nam: 1.234 là một nghìn hai trăm ba mươi tư, 1,5 là một phẩy năm. "
        "Gõ «khoảng 300» sẽ được nhận là 300 và ghi chú là số ước tính."
    )


def request_markup(round_id: int, unit_id: int) -> Markup:
    return buttons([("📝 Nhập theo mẫu", f"rpf:start:{round_id}:{unit_id}")])


async def ask_units(
    *, session: AsyncSession, round_: ReportRound, units: list[OrgUnit], kind: str
) -> tuple[int, list[OrgUnit]]:
    """Queue the request (or a reminder) to each unit's leaders; returns (messages queued, units with no
    reachable leader)."""
    form = await form_of_round(session=session, round_=round_)
    leaders = await leaders_of(session, unit_ids=[u.id for u in units])
    queued = 0
    unreachable: list[OrgUnit] = []
    outbox_kind = Kind.report_request if kind == "request" else Kind.report_reminder
    for unit in units:
        people = leaders.get(unit.id, [])
        if not people:
            unreachable.append(unit)
        body = request_text(round_, form, unit, reminder=kind != "request")
        for person in people:
            enqueue(
                session,
                kind=outbox_kind,
                address=person.telegram_chat_id,
                channel=person.channel,
                person_id=person.person_id,
                unit_id=unit.id,
                parts=[text(body, request_markup(round_.id, unit.id))],
                ref={"round_id": round_.id, "unit_id": unit.id, "person_id": person.person_id, "kind": kind},
            )
            queued += 1
    return queued, unreachable


async def on_request_sent(session: AsyncSession, record: Claimed, message_ids: list[int]) -> None:
    """A request or reminder went out: a reply to any of its messages answers for that unit."""
    ref = record.ref or {}
    for message_id in message_ids:
        session.add(
            ReportMessage(
                round_id=ref["round_id"],
                unit_id=ref["unit_id"],
                person_id=ref.get("person_id"),
                telegram_chat_id=record.address,
                message_id=message_id,
                kind=ref.get("kind", "request"),
            )
        )


def _unit_list(units: list[OrgUnit], limit: int = 50) -> str:
    lines = [f"• {escape(u.name)} ({escape(u.code)})" for u in units[:limit]]
    if len(units) > limit:
        lines.append(f"… và {len(units) - limit} đơn vị khác.")
    return "\n".join(lines)


async def tell_officers_by_parent(
    *,
    session: AsyncSession,
    units: list[OrgUnit],
    header: str,
    markup_for: Any = None,
) -> int:
    """Group `units` by parent and send each parent's officers the list under `header`."""
    by_parent: dict[int, list[OrgUnit]] = defaultdict(list)
    for unit in units:
        by_parent[unit.parent_id or unit.id].append(unit)
    sent = 0
    for parent_id, group in by_parent.items():
        parent = await session.get(OrgUnit, parent_id)
        if parent is None:
            continue
        officers: list[Recipient] = await officers_over(session, unit=group[0])
        body = (
            f"{header}\nĐơn vị cấp trên: <b>{escape(parent.name)}</b> — {len(group)} đơn vị:\n"
            + _unit_list(group)
        )
        markup = markup_for(parent) if markup_for else None
        for officer in officers:
            enqueue(
                session,
                kind=Kind.report_escalation,
                address=officer.telegram_chat_id,
                channel=officer.channel,
                person_id=officer.person_id,
                unit_id=parent.id,
                parts=[text(body, markup)],
            )
            sent += 1
    return sent


def remind_markup(round_id: int, unit_id: int) -> Markup:
    return buttons([("🔔 Nhắc lại", f"rpo:remind:{round_id}:{unit_id}")])


async def remind_missing(
    *, session: AsyncSession, round_: ReportRound, root_path: str, kind: str
) -> dict[str, int]:
    """Remind only the units in the subtree that have not submitted yet."""
    missing = await missing_units(session=session, round_id=round_.id, root_path=root_path)
    sent, unreachable = await ask_units(session=session, round_=round_, units=missing, kind=kind)
    return {"missing": len(missing), "sent": sent, "unreachable": len(unreachable)}


async def notify_review(*, session: AsyncSession, submission: ReportSubmission) -> int:
    round_ = await session.get(ReportRound, submission.round_id)
    unit = await session.get(OrgUnit, submission.unit_id)
    assert round_ is not None and unit is not None
    if submission.status == SubmissionStatus.accepted.value:
        body = f"✅ Báo cáo {escape(round_.title)} của <b>{escape(unit.name)}</b> đã được chấp nhận."
    else:
        body = (
            f"↩️ Báo cáo {escape(round_.title)} của <b>{escape(unit.name)}</b> bị trả lại.\n"
            f"Lý do: {escape(submission.review_comment or '')}\n"
            "Xin sửa và gửi lại (trả lời tin nhắn yêu cầu hoặc bấm «📝 Nhập theo mẫu»)."
        )
    leaders = await leaders_of(session, unit_ids=[unit.id])
    sent = 0
    for person in leaders.get(unit.id, []):
        markup = (
            None
            if submission.status == SubmissionStatus.accepted.value
            else request_markup(round_.id, unit.id)
        )
        enqueue(
            session,
            kind=Kind.report_review,
            address=person.telegram_chat_id,
            channel=person.channel,
            person_id=person.person_id,
            unit_id=unit.id,
            parts=[text(body, markup)],
        )
        sent += 1
    return sent


async def request_message(
    *, session: AsyncSession, telegram_chat_id: int, message_id: int
) -> ReportMessage | None:
    return await session.scalar(
        select(ReportMessage).where(
            ReportMessage.telegram_chat_id == telegram_chat_id, ReportMessage.message_id == message_id
        )
    )


def overdue_header(round_: ReportRound, now: datetime) -> str:
    return (
        f"⚠️ <b>Quá hạn báo cáo</b>: {escape(round_.title)} (hạn {format_datetime(round_.deadline)}).\n"
        "Các đơn vị sau chưa nộp:"
    )


async def review_and_tell(
    *,
    session: AsyncSession,
    submission_id: int,
    reviewer_id: int | None,
    accept: bool,
    comment: str | None = None,
) -> tuple[ReportSubmission, int]:
    """Accept or return a submission and tell the unit's leaders, in one transaction (chat and API)."""
    done = await review(
        session=session, submission_id=submission_id, reviewer_id=reviewer_id, accept=accept, comment=comment
    )
    return done, await notify_review(session=session, submission=done)
