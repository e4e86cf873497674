"""The guided report form: one question at a time, with back, skip (optional fields) and cancel, and a
summary to confirm before anything is stored. State lives in the persistent FSM storage (SQL or Redis),
so a form in progress survives a restart."""

from __future__ import annotations

from html import escape
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from common.vietnamese import fold
from directory.models import OrgUnit
from reports.forms import FieldSpec, FieldType, Form
from reports.models import RoundStatus
from reports.recipients import person_by_telegram, units_led_by
from reports.services import form_of_round, get_round, submit
from reports.texts import issues_text, question_text, stored_text, summary_text, understood_text
from reports.validation import check_value, validate

BACK_WORDS = {"quay lai", "/quaylai", "lui"}
SKIP_WORDS = {"bo qua", "/boqua"}
CANCEL_WORDS = {"huy", "/huy", "/cancel"}
SEND_WORDS = {"gui", "ok", "dong y", "xac nhan"}
CANCELLED = "Đã huỷ, chưa có số liệu nào được lưu. Khi cần, bấm lại «📝 Nhập theo mẫu»."
NOT_YOURS = "Đồng chí không phải Chủ tịch của đơn vị này nên không gửi được báo cáo."
CLOSED = "Kỳ báo cáo này đã khoá sổ."
CANNOT_SKIP = "Mục này bắt buộc, không bỏ qua được."
PRESS_A_BUTTON = "Xin bấm <b>✅ Gửi báo cáo</b> để lưu, <b>⬅️ Quay lại</b> để sửa hoặc <b>❌ Huỷ</b>."


class ReportForm(StatesGroup):
    answering = State()
    confirming = State()


def question_markup(spec: FieldSpec, first: bool) -> InlineKeyboardMarkup:
    """Navigation, and the answers themselves where there are few: Có/Không, or the choices."""
    answers: list[list[InlineKeyboardButton]] = []
    if spec.type is FieldType.yes_no:
        answers = [
            [
                InlineKeyboardButton(text="Có", callback_data="rpf:a:co"),
                InlineKeyboardButton(text="Không", callback_data="rpf:a:khong"),
            ]
        ]
    elif spec.type is FieldType.choice:
        answers = [
            [InlineKeyboardButton(text=c[:60], callback_data=f"rpf:a:{i}")]
            for i, c in enumerate(spec.choices, 1)
        ][:10]
    optional = not spec.required
    row = []
    if not first:
        row.append(InlineKeyboardButton(text="⬅️ Quay lại", callback_data="rpf:back"))
    if optional:
        row.append(InlineKeyboardButton(text="⏭ Bỏ qua", callback_data="rpf:skip"))
    row.append(InlineKeyboardButton(text="❌ Huỷ", callback_data="rpf:cancel"))
    return InlineKeyboardMarkup(inline_keyboard=[*answers, row])


CONFIRM_MARKUP = InlineKeyboardMarkup(
    inline_keyboard=[
        [InlineKeyboardButton(text="✅ Gửi báo cáo", callback_data="rpf:ok")],
        [
            InlineKeyboardButton(text="⬅️ Quay lại", callback_data="rpf:back"),
            InlineKeyboardButton(text="❌ Huỷ", callback_data="rpf:cancel"),
        ],
    ]
)


async def _form(session: AsyncSession, data: dict[str, Any]) -> Form:
    return await form_of_round(
        session=session, round_=await get_round(session=session, round_id=data["round_id"])
    )


async def ask(bot: Bot, chat_id: int, state: FSMContext, session: AsyncSession, note: str = "") -> None:
    """Send the current question (after `note`, in the same message), or the summary once all are answered."""
    data = await state.get_data()
    form = await _form(session, data)
    answers: dict[str, str] = data.get("answers", {})
    index: int = data["index"]
    if index >= len(form.fields):
        checked = validate(form, answers)
        if checked.ok:
            await state.set_state(ReportForm.confirming)
            text = summary_text(form, checked.values, checked.estimates, answers)
            await bot.send_message(chat_id, note + text, reply_markup=CONFIRM_MARKUP)
            return
        first = checked.issues[0].field_key
        index = form.keys.index(first) if first in form.keys else len(form.fields) - 1
        await state.update_data(index=index)
        note += (
            issues_text(checked.issues).replace("Xin gửi lại cả dòng sau khi sửa.", "Xin nhập lại.") + "\n\n"
        )
    await state.set_state(ReportForm.answering)
    spec = form.fields[index]
    await bot.send_message(
        chat_id,
        note + question_text(form, index, answers.get(spec.key) or None),
        reply_markup=question_markup(spec, index == 0),
    )


async def start(query: CallbackQuery, state: FSMContext, session: AsyncSession, bot: Bot) -> None:
    _, _, round_id, unit_id = (query.data or "").split(":")
    person = await person_by_telegram(session, telegram_user_id=query.from_user.id)
    units = {u.id for u in await units_led_by(session, person_id=person.id)} if person else set()
    if int(unit_id) not in units:
        await query.answer(NOT_YOURS, show_alert=True)
        return
    round_ = await get_round(session=session, round_id=int(round_id))
    if round_.status == RoundStatus.closed.value:
        await query.answer(CLOSED, show_alert=True)
        return
    await query.answer()
    await state.set_state(ReportForm.answering)
    await state.set_data({"round_id": round_.id, "unit_id": int(unit_id), "index": 0, "answers": {}})
    unit = await session.get(OrgUnit, int(unit_id))
    title = f"📝 {escape(round_.title)} — <b>{escape(unit.name if unit else '')}</b>\n\n"
    await ask(bot, query.from_user.id, state, session, note=title)


async def move(chat_id: int, step: int, state: FSMContext, session: AsyncSession, bot: Bot) -> None:
    data = await state.get_data()
    form = await _form(session, data)
    index = min(len(form.fields), max(0, data["index"] + step))
    if step > 0 and data["index"] < len(form.fields):
        spec = form.fields[data["index"]]
        if spec.required:
            await bot.send_message(chat_id, CANNOT_SKIP)
            return
        answers = {**data.get("answers", {}), spec.key: ""}
        await state.update_data(answers=answers)
    if step < 0 and data["index"] >= len(form.fields):
        index = len(form.fields) - 1
    await state.update_data(index=index)
    await ask(bot, chat_id, state, session)


async def on_button(query: CallbackQuery, state: FSMContext, session: AsyncSession, bot: Bot) -> None:
    action = (query.data or "").split(":")[1]
    await query.answer()
    chat_id = query.from_user.id
    if action == "cancel":
        await state.clear()
        await bot.send_message(chat_id, CANCELLED)
    elif action == "back":
        await move(chat_id, -1, state, session, bot)
    elif action == "skip":
        await move(chat_id, +1, state, session, bot)
    elif action == "ok":
        await confirm(chat_id, state, session, bot)
    elif action == "a" and await state.get_state() == ReportForm.answering.state:
        await answer(chat_id, (query.data or "").split(":")[2], state, session, bot)


async def confirm(chat_id: int, state: FSMContext, session: AsyncSession, bot: Bot) -> None:
    data = await state.get_data()
    person = await person_by_telegram(session, telegram_user_id=chat_id)
    units = {u.id: u for u in await units_led_by(session, person_id=person.id)} if person else {}
    unit = units.get(data["unit_id"])
    if person is None or unit is None:
        await state.clear()
        await bot.send_message(chat_id, NOT_YOURS)
        return
    result = await submit(
        session=session,
        round_id=data["round_id"],
        unit_id=unit.id,
        raw=data.get("answers", {}),
        submitted_by_id=person.id,
        channel="form",
    )
    await state.clear()
    round_ = await get_round(session=session, round_id=data["round_id"])
    # sent after the commit
    await bot.send_message(chat_id, stored_text(result, unit, round_, data.get("answers", {})))


async def on_text(message: Message, state: FSMContext, session: AsyncSession, bot: Bot) -> None:
    chat_id = message.chat.id
    word = fold(message.text or "")
    if word in CANCEL_WORDS:
        await state.clear()
        await message.answer(CANCELLED)
        return
    if word in BACK_WORDS:
        await move(chat_id, -1, state, session, bot)
        return
    if word in SKIP_WORDS:
        await move(chat_id, +1, state, session, bot)
        return
    if await state.get_state() == ReportForm.confirming.state:
        if word in SEND_WORDS:
            await confirm(chat_id, state, session, bot)
        else:
            await message.answer(PRESS_A_BUTTON, reply_markup=CONFIRM_MARKUP)
        return
    await answer(chat_id, message.text or "", state, session, bot)


async def answer(chat_id: int, typed: str, state: FSMContext, session: AsyncSession, bot: Bot) -> None:
    """One answer, typed or pressed: refused with the reason, or echoed as understood before the next step."""
    data = await state.get_data()
    form = await _form(session, data)
    spec = form.fields[data["index"]]
    value, estimate, error = check_value(spec, typed)
    if error is not None:
        await ask(bot, chat_id, state, session, note=f"❗ {escape(error)}\nXin nhập lại.\n\n")
        return
    answers = {**data.get("answers", {}), spec.key: typed.strip()}
    await state.update_data(answers=answers, index=data["index"] + 1)
    echo = understood_text(form, spec.key, value, estimate=estimate, typed=typed.strip())
    await ask(bot, chat_id, state, session, note=echo + "\n\n")


def build_router() -> Router:
    router = Router(name="report_form")
    router.message.filter(F.chat.type == "private")
    router.callback_query.register(start, F.data.startswith("rpf:start:"))
    router.callback_query.register(
        on_button,
        StateFilter(ReportForm.answering, ReportForm.confirming),
        F.data.in_({"rpf:back", "rpf:skip", "rpf:cancel", "rpf:ok"}) | F.data.startswith("rpf:a:"),
    )
    router.message.register(on_text, ReportForm.answering, F.text)
    router.message.register(on_text, ReportForm.confirming, F.text)
    return router
