"""/tinmoi: the latest campaign news and directives for the member's units, and switches for the
optional categories (campaign news, events); directives cannot be switched off."""

from __future__ import annotations

from html import escape

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from archive.news import CATEGORY_LABELS, OPTIONAL, NewsCategory, latest_news, set_subscription, subscriptions
from common.vietnamese import format_datetime
from directory.browse import person_by_telegram
from handlers.basics import NOT_REGISTERED
from handlers.menu import main_menu

NEWS_BUTTON = "📰 Tin mới"
ICONS = {NewsCategory.directive: "📌", NewsCategory.campaign: "📣", NewsCategory.event: "🎉"}
NO_NEWS = "Chưa có tin mới cho đơn vị của đồng chí."
SETTINGS = "🔔 Nhận tin qua tin nhắn riêng (văn bản chỉ đạo luôn được gửi):"
EXCERPT = 300


class SubCb(CallbackData, prefix="tin"):
    category: str
    on: bool


def _switches(follows: dict[NewsCategory, bool]) -> InlineKeyboardMarkup:
    rows = []
    for c in OPTIONAL:
        state = "đang bật ✅" if follows[c] else "đang tắt 🔕"
        action = "tắt" if follows[c] else "bật"
        rows.append(
            [
                InlineKeyboardButton(
                    text=f"{CATEGORY_LABELS[c]}: {state} — bấm để {action}",
                    callback_data=SubCb(category=c.value, on=not follows[c]).pack(),
                )
            ]
        )
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def tinmoi(message: Message, session: AsyncSession) -> None:
    assert message.from_user is not None
    person = await person_by_telegram(session, telegram_user_id=message.from_user.id)
    if person is None:
        await message.answer(NOT_REGISTERED, reply_markup=main_menu())
        return
    items = await latest_news(session, person_id=person.id)
    if items:
        lines = ["📰 <b>Tin mới cho đơn vị của đồng chí</b>"]
        for item in items:
            text = item.text if len(item.text) <= EXCERPT else item.text[:EXCERPT] + "…"
            doc = f" ({escape(item.document_label)})" if item.document_label else ""
            lines.append(
                f"\n{ICONS[item.category]} <b>{escape(item.title or CATEGORY_LABELS[item.category])}</b>{doc}"
                f" · {format_datetime(item.at)}\n{escape(text)}"
            )
        await message.answer("\n".join(lines))
    else:
        await message.answer(NO_NEWS)
    follows = await subscriptions(session, person_id=person.id)
    await message.answer(SETTINGS, reply_markup=_switches(follows))


async def toggle(query: CallbackQuery, callback_data: SubCb, session: AsyncSession, bot: Bot) -> None:
    person = await person_by_telegram(session, telegram_user_id=query.from_user.id)
    if person is None or callback_data.category not in OPTIONAL:
        await query.answer("Không thể thay đổi mục này.", show_alert=True)
        return
    await set_subscription(
        session, person_id=person.id, category=callback_data.category, enabled=callback_data.on
    )
    follows = await subscriptions(session, person_id=person.id)
    if query.message is not None:
        await bot.edit_message_reply_markup(
            chat_id=query.message.chat.id,
            message_id=query.message.message_id,
            reply_markup=_switches(follows),
        )
    label = CATEGORY_LABELS[NewsCategory(callback_data.category)]
    await query.answer(f"Đã {'bật' if callback_data.on else 'tắt'}: {label}")


def build_router() -> Router:
    router = Router(name="news")
    router.message.filter(F.chat.type == "private")
    router.message.register(tinmoi, Command("tinmoi"))
    router.message.register(tinmoi, F.text == NEWS_BUTTON)
    router.callback_query.register(toggle, SubCb.filter())
    return router
