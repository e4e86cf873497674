"""The "✅ Đã nhận" button under a directive: records the press, then shows the count on the button."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from broadcasts import acks, service
from broadcasts.content import ACK_PREFIX, Content, build_markup, parse_ack_callback
from outbox.telegram import to_inline

log = logging.getLogger(__name__)

THANKS = "Đã ghi nhận «Đã nhận». Cảm ơn đồng chí!"
ALREADY = "Đồng chí đã xác nhận tin này rồi."
LATE = "Đã ghi nhận (sau hạn xác nhận)."


async def on_ack(query: CallbackQuery, session: AsyncSession) -> None:
    broadcast_id = parse_ack_callback(query.data or "")
    message = query.message
    if broadcast_id is None or not isinstance(message, Message):
        await query.answer()
        return
    result = await acks.record_ack(
        session,
        broadcast_id=broadcast_id,
        telegram_chat_id=message.chat.id,
        telegram_user_id=query.from_user.id,
    )
    await query.answer(ALREADY if not result.created else LATE if result.late else THANKS)
    if not result.created:
        return
    b = await service.get(session, broadcast_id)
    markup = build_markup(Content.from_dict(b.content), ack_for=b.id, ack_count=result.count)
    await message.edit_reply_markup(reply_markup=to_inline(markup))  # after the commit (bot/replies.py)


def build_router() -> Router:
    router = Router(name="broadcast_ack")
    router.callback_query.register(on_ack, F.data.startswith(ACK_PREFIX))
    return router
