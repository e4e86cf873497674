"""Kiến nghị / phản ánh in chat: a member picks a category, sends text (optionally a photo or a file),
chooses whether to stay anonymous and gets a reference number; leaders and officers are told, officers
answer by replying to the notice (or with its button) or forward it one level up."""

from __future__ import annotations

from html import escape

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from archive import petition_delivery as petition_service
from archive.petition_delivery import ACTION_PREFIX
from archive.petitions import (
    CATEGORIES,
    petition_for_message,
)
from archive.tables import Petition
from common.answers import match_label
from common.vietnamese import fold
from directory.access import scope_for_telegram_user
from directory.browse import person_by_telegram
from handlers.basics import NOT_REGISTERED
from handlers.menu import MENU_ROWS, main_menu, menu_for

PETITION_BUTTON = "📝 Gửi kiến nghị"
CANCEL_WORDS = {"huy", "/huy", "/cancel"}
ASK_CATEGORY = "📝 <b>Gửi kiến nghị, phản ánh</b>\nXin chọn lĩnh vực:"
ASK_CONTENT = (
    "Lĩnh vực: <b>{label}</b>\nXin gửi nội dung kiến nghị. Có thể gửi kèm một ảnh hoặc một tệp "
    "(ghi nội dung ở phần chú thích). Gõ /huy để thôi."
)
ASK_ANONYMITY = "Đồng chí muốn gửi kèm họ tên hay gửi ẩn danh? (Ẩn danh: cấp trên chỉ thấy tên đơn vị.)"
WRONG_CONTENT = "Xin gửi nội dung bằng chữ, hoặc một ảnh/tệp kèm chú thích. Gõ /huy để thôi."
SENT = "✅ Đã gửi kiến nghị số <b>{ref}</b>.\nKiến nghị đã được chuyển tới {whom}. Loa sẽ báo khi có trả lời."
NAMED_LABEL, ANONYMOUS_LABEL = "👤 Gửi kèm họ tên", "🕶 Gửi ẩn danh"
TAP_A_BUTTON = "Xin bấm một nút bên dưới, hoặc gõ đúng tên nút (không dấu cũng được, ví dụ «{example}»)."
EXPIRED = "Phiên gửi kiến nghị đã hết hạn, xin bắt đầu lại."
ASK_ANSWER = "✍️ Xin gõ nội dung trả lời kiến nghị <b>{ref}</b> (hoặc /huy):"


class PetitionForm(StatesGroup):
    category = State()
    content = State()
    anonymity = State()


class PetitionAnswer(StatesGroup):
    text = State()


class CategoryCb(CallbackData, prefix="knc"):
    code: str


class ActionCb(CallbackData, prefix=ACTION_PREFIX):
    action: str  # answer | forward
    petition_id: int


class AnonCb(CallbackData, prefix="kna"):
    anonymous: bool


async def start(message: Message, session: AsyncSession, state: FSMContext) -> None:
    assert message.from_user is not None
    if await person_by_telegram(session, telegram_user_id=message.from_user.id) is None:
        await message.answer(NOT_REGISTERED, reply_markup=main_menu())
        return
    await state.clear()
    await state.set_state(PetitionForm.category)
    await message.answer(ASK_CATEGORY, reply_markup=category_markup())


def category_markup() -> InlineKeyboardMarkup:
    rows = [
        [InlineKeyboardButton(text=label, callback_data=CategoryCb(code=code).pack())]
        for code, label in CATEGORIES.items()
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def anonymity_markup() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=NAMED_LABEL, callback_data=AnonCb(anonymous=False).pack()),
                InlineKeyboardButton(text=ANONYMOUS_LABEL, callback_data=AnonCb(anonymous=True).pack()),
            ]
        ]
    )


async def typed_category(message: Message, state: FSMContext, session: AsyncSession) -> None:
    """`tien luong` typed instead of tapping «Tiền lương, chế độ chính sách»."""
    if fold(message.text or "") in CANCEL_WORDS:
        await state.clear()
        await message.answer("Đã huỷ gửi kiến nghị.", reply_markup=await menu_for(session, message.chat.id))
        return
    label = match_label(message.text or "", list(CATEGORIES.values()))
    if label is None:
        hint = TAP_A_BUTTON.format(example="tien luong")
        await message.answer(f"{ASK_CATEGORY}\n{hint}", reply_markup=category_markup())
        return
    code = next(c for c, lbl in CATEGORIES.items() if lbl == label)
    await state.set_state(PetitionForm.content)
    await state.update_data(category=code)
    await message.answer(ASK_CONTENT.format(label=escape(label)))


async def chose_category(query: CallbackQuery, callback_data: CategoryCb, state: FSMContext) -> None:
    label = CATEGORIES.get(callback_data.code)
    if label is None:
        await query.answer("Lĩnh vực không hợp lệ.")
        return
    await state.set_state(PetitionForm.content)
    await state.update_data(category=callback_data.code)
    if query.message is not None:
        await query.bot.edit_message_text(  # type: ignore[union-attr]
            ASK_CONTENT.format(label=escape(label)),
            chat_id=query.message.chat.id,
            message_id=query.message.message_id,
        )
    await query.answer()


async def got_content(message: Message, state: FSMContext, session: AsyncSession) -> None:
    if fold(message.text or "") in CANCEL_WORDS:
        await state.clear()
        await message.answer("Đã huỷ gửi kiến nghị.", reply_markup=await menu_for(session, message.chat.id))
        return
    data: dict[str, str | None] = {"text": message.text or message.caption or ""}
    if message.photo:
        data.update(kind="photo", file_id=message.photo[-1].file_id, name=None)
    elif message.document:
        data.update(kind="document", file_id=message.document.file_id, name=message.document.file_name)
    elif not message.text:
        await message.answer(WRONG_CONTENT)
        return
    await state.update_data(data)
    await state.set_state(PetitionForm.anonymity)
    await message.answer(ASK_ANONYMITY, reply_markup=anonymity_markup())


async def chose_anonymity(
    query: CallbackQuery, callback_data: AnonCb, state: FSMContext, session: AsyncSession, bot: Bot
) -> None:
    chat_id = query.message.chat.id if query.message else query.from_user.id
    if not await _send(query.from_user.id, chat_id, callback_data.anonymous, state, session, bot):
        await query.answer(EXPIRED, show_alert=True)
        return
    await query.answer()


async def typed_anonymity(message: Message, state: FSMContext, session: AsyncSession, bot: Bot) -> None:
    """`an danh` or `ho ten` typed instead of tapping a button."""
    if fold(message.text or "") in CANCEL_WORDS:
        await state.clear()
        await message.answer("Đã huỷ gửi kiến nghị.", reply_markup=await menu_for(session, message.chat.id))
        return
    label = match_label(message.text or "", [NAMED_LABEL, ANONYMOUS_LABEL])
    if label is None:
        hint = TAP_A_BUTTON.format(example="an danh")
        await message.answer(f"{ASK_ANONYMITY}\n{hint}", reply_markup=anonymity_markup())
        return
    assert message.from_user is not None
    if not await _send(message.from_user.id, message.chat.id, label == ANONYMOUS_LABEL, state, session, bot):
        await message.answer(EXPIRED)


async def _send(
    user_id: int, chat_id: int, anonymous: bool, state: FSMContext, session: AsyncSession, bot: Bot
) -> bool:
    """Submit the petition kept in the FSM data; False when that data is gone (an expired session)."""
    data = await state.get_data()
    person = await person_by_telegram(session, telegram_user_id=user_id)
    if person is None or "category" not in data:
        await state.clear()
        return False
    await state.clear()
    routing = await petition_service.submit(
        session,
        sender=person,
        category=data["category"],
        text=data.get("text") or "",
        anonymous=anonymous,
        sender_chat_id=chat_id,
        attachment_kind=data.get("kind"),
        attachment_file_id=data.get("file_id"),
        attachment_name=data.get("name"),
    )
    whom = escape(routing.handling_unit.name) if routing.handling_unit else "Ban Chấp hành công đoàn cơ sở"
    whom = f"Chủ tịch công đoàn cơ sở và cán bộ {whom}"
    await bot.send_message(user_id, SENT.format(ref=routing.petition.reference, whom=whom))
    return True


async def _answer(message: Message, session: AsyncSession, bot: Bot, petition_id: int) -> None:
    assert message.from_user is not None
    scope = await scope_for_telegram_user(session, telegram_user_id=message.from_user.id)
    if scope is None:
        await message.answer(NOT_REGISTERED)
        return
    petition, _ = await petition_service.answer(
        session,
        scope=scope,
        petition_id=petition_id,
        text_=message.text or "",
        answered_by_id=scope.person_id,
    )
    await message.answer(f"✅ Đã gửi trả lời kiến nghị <b>{petition.reference}</b> tới người gửi.")


async def is_notice_reply(message: Message, session: AsyncSession) -> bool | dict[str, int]:
    reply = message.reply_to_message
    if reply is None or not message.text:
        return False
    petition = await petition_for_message(session, chat_id=message.chat.id, message_id=reply.message_id)
    return {"petition_id": petition.id} if petition else False


async def answer_by_reply(message: Message, session: AsyncSession, bot: Bot, petition_id: int) -> None:
    await _answer(message, session, bot, petition_id)


async def answer_typed(message: Message, session: AsyncSession, bot: Bot, state: FSMContext) -> None:
    data = await state.get_data()
    await state.clear()
    if fold(message.text or "") in CANCEL_WORDS:
        await message.answer("Đã huỷ trả lời.", reply_markup=await menu_for(session, message.chat.id))
        return
    await _answer(message, session, bot, int(data["petition_id"]))


async def on_action(
    query: CallbackQuery, callback_data: ActionCb, session: AsyncSession, state: FSMContext, bot: Bot
) -> None:
    scope = await scope_for_telegram_user(session, telegram_user_id=query.from_user.id)
    petition = await session.get(Petition, callback_data.petition_id)
    if scope is None or petition is None:
        await query.answer("Không tìm thấy kiến nghị.", show_alert=True)
        return
    if callback_data.action == "answer":
        await state.set_state(PetitionAnswer.text)
        await state.update_data(petition_id=petition.id)
        await query.answer()
        await bot.send_message(query.from_user.id, ASK_ANSWER.format(ref=petition.reference))
        return
    routing, count = await petition_service.forward(session, scope=scope, petition_id=petition.id)
    target = routing.handling_unit.name if routing.handling_unit else ""
    await query.answer(f"Đã chuyển lên {target} ({count} cán bộ nhận).", show_alert=True)


def build_router() -> Router:
    router = Router(name="petitions")
    router.message.filter(F.chat.type == "private")
    router.message.register(start, Command("kiennghi"))
    router.message.register(start, F.text == PETITION_BUTTON)
    router.callback_query.register(chose_category, CategoryCb.filter())
    typed = (F.text, ~F.text.startswith("/"), ~F.text.in_({label for row in MENU_ROWS for label in row}))
    router.message.register(typed_category, StateFilter(PetitionForm.category), *typed)
    router.message.register(got_content, StateFilter(PetitionForm.content))
    router.message.register(typed_anonymity, StateFilter(PetitionForm.anonymity), *typed)
    router.callback_query.register(chose_anonymity, AnonCb.filter(), StateFilter(PetitionForm.anonymity))
    router.message.register(answer_typed, StateFilter(PetitionAnswer.text), F.text)
    router.message.register(answer_by_reply, F.reply_to_message, is_notice_reply)
    router.callback_query.register(on_action, ActionCb.filter())
    return router
