"""Telling people about petitions through the messenger: the notice to leaders and officers (with the
buttons to answer or forward, recorded so a reply to it answers the petition), and the answer to the
sender. Shared by the chat handlers and the API."""

from __future__ import annotations

import logging
from html import escape

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from archive.petitions import CATEGORIES, Routing, record_notice
from archive.tables import Petition
from directory.models import OrgUnit, Person

log = logging.getLogger(__name__)


class ActionCb(CallbackData, prefix="knx"):
    action: str  # answer | forward
    petition_id: int


def _notice_text(petition: Petition, unit: OrgUnit, sender_name: str | None, forwarded: bool) -> str:
    who = "Ẩn danh" if petition.anonymous or sender_name is None else escape(sender_name)
    head = "⬆️ Kiến nghị được chuyển lên" if forwarded else "📥 Kiến nghị mới"
    lines = [
        f"{head} <b>{petition.reference}</b>",
        f"Lĩnh vực: {escape(CATEGORIES.get(petition.category, petition.category))}",
        f"Người gửi: {who} — {escape(unit.name)}",
        "",
        escape(petition.text) if petition.text else "(xem tệp đính kèm)",
        "",
        "Trả lời lời nhắn này để trả lời kiến nghị, hoặc bấm nút bên dưới.",
    ]
    return "\n".join(lines)


def _actions(petition_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text="✍️ Trả lời", callback_data=ActionCb(action="answer", petition_id=petition_id).pack()
                ),
                InlineKeyboardButton(
                    text="⬆️ Chuyển cấp trên",
                    callback_data=ActionCb(action="forward", petition_id=petition_id).pack(),
                ),
            ]
        ]
    )


async def _send_notice(
    bot: Bot, session: AsyncSession, petition: Petition, person_id: int, chat_id: int, text: str
) -> None:
    msg = await bot.send_message(chat_id, text, reply_markup=_actions(petition.id))
    await record_notice(
        session, petition_id=petition.id, person_id=person_id, chat_id=msg.chat.id, message_id=msg.message_id
    )
    if petition.attachment_kind == "photo" and petition.attachment_file_id:
        await bot.send_photo(chat_id, petition.attachment_file_id, caption=petition.reference)
    elif petition.attachment_kind == "document" and petition.attachment_file_id:
        await bot.send_document(chat_id, petition.attachment_file_id, caption=petition.reference)


async def notify(bot: Bot, session: AsyncSession, routing: Routing, *, forwarded: bool = False) -> int:
    """Send the petition to each recipient's private chat; returns how many got it."""
    petition = routing.petition
    sender = None if petition.anonymous else await session.get(Person, petition.sender_id)
    text = _notice_text(petition, routing.unit, sender.full_name if sender else None, forwarded)
    sent = 0
    for r in routing.recipients:
        if r.telegram_chat_id is None:
            continue
        try:
            await _send_notice(bot, session, petition, r.person_id, r.telegram_chat_id, text)
        except TelegramAPIError:  # a blocked or vanished chat must not stop the others
            log.warning("petition %s: could not notify chat %s", petition.reference, r.telegram_chat_id)
            continue
        sent += 1
    return sent


async def deliver_answer(bot: Bot, petition: Petition) -> None:
    if petition.sender_chat_id is None:
        return
    await bot.send_message(
        petition.sender_chat_id,
        f"📬 Kiến nghị <b>{petition.reference}</b> đã có trả lời:\n\n{escape(petition.answer or '')}",
    )
