"""Officers in chat: /thongke (completeness and timeliness per child unit, chart, missing units),
/xuatbaocao (the XLSX), «nhắc lại» (remind the missing now) and /duyet (accept or return submissions)."""

from __future__ import annotations

from html import escape

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from sqlalchemy.ext.asyncio import AsyncSession

from common.messages import split_message
from common.vietnamese import fold
from directory import tree
from directory.access import Scope, scope_for_person
from directory.models import OrgUnit, Role
from reports.chart import completeness_chart
from reports.exports import export_xlsx
from reports.models import ReportRound
from reports.notify import remind_missing, review_and_tell
from reports.recipients import person_by_telegram
from reports.rollup import completeness, missing_units, totals
from reports.services import (
    current_round_for_subtree,
    form_of_round,
    get_round,
    get_submission,
    latest_revision,
    pending_review,
)
from reports.texts import stats_text, values_block

STATS_BUTTON = "📊 Thống kê báo cáo"  # in handlers/menu.py MENU_ROWS
NOT_OFFICER = "Chức năng này dành cho cán bộ công đoàn cấp trên."
NO_ROUND = "Chưa có kỳ báo cáo nào cho đơn vị của đồng chí."
REMIND_BUTTON = "🔔 Nhắc lại"
ASK_COMMENT = "Xin gõ <b>lý do trả lại</b> để đơn vị sửa (hoặc gõ «huỷ»):"


class ReviewComment(StatesGroup):
    waiting = State()


async def officer_scope(session: AsyncSession, telegram_user_id: int) -> tuple[Scope, int] | None:
    person = await person_by_telegram(session, telegram_user_id=telegram_user_id)
    if person is None:
        return None
    scope = await scope_for_person(session, person=person)
    return (scope, person.id) if scope.roots(Role.officer) else None


async def officer_unit(session: AsyncSession, scope: Scope, code: str | None) -> OrgUnit | None:
    """The unit asked for by code (if within the officer's subtree), else the officer's topmost unit."""
    if code:
        unit = await tree.lookup_code(session, code=code)
        return unit if unit is not None and scope.allows(Role.officer, unit.path) else None
    roots = await tree.units_at_paths(session, paths=scope.roots(Role.officer)[:1])
    return roots[0] if roots else None


def stats_markup(round_id: int, unit_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=REMIND_BUTTON, callback_data=f"rpo:remind:{round_id}:{unit_id}"),
                InlineKeyboardButton(text="📥 Xuất Excel", callback_data=f"rpo:xlsx:{round_id}:{unit_id}"),
            ]
        ]
    )


async def _context(
    message: Message, session: AsyncSession, command: CommandObject | None
) -> tuple[OrgUnit, ReportRound, int] | None:
    found = await officer_scope(session, message.from_user.id)  # type: ignore[union-attr]
    if found is None:
        await message.answer(NOT_OFFICER)
        return None
    scope, person_id = found
    unit = await officer_unit(session, scope, command.args if command else None)
    if unit is None:
        await message.answer("Không tìm thấy đơn vị này trong phạm vi phụ trách của đồng chí.")
        return None
    round_ = await current_round_for_subtree(session=session, unit=unit)
    if round_ is None:
        await message.answer(NO_ROUND)
        return None
    return unit, round_, person_id


async def thongke(message: Message, command: CommandObject, session: AsyncSession) -> None:
    found = await _context(message, session, command)
    if found is None:
        return
    unit, round_, _ = found
    rows = await completeness(session=session, round_=round_, parent=unit)
    total = await totals(session=session, round_=round_, root_path=unit.path)
    missing = await missing_units(session=session, round_id=round_.id, root_path=unit.path)
    parts = split_message(stats_text(round_, unit, total, rows, missing))
    for i, part in enumerate(parts, 1):
        await message.answer(part, reply_markup=stats_markup(round_.id, unit.id) if i == len(parts) else None)
    png = completeness_chart(rows, f"{round_.title} — {unit.name}")
    await message.answer_photo(
        BufferedInputFile(png, filename="thong-ke.png"), caption="Tỷ lệ nộp và đúng hạn"
    )


async def stats_button(message: Message, session: AsyncSession) -> None:
    await thongke(message, CommandObject(prefix="/", command="thongke"), session)


async def send_xlsx(message: Message, session: AsyncSession, round_: ReportRound, unit: OrgUnit) -> None:
    content = await export_xlsx(session=session, round_=round_, root=unit)
    name = f"bao-cao-{round_.id}-{fold(unit.code).replace(' ', '-')}.xlsx"
    await message.answer_document(BufferedInputFile(content, filename=name), caption=escape(round_.title))


async def xuatbaocao(message: Message, command: CommandObject, session: AsyncSession) -> None:
    found = await _context(message, session, command)
    if found is not None:
        unit, round_, _ = found
        await send_xlsx(message, session, round_, unit)


async def _button_target(
    query: CallbackQuery, session: AsyncSession
) -> tuple[ReportRound, OrgUnit, Message] | None:
    _, _, round_id, unit_id = (query.data or "").split(":")
    found = await officer_scope(session, query.from_user.id)
    unit = await session.get(OrgUnit, int(unit_id))
    if found is None or unit is None or not found[0].allows(Role.officer, unit.path):
        await query.answer(NOT_OFFICER, show_alert=True)
        return None
    if not isinstance(query.message, Message):
        await query.answer()
        return None
    return await get_round(session=session, round_id=int(round_id)), unit, query.message


async def remind_now(query: CallbackQuery, session: AsyncSession, bot: Bot) -> None:
    target = await _button_target(query, session)
    if target is None:
        return
    round_, unit, message = target
    if round_.status == "closed":
        await query.answer("Kỳ báo cáo đã khoá sổ.", show_alert=True)
        return
    result = await remind_missing(session=session, round_=round_, root_path=unit.path, kind="manual")
    await query.answer("Đã gửi nhắc.")
    await message.answer(
        f"🔔 Đã nhắc lại {result['sent']} người phụ trách của {result['missing']} đơn vị chưa nộp"
        + (f"; {result['unreachable']} đơn vị chưa có người nhận trên Loa." if result["unreachable"] else ".")
    )


async def xlsx_button(query: CallbackQuery, session: AsyncSession) -> None:
    target = await _button_target(query, session)
    if target is not None:
        await query.answer()
        await send_xlsx(target[2], session, target[0], target[1])


async def duyet(message: Message, command: CommandObject, session: AsyncSession) -> None:
    found = await _context(message, session, command)
    if found is None:
        return
    unit, round_, _ = found
    pending = await pending_review(session=session, round_id=round_.id, root_path=unit.path)
    if not pending:
        await message.answer(f"Không có báo cáo nào chờ duyệt trong {escape(round_.title)}.")
        return
    form = await form_of_round(session=session, round_=round_)
    for submission, reporter in pending:
        revision = await latest_revision(session=session, submission_id=submission.id)
        late = " (nộp muộn)" if submission.is_late else ""
        await message.answer(
            f"📥 <b>{escape(reporter.name)}</b>{late} — {escape(round_.title)}\n"
            + values_block(form, revision.values if revision else {}, revision.estimates if revision else []),
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[
                    [
                        InlineKeyboardButton(text="✅ Chấp nhận", callback_data=f"rpv:ok:{submission.id}"),
                        InlineKeyboardButton(text="↩️ Trả lại", callback_data=f"rpv:ret:{submission.id}"),
                    ]
                ]
            ),
        )


async def review_button(query: CallbackQuery, session: AsyncSession, state: FSMContext, bot: Bot) -> None:
    _, action, submission_id = (query.data or "").split(":")
    found = await officer_scope(session, query.from_user.id)
    submission = await get_submission(session=session, submission_id=int(submission_id))
    unit = await session.get(OrgUnit, submission.unit_id)
    parent_path = unit.path.rsplit("/", 2)[0] + "/" if unit else "/"
    if found is None or unit is None or not found[0].allows(Role.officer, parent_path):
        await query.answer(NOT_OFFICER, show_alert=True)
        return
    if action == "ret":
        await state.set_state(ReviewComment.waiting)
        await state.set_data({"submission_id": submission.id})
        await query.answer()
        await bot.send_message(query.from_user.id, ASK_COMMENT)
        return
    await review_and_tell(session=session, submission_id=submission.id, reviewer_id=found[1], accept=True)
    await query.answer("Đã chấp nhận.")
    await bot.send_message(query.from_user.id, f"✅ Đã chấp nhận báo cáo của {escape(unit.name)}.")


async def review_comment(message: Message, session: AsyncSession, state: FSMContext, bot: Bot) -> None:
    data = await state.get_data()
    if fold(message.text or "") in {"huy", "/huy"}:
        await state.clear()
        await message.answer("Đã huỷ việc trả lại.")
        return
    found = await officer_scope(session, message.from_user.id)  # type: ignore[union-attr]
    _, told = await review_and_tell(
        session=session,
        submission_id=data["submission_id"],
        reviewer_id=found[1] if found else None,
        accept=False,
        comment=message.text,
    )
    await state.clear()
    await message.answer(f"↩️ Đã trả lại báo cáo; đã báo cho {told} người phụ trách đơn vị.")


def build_router() -> Router:
    router = Router(name="report_officer")
    router.message.filter(F.chat.type == "private")
    router.message.register(thongke, Command("thongke"))
    router.message.register(stats_button, F.text == STATS_BUTTON)
    router.message.register(xuatbaocao, Command("xuatbaocao"))
    router.message.register(duyet, Command("duyet"))
    router.message.register(review_comment, StateFilter(ReviewComment.waiting), F.text)
    router.callback_query.register(remind_now, F.data.startswith("rpo:remind:"))
    router.callback_query.register(xlsx_button, F.data.startswith("rpo:xlsx:"))
    router.callback_query.register(review_button, F.data.startswith("rpv:"))
    return router
