"""Leaders reply to a report request: one line (as a reply to the request, as a bare line of figures, or
`/baocao [MÃ] …`) or a guided form, one question at a time. Thin: parse, call reports.services, format with
reports.texts. Refusals other than invalid values (closed round…) are answered by handlers/errors.py."""

from __future__ import annotations

from html import escape

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from directory.models import OrgUnit
from handlers import report_form
from outbox.telegram import to_inline
from reports.forms import Form
from reports.lines import looks_like_figures, parse_line, usage, which_code
from reports.models import ReportRound
from reports.notify import request_markup, request_message
from reports.recipients import person_by_telegram, units_led_by
from reports.services import form_of_round, get_round, open_rounds_for_unit, submit
from reports.texts import issues_text, stored_text
from reports.validation import validate

REPORT_BUTTON = "📋 Báo cáo số liệu"  # in handlers/menu.py MENU_ROWS
NOT_A_LEADER = (
    "Chỉ Chủ tịch CĐCS đã đăng ký trên Loa mới gửi được báo cáo của đơn vị. "
    "Xin nhờ cán bộ công đoàn cấp trên gửi đường dẫn mời."
)
ONLY_LEADERS = (
    "Chức năng gửi báo cáo số liệu dành cho Chủ tịch CĐCS. Đồng chí đã đăng ký trên Loa "
    "nhưng không phải Chủ tịch của đơn vị nào; gõ /toi để xem vai trò của mình."
)
NO_OPEN_ROUND = "Hiện đơn vị của đồng chí không có kỳ báo cáo nào đang mở{code}."
WRONG_CODE = (
    "Không có biểu mẫu «{code}» đang mở. Biểu mẫu đang mở: {codes}.\nVí dụ: <code>/baocao {first} …</code>"
)
WHICH_ONE = "Dòng số liệu này dành cho kỳ báo cáo nào? Xin bấm một nút:\n<code>{line}</code>"
LINE_GONE = "Không còn dòng số liệu để gửi. Xin gửi lại dòng số liệu."
PICK_PREFIX = "rpl:pick:"

Choice = tuple[OrgUnit, ReportRound, Form]


async def store_line(
    message: Message, session: AsyncSession, *, round_id: int, unit: OrgUnit, text: str, person_id: int
) -> None:
    round_ = await get_round(session=session, round_id=round_id)
    form = await form_of_round(session=session, round_=round_)
    raw, issues = parse_line(form, text)
    issues = issues or validate(form, raw).issues
    if issues:  # a normal answer, not an error: the person fixes the line and sends it again
        await message.answer(issues_text(issues) + "\n\nMẫu:\n" + usage(form))
        return
    result = await submit(
        session=session,
        round_id=round_id,
        unit_id=unit.id,
        raw=raw,
        submitted_by_id=person_id,
        channel="line",
    )
    await message.answer(stored_text(result, unit, round_, raw))  # sent after the commit (bot/replies.py)


async def reply_to_request(message: Message, session: AsyncSession, bot: Bot) -> None:
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != bot.id:
        raise SkipHandler()
    asked = await request_message(
        session=session, telegram_chat_id=message.chat.id, message_id=replied.message_id
    )
    if asked is None:
        raise SkipHandler()
    person = await person_by_telegram(session, telegram_user_id=message.from_user.id)  # type: ignore[union-attr]
    units = {u.id: u for u in await units_led_by(session, person_id=person.id)} if person else {}
    if person is None or asked.unit_id not in units:
        await message.answer(NOT_A_LEADER)
        return
    await store_line(
        message,
        session,
        round_id=asked.round_id,
        unit=units[asked.unit_id],
        text=message.text or "",
        person_id=person.id,
    )


async def _open_choices(session: AsyncSession, units: list[OrgUnit]) -> list[Choice]:
    choices: list[Choice] = []
    for unit in units:
        for round_ in await open_rounds_for_unit(session=session, unit_id=unit.id):
            choices.append((unit, round_, await form_of_round(session=session, round_=round_)))
    return choices


def _pick_markup(choices: list[Choice]) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                text=f"{unit.name} — {round_.title}"[:60], callback_data=f"{PICK_PREFIX}{round_.id}:{unit.id}"
            )
        ]
        for unit, round_, _ in choices[:10]
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def _send_line(
    message: Message,
    session: AsyncSession,
    state: FSMContext,
    choices: list[Choice],
    text: str,
    person_id: int,
) -> None:
    """One open request: the line goes to it. Several: ask which one, keeping the line until the answer."""
    if len(choices) == 1:
        unit, round_, _ = choices[0]
        await store_line(message, session, round_id=round_.id, unit=unit, text=text, person_id=person_id)
        return
    await state.update_data(pending_line=text)
    await message.answer(WHICH_ONE.format(line=escape(text)), reply_markup=_pick_markup(choices))


async def bare_line(message: Message, session: AsyncSession, state: FSMContext) -> None:
    """A line of figures sent without «reply»: the most common way to answer on a phone."""
    text = message.text or ""
    if not looks_like_figures(text):
        raise SkipHandler()
    person = await person_by_telegram(session, telegram_user_id=message.from_user.id)  # type: ignore[union-attr]
    units = await units_led_by(session, person_id=person.id) if person else []
    if person is None or not units:
        raise SkipHandler()
    choices = await _open_choices(session, units)
    if not choices:
        await message.answer(NO_OPEN_ROUND.format(code=""))
        return
    await _send_line(message, session, state, choices, text, person.id)


async def picked(query: CallbackQuery, session: AsyncSession, state: FSMContext) -> None:
    round_id, unit_id = (int(x) for x in (query.data or "").removeprefix(PICK_PREFIX).split(":"))
    person = await person_by_telegram(session, telegram_user_id=query.from_user.id)
    units = {u.id: u for u in await units_led_by(session, person_id=person.id)} if person else {}
    text = (await state.get_data()).get("pending_line")
    if person is None or unit_id not in units:
        await query.answer(NOT_A_LEADER[:200], show_alert=True)
        return
    if not text or not isinstance(query.message, Message):
        await query.answer(LINE_GONE, show_alert=True)
        return
    await query.answer()
    await state.update_data(pending_line=None)
    await store_line(
        query.message, session, round_id=round_id, unit=units[unit_id], text=text, person_id=person.id
    )


async def report_button(message: Message, session: AsyncSession, state: FSMContext) -> None:
    await baocao(message, CommandObject(prefix="/", command="baocao"), session, state)


async def baocao(message: Message, command: CommandObject, session: AsyncSession, state: FSMContext) -> None:
    person = await person_by_telegram(session, telegram_user_id=message.from_user.id)  # type: ignore[union-attr]
    units = await units_led_by(session, person_id=person.id) if person else []
    if person is None or not units:
        await message.answer(NOT_A_LEADER if person is None else ONLY_LEADERS)
        return
    choices = await _open_choices(session, units)
    if not choices:
        await message.answer(NO_OPEN_ROUND.format(code=""))
        return
    args = (command.args or "").strip()
    code, line = which_code([form for _, _, form in choices], args)
    if code is not None:
        wanted = [c for c in choices if c[2].code.upper() == code.upper()]
        if not wanted:
            codes = ", ".join(sorted({f"{f.code} ({r.title})" for _, r, f in choices}))
            await message.answer(
                WRONG_CODE.format(code=escape(code), codes=escape(codes), first=escape(choices[0][2].code))
            )
            return
        choices = wanted
    if not line:
        for unit, round_, form in choices[:5]:
            await message.answer(
                f"📋 {escape(round_.title)} — <b>{escape(unit.name)}</b>\n"
                f"Gửi một dòng: <code>/baocao {escape(form.code)} …</code>, hoặc chỉ gõ dòng số liệu:\n"
                f"{usage(form)}",
                reply_markup=to_inline(request_markup(round_.id, unit.id)),
            )
        return
    await _send_line(message, session, state, choices, line, person.id)


def build_router() -> Router:
    router = Router(name="report_reply")
    router.message.filter(F.chat.type == "private")
    router.include_router(report_form.build_router())
    router.message.register(baocao, Command("baocao"))
    router.message.register(report_button, F.text == REPORT_BUTTON)
    router.message.register(reply_to_request, F.reply_to_message, F.text)
    router.message.register(bare_line, StateFilter(None), F.text, ~F.text.startswith("/"))
    router.callback_query.register(picked, F.data.startswith(PICK_PREFIX))
    return router
