"""Leaders reply to a report request: one line (as a reply to the request, or `/baocao MÃ …`) or a guided
form, one question at a time. Thin: parse, call reports.services, format with reports.texts."""

from __future__ import annotations

from html import escape

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from directory.models import OrgUnit
from handlers import report_form
from outbox.telegram import to_inline
from reports.audience import person_by_telegram, units_led_by
from reports.errors import InvalidReply, ReportError
from reports.lines import parse_line, usage
from reports.notify import request_markup, request_message
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


def build_router() -> Router:
    router = Router(name="report_reply")
    router.message.filter(F.chat.type == "private")
    router.include_router(report_form.build_router())
    router.message.register(baocao, Command("baocao"))
    router.message.register(report_button, F.text == REPORT_BUTTON)
    router.message.register(reply_to_request, F.reply_to_message, F.text)
    return router
