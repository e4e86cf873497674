"""Messages the reports domain sends: requests, reminders, escalations and review notices.

`Sender` is the one seam to the messenger: an aiogram `Bot` satisfies it, and tests may pass any object
with the same `send_message`. A failed delivery to one person never stops the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from datetime import datetime
from html import escape
from typing import Any, Protocol

from aiogram.exceptions import TelegramRetryAfter
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from common.vietnamese import format_datetime
from directory.models import OrgUnit
from reports.forms import Form
from reports.lines import usage
from reports.models import ReportMessage, ReportRound, ReportSubmission, SubmissionStatus
from reports.recipients import Recipient, leaders_of, officers_over
from reports.rollup import missing_units
from reports.services import form_of_round
from reports.validation import expected

log = logging.getLogger(__name__)


class Sender(Protocol):
    async def send_message(
        self, chat_id: int, text: str, *, reply_markup: InlineKeyboardMarkup | None = None
    ) -> Any: ...


async def deliver(
    sender: Sender, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None, *, attempts: int = 3
) -> int | None:
    """Send one message; returns its message_id, or None when it could not be delivered.

    Flood control (RetryAfter) is honoured with a bounded number of attempts; anything else is final.
    """
    for _ in range(attempts):
        try:
            sent = await sender.send_message(chat_id, text, reply_markup=markup)
        except TelegramRetryAfter as exc:
            await asyncio.sleep(exc.retry_after)
            continue
        except Exception:
            log.warning("could not deliver a report message to chat %s", chat_id, exc_info=True)
            return None
        return getattr(sent, "message_id", None)
    log.warning("gave up delivering a report message to chat %s after %s attempts", chat_id, attempts)
    return None


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


def request_markup(round_id: int, unit_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text="📝 Nhập theo mẫu", callback_data=f"rpf:start:{round_id}:{unit_id}")]
        ]
    )


async def ask_units(
    *, session: AsyncSession, sender: Sender, round_: ReportRound, units: list[OrgUnit], kind: str
) -> tuple[int, list[OrgUnit]]:
    """Send the request (or a reminder) to each unit's leaders; returns (messages sent, unreachable units)."""
    form = await form_of_round(session=session, round_=round_)
    leaders = await leaders_of(session, unit_ids=[u.id for u in units])
    sent = 0
    unreachable: list[OrgUnit] = []
    for unit in units:
        delivered = False
        for person in leaders.get(unit.id, []):
            text = request_text(round_, form, unit, reminder=kind != "request")
            message_id = await deliver(
                sender, person.telegram_chat_id, text, request_markup(round_.id, unit.id)
            )
            if message_id is None:
                continue
            delivered = True
            sent += 1
            session.add(
                ReportMessage(
                    round_id=round_.id,
                    unit_id=unit.id,
                    person_id=person.person_id,
                    telegram_chat_id=person.telegram_chat_id,
                    message_id=message_id,
                    kind=kind,
                )
            )
        if not delivered:
            unreachable.append(unit)
    await session.flush()
    return sent, unreachable


def _unit_list(units: list[OrgUnit], limit: int = 50) -> str:
    lines = [f"• {escape(u.name)} ({escape(u.code)})" for u in units[:limit]]
    if len(units) > limit:
        lines.append(f"… và {len(units) - limit} đơn vị khác.")
    return "\n".join(lines)


async def tell_officers_by_parent(
    *,
    session: AsyncSession,
    sender: Sender,
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
        text = (
            f"{header}\nĐơn vị cấp trên: <b>{escape(parent.name)}</b> — {len(group)} đơn vị:\n"
            + _unit_list(group)
        )
        for officer in officers:
            markup = markup_for(parent) if markup_for else None
            if await deliver(sender, officer.telegram_chat_id, text, markup) is not None:
                sent += 1
    return sent


def remind_markup(round_id: int, unit_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text="🔔 Nhắc lại", callback_data=f"rpo:remind:{round_id}:{unit_id}")]
        ]
    )


async def remind_missing(
    *, session: AsyncSession, sender: Sender, round_: ReportRound, root_path: str, kind: str
) -> dict[str, int]:
    """Remind only the units in the subtree that have not submitted yet."""
    missing = await missing_units(session=session, round_id=round_.id, root_path=root_path)
    sent, unreachable = await ask_units(
        session=session, sender=sender, round_=round_, units=missing, kind=kind
    )
    return {"missing": len(missing), "sent": sent, "unreachable": len(unreachable)}


async def notify_review(*, session: AsyncSession, sender: Sender, submission: ReportSubmission) -> int:
    round_ = await session.get(ReportRound, submission.round_id)
    unit = await session.get(OrgUnit, submission.unit_id)
    assert round_ is not None and unit is not None
    if submission.status == SubmissionStatus.accepted.value:
        text = f"✅ Báo cáo {escape(round_.title)} của <b>{escape(unit.name)}</b> đã được chấp nhận."
    else:
        text = (
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
        if await deliver(sender, person.telegram_chat_id, text, markup) is not None:
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
