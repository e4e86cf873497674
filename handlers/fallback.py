"""Registered last: nothing a person types goes unanswered."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from common.vietnamese import fold
from handlers.menu import EVERYONE_COMMANDS, LEADER_COMMANDS, OFFICER_COMMANDS, menu_for

UNKNOWN_COMMAND = "Lệnh <code>{cmd}</code> chưa có. Gõ /help để xem các lệnh có thể dùng."
DID_YOU_MEAN = "Lệnh <code>{cmd}</code> chưa có. Có phải /{known}? (Tên lệnh viết liền, không dấu cách.)"
FREE_TEXT = "Loa chưa hiểu tin nhắn này. Xin chọn một chức năng ở menu bên dưới hoặc gõ /help."
CANCELLED = "Đã huỷ thao tác. Xin chọn chức năng ở menu bên dưới."
NOTHING_TO_CANCEL = "Hiện không có thao tác nào để huỷ."
STALE_BUTTON = "Nút này đã hết hiệu lực."
KNOWN = [c for c, _ in EVERYONE_COMMANDS + LEADER_COMMANDS + OFFICER_COMMANDS] + ["lienket"]


def _user(message: Message) -> int:
    assert message.from_user is not None
    return message.from_user.id


async def cancel(message: Message, state: FSMContext, session: AsyncSession) -> None:
    menu = await menu_for(session, _user(message))
    if await state.get_state() is None:
        await message.answer(NOTHING_TO_CANCEL, reply_markup=menu)
        return
    await state.clear()
    await message.answer(CANCELLED, reply_markup=menu)


def meant_command(text: str) -> str | None:
    """`/thong ke`, `/Thống kê`, `/thongke@loa_bot` typed with a space or diacritics: the command meant."""
    words = fold(text.lstrip("/")).split()
    for size in (1, 2, 3):
        joined = "".join(words[:size]).split("@")[0]
        if joined in KNOWN:
            return joined
    return None


async def unknown_command(message: Message, session: AsyncSession) -> None:
    text = message.text or ""
    cmd = text.split()[0].split("@")[0].replace("<", "&lt;")
    known = meant_command(text)
    reply = DID_YOU_MEAN.format(cmd=cmd, known=known) if known else UNKNOWN_COMMAND.format(cmd=cmd)
    await message.answer(reply, reply_markup=await menu_for(session, _user(message)))


async def free_text(message: Message, session: AsyncSession) -> None:
    await message.answer(FREE_TEXT, reply_markup=await menu_for(session, _user(message)))


async def stale_button(query: CallbackQuery) -> None:
    await query.answer(STALE_BUTTON)


CANCEL_WORDS = {"/huy", "/cancel", "huỷ", "hủy", "huy"}


def build_router() -> Router:
    router = Router(name="fallback")
    router.message.filter(F.from_user)
    router.message.register(cancel, F.text.lower().in_(CANCEL_WORDS))
    router.message.register(unknown_command, F.chat.type == "private", F.text.startswith("/"))
    router.message.register(free_text, F.chat.type == "private")
    router.callback_query.register(stale_button)
    return router
