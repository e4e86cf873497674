"""Leaders reply to a report request: one line (as a reply to the request, or `/baocao MÃ …`) or a guided
form, one question at a time. Thin: parse, call reports.services, format with reports.texts."""

from __future__ import annotations

from html import escape

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from directory.identities import is_zalo
from directory.models import OrgUnit
from handlers import report_form
from outbox.telegram import to_inline
from reports.errors import InvalidReply, ReportError
from reports.lines import parse_line, usage
from reports.notify import request_markup, request_message
from reports.recipients import person_by_telegram, units_led_by
from reports.services import form_of_round, get_round, open_rounds_for_unit, submit
from reports.texts import issues_text, stored_text

REPORT_BUTTON = "📋 Báo cáo số liệu"  # in handlers/menu.py MENU_ROWS
NOT_A_LEADER = (
    "Chỉ Chủ tịch CĐCS đã đăng ký trên Loa mới gửi được báo cáo của đơn vị. "
    "Xin nhờ cán bộ công đoàn cấp trên gửi đường dẫn mời."
)
NO_OPEN_ROUND = "Hiện đơn vị của đồng chí không có kỳ báo cáo nào đang mở{code}."
BAOCAO_HELP = (
    "Cách gửi báo cáo bằng một dòng: <code>/baocao MÃ_BIỂU_MẪU các số</code>, ví dụ "
    "<code>/baocao TK 120 12 300</code>, hoặc trả lời (reply) tin nhắn yêu cầu báo cáo."
)


async def store_line(
    message: Message, session: AsyncSession, *, round_id: int, unit: OrgUnit, text: str, person_id: int
) -> None:
    round_ = await get_round(session=session, round_id=round_id)
    form = await form_of_round(session=session, round_=round_)
    raw, line_issues = parse_line(form, text)
    try:
        if line_issues:
            raise InvalidReply(line_issues)
        result = await submit(
            session=session,
            round_id=round_id,
            unit_id=unit.id,
            raw=raw,
            submitted_by_id=person_id,
            channel="line",
        )
    except InvalidReply as exc:
        await message.answer(issues_text(exc.issues) + "\n\nMẫu:\n" + usage(form))
        return
    except ReportError as exc:
        await message.answer(escape(exc.message))
        return
    await message.answer(stored_text(result, unit, round_))  # sent after the commit (bot/replies.py)


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


async def report_button(message: Message, session: AsyncSession) -> None:
    await baocao(message, CommandObject(prefix="/", command="baocao"), session)


async def baocao(message: Message, command: CommandObject, session: AsyncSession) -> None:
    person = await person_by_telegram(session, telegram_user_id=message.from_user.id)  # type: ignore[union-attr]
    units = await units_led_by(session, person_id=person.id) if person else []
    if person is None or not units:
        await message.answer(NOT_A_LEADER)
        return
    args = (command.args or "").strip()
    code, _, rest = args.partition(" ")
    if code[:1].isdigit() or "=" in code or code[:1] in "~-":
        code, rest = "", args
    choices = [
        (unit, round_)
        for unit in units
        for round_ in await open_rounds_for_unit(session=session, unit_id=unit.id, template_code=code or None)
    ]
    if not choices:
        await message.answer(NO_OPEN_ROUND.format(code=f" cho biểu mẫu «{escape(code)}»" if code else ""))
        return
    if not rest.strip():
        for unit, round_ in choices[:5]:
            form = await form_of_round(session=session, round_=round_)
            await message.answer(
                f"📋 {escape(round_.title)} — <b>{escape(unit.name)}</b>\n"
                f"Gửi một dòng: <code>/baocao {form.code} …</code>\n{usage(form)}",
                reply_markup=to_inline(request_markup(round_.id, unit.id)),
            )
        return
    if len(choices) > 1:
        names = "\n".join(f"• {escape(u.name)}: {escape(r.title)}" for u, r in choices[:10])
        await message.answer(
            "Đồng chí phụ trách nhiều đơn vị/kỳ báo cáo đang mở:\n"
            f"{names}\nXin <b>trả lời (reply) đúng tin nhắn yêu cầu</b> của đơn vị cần báo cáo."
        )
        return
    unit, round_ = choices[0]
    await store_line(message, session, round_id=round_.id, unit=unit, text=rest, person_id=person.id)


WHICH_REQUEST = "Đồng chí đang có nhiều kỳ báo cáo mở. Dòng số liệu vừa gửi là cho kỳ nào?"
SEND_AGAIN = "Xin gửi lại dòng số liệu."


async def open_requests(session: AsyncSession, person_id: int) -> list[tuple[OrgUnit, int, str]]:
    return [
        (unit, round_.id, round_.title)
        for unit in await units_led_by(session, person_id=person_id)
        for round_ in await open_rounds_for_unit(session=session, unit_id=unit.id, template_code=None)
    ]


async def bare_line(message: Message, session: AsyncSession, state: FSMContext) -> None:
    """Zalo has no reply-to: a line of figures from a leader goes to their open request; with
    several open, Loa asks which one (the line waits in the FSM data)."""
    text = (message.text or "").strip()
    if not is_zalo(message.chat.id) or text.startswith("/") or not any(ch.isdigit() for ch in text):
        raise SkipHandler()
    person = await person_by_telegram(session, telegram_user_id=message.from_user.id)  # type: ignore[union-attr]
    requests = await open_requests(session, person.id) if person else []
    if person is None or not requests:
        raise SkipHandler()
    if len(requests) == 1:
        unit, round_id, _ = requests[0]
        await store_line(message, session, round_id=round_id, unit=unit, text=text, person_id=person.id)
        return
    await state.update_data(pending_line=text)
    rows = [
        [InlineKeyboardButton(text=f"{unit.name}: {title}"[:60], callback_data=f"rpl:{round_id}:{unit.id}")]
        for unit, round_id, title in requests[:9]
    ]
    await message.answer(WHICH_REQUEST, reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))


async def pick_request(query: CallbackQuery, session: AsyncSession, state: FSMContext) -> None:
    _, round_id, unit_id = (query.data or "rpl:0:0").split(":")
    person = await person_by_telegram(session, telegram_user_id=query.from_user.id)
    units = {u.id: u for u in await units_led_by(session, person_id=person.id)} if person else {}
    line = (await state.get_data()).get("pending_line")
    if person is None or int(unit_id) not in units or not isinstance(query.message, Message):
        await query.answer(NOT_A_LEADER, show_alert=True)
        return
    if not line:
        await query.answer(SEND_AGAIN, show_alert=True)
        return
    await state.update_data(pending_line=None)
    await query.answer()
    await store_line(
        query.message,
        session,
        round_id=int(round_id),
        unit=units[int(unit_id)],
        text=line,
        person_id=person.id,
    )


def build_router() -> Router:
    router = Router(name="report_reply")
    router.message.filter(F.chat.type == "private")
    router.include_router(report_form.build_router())
    router.message.register(baocao, Command("baocao"))
    router.message.register(report_button, F.text == REPORT_BUTTON)
    router.message.register(reply_to_request, F.reply_to_message, F.text)
    router.message.register(bare_line, F.text, StateFilter(None))
    router.callback_query.register(pick_request, F.data.startswith("rpl:"))
    return router
