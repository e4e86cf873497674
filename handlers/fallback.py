"""Registered last: nothing a person types goes unanswered."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from handlers.menu import main_menu

UNKNOWN_COMMAND = "Lệnh <code>{cmd}</code> chưa có. Gõ /help để xem các lệnh có thể dùng."
FREE_TEXT = "Loa chưa hiểu tin nhắn này. Xin chọn một chức năng ở menu bên dưới hoặc gõ /help."
CANCELLED = "Đã huỷ thao tác. Xin chọn chức năng ở menu bên dưới."
NOTHING_TO_CANCEL = "Hiện không có thao tác nào để huỷ."
STALE_BUTTON = "Nút này đã hết hiệu lực."


async def cancel(message: Message, state: FSMContext) -> None:
    if await state.get_state() is None:
        await message.answer(NOTHING_TO_CANCEL, reply_markup=main_menu())
        return
    await state.clear()
    await message.answer(CANCELLED, reply_markup=main_menu())


async def unknown_command(message: Message) -> None:
    cmd = (message.text or "").split()[0].split("@")[0]
    await message.answer(UNKNOWN_COMMAND.format(cmd=cmd.replace("<", "&lt;")), reply_markup=main_menu())


async def free_text(message: Message) -> None:
    await message.answer(FREE_TEXT, reply_markup=main_menu())


async def stale_button(query: CallbackQuery) -> None:
    await query.answer(STALE_BUTTON)


CANCEL_WORDS = {"/huy", "/cancel", "huỷ", "hủy", "huy"}


def build_router() -> Router:
    router = Router(name="fallback")
    router.message.register(cancel, F.text.lower().in_(CANCEL_WORDS))
    router.message.register(unknown_command, F.chat.type == "private", F.text.startswith("/"))
    router.message.register(free_text, F.chat.type == "private")
    router.callback_query.register(stale_button)
    return router
