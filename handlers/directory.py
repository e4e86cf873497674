"""/toi (my units and roles), /donvi (browse my subtree) and /malienket (a group link code)."""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from common.vietnamese import fold, format_datetime
from directory import tree
from directory.access import Scope, scope_for_telegram_user
from directory.browse import (
    child_page,
    person_by_telegram,
    roles_with_units,
    summarise,
    units_by_paths,
    upper_units,
)
from directory.linking import create_link_code, list_blocks
from directory.models import UNIT_KIND_LABELS, Block, OrgUnit, Role
from handlers.basics import NOT_REGISTERED
from handlers.menu import ME_BUTTON, main_menu
from handlers.registration import role_line

OFFICERS_ONLY = "Chức năng này dành cho cán bộ công đoàn."
NO_BLOCK = "-"
KIND_LABELS: dict[str, str] = {k.value: v for k, v in UNIT_KIND_LABELS.items()}


class UnitCb(CallbackData, prefix="dv"):
    unit_id: int
    page: int = 0


class LinkUnitCb(CallbackData, prefix="lk"):
    unit_id: int


class LinkBlockCb(CallbackData, prefix="lb"):
    unit_id: int
    block: str


async def _officer_scope(session: AsyncSession, user_id: int) -> Scope | None:
    scope = await scope_for_telegram_user(session, telegram_user_id=user_id)
    return scope if scope is not None and scope.roots(Role.officer) else None


async def me(message: Message, session: AsyncSession) -> None:
    assert message.from_user is not None
    person = await person_by_telegram(session, telegram_user_id=message.from_user.id)
    roles = await roles_with_units(session, person_id=person.id) if person else []
    if person is None or not roles:
        await message.answer(NOT_REGISTERED, reply_markup=main_menu())
        return
    lines = [f"👤 <b>{escape(person.full_name)}</b>", "Đơn vị và vai trò:"]
    lines += [role_line(a, u) for a, u in roles]
    await message.answer("\n".join(lines), reply_markup=main_menu({str(a.role) for a, _ in roles}))


async def _unit_view(
    session: AsyncSession, scope: Scope, unit: OrgUnit, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    s = await summarise(session, unit=unit)
    kids = await child_page(session, unit=unit, page=page)
    kind = KIND_LABELS.get(unit.kind, unit.kind)
    members = f"{s.members:,}".replace(",", ".")
    text = (
        f"🏢 <b>{escape(unit.name)}</b>\n"
        f"Mã: <code>{escape(unit.code)}</code> · {escape(kind)}\n"
        f"CĐCS: <b>{s.grassroots}</b> · Đoàn viên: <b>{members}</b> · Nhóm đã liên kết: <b>{s.groups}</b>\n"
        + (f"Đơn vị trực thuộc: {s.children} (trang {kids.page + 1}/{kids.pages})" if s.children else "")
    )
    kb = InlineKeyboardBuilder()
    for child in kids.children:
        kb.row(InlineKeyboardButton(text=child.name[:60], callback_data=UnitCb(unit_id=child.id).pack()))
    nav: list[InlineKeyboardButton] = []
    if kids.page > 0:
        nav.append(
            InlineKeyboardButton(
                text="◀️ Trước", callback_data=UnitCb(unit_id=unit.id, page=kids.page - 1).pack()
            )
        )
    if kids.page + 1 < kids.pages:
        nav.append(
            InlineKeyboardButton(
                text="Sau ▶️", callback_data=UnitCb(unit_id=unit.id, page=kids.page + 1).pack()
            )
        )
    if nav:
        kb.row(*nav)
    if unit.parent_id is not None:
        parent = await session.get(OrgUnit, unit.parent_id)
        if parent is not None and scope.allows(Role.officer, parent.path):
            kb.row(
                InlineKeyboardButton(text="⬆️ Lên cấp trên", callback_data=UnitCb(unit_id=parent.id).pack())
            )
    return text, kb.as_markup()


async def browse(message: Message, session: AsyncSession) -> None:
    assert message.from_user is not None
    scope = await _officer_scope(session, message.from_user.id)
    if scope is None:
        await message.answer(OFFICERS_ONLY)
        return
    roots = await units_by_paths(session, paths=scope.roots(Role.officer))
    if len(roots) == 1:
        text, markup = await _unit_view(session, scope, roots[0], 0)
        await message.answer(text, reply_markup=markup)
        return
    kb = InlineKeyboardBuilder()
    for unit in roots:
        kb.row(InlineKeyboardButton(text=unit.name[:60], callback_data=UnitCb(unit_id=unit.id).pack()))
    await message.answer("Chọn đơn vị để xem:", reply_markup=kb.as_markup())


async def browse_unit(query: CallbackQuery, callback_data: UnitCb, session: AsyncSession) -> None:
    scope = await _officer_scope(session, query.from_user.id)
    unit = await session.get(OrgUnit, callback_data.unit_id)
    if scope is None or unit is None or not scope.allows(Role.officer, unit.path):
        await query.answer("Không có quyền xem đơn vị này.", show_alert=True)
        return
    text, markup = await _unit_view(session, scope, unit, callback_data.page)
    if query.message is not None:
        await query.bot.edit_message_text(  # type: ignore[union-attr]
            text, chat_id=query.message.chat.id, message_id=query.message.message_id, reply_markup=markup
        )
    await query.answer()


def _match_block(blocks: list[Block], typed: str) -> Block | None:
    want = fold(typed).replace("_", " ").replace("khoi ", "")
    for b in blocks:
        if want in (fold(b.code).replace("_", " "), fold(b.name).replace("khoi ", "")):
            return b
    return None


async def _send_code(
    message: Message, session: AsyncSession, scope: Scope, unit: OrgUnit, block: Block | None
) -> None:
    code = await create_link_code(session, scope=scope, unit=unit, block=block.code if block else None)
    me_ = await message.bot.me()  # type: ignore[union-attr]
    target = f"{escape(unit.name)}" + (f" — {escape(block.name)}" if block else "")
    await message.answer(
        f"🔗 Mã liên kết nhóm cho <b>{target}</b>: <code>{code.code}</code>\n"
        f"1. Thêm @{escape(me_.username or 'bot')} vào nhóm Telegram của khối.\n"
        f"2. Gửi trong nhóm: <code>/lienket {code.code}</code>\n"
        f"Mã chỉ dùng một lần, hết hạn lúc {format_datetime(code.expires_at)}."
    )


async def link_code(message: Message, command: CommandObject, session: AsyncSession) -> None:
    assert message.from_user is not None
    scope = await _officer_scope(session, message.from_user.id)
    if scope is None:
        await message.answer(OFFICERS_ONLY)
        return
    if command.args:
        unit_code, _, typed_block = command.args.strip().partition(" ")
        unit = await tree.lookup_code(session, code=unit_code)
        if unit is None or not scope.allows(Role.officer, unit.path):
            await message.answer(
                f"Không tìm thấy đơn vị <code>{escape(unit_code)}</code> trong phạm vi phụ trách."
            )
            return
        blocks = await list_blocks(session)
        block = _match_block(blocks, typed_block) if typed_block.strip() else None
        if typed_block.strip() and block is None:
            names = ", ".join(b.code for b in blocks)
            await message.answer(f"Không có khối «{escape(typed_block)}». Các khối: {names}.")
            return
        await _send_code(message, session, scope, unit, block)
        return
    kb = InlineKeyboardBuilder()
    for unit in await upper_units(session, roots=scope.roots(Role.officer)):
        kb.row(InlineKeyboardButton(text=unit.name[:60], callback_data=LinkUnitCb(unit_id=unit.id).pack()))
    await message.answer(
        "Chọn đơn vị sở hữu nhóm (hoặc gõ <code>/malienket MÃ_ĐƠN_VỊ khối</code>):",
        reply_markup=kb.as_markup(),
    )


async def link_pick_unit(query: CallbackQuery, callback_data: LinkUnitCb, session: AsyncSession) -> None:
    scope = await _officer_scope(session, query.from_user.id)
    unit = await session.get(OrgUnit, callback_data.unit_id)
    if scope is None or unit is None or not scope.allows(Role.officer, unit.path):
        await query.answer("Không có quyền với đơn vị này.", show_alert=True)
        return
    kb = InlineKeyboardBuilder()
    for b in await list_blocks(session):
        kb.row(
            InlineKeyboardButton(text=b.name, callback_data=LinkBlockCb(unit_id=unit.id, block=b.code).pack())
        )
    kb.row(
        InlineKeyboardButton(
            text="Không theo khối", callback_data=LinkBlockCb(unit_id=unit.id, block=NO_BLOCK).pack()
        )
    )
    if query.message is not None:
        await query.bot.edit_message_text(  # type: ignore[union-attr]
            f"Nhóm của <b>{escape(unit.name)}</b> thuộc khối nào?",
            chat_id=query.message.chat.id,
            message_id=query.message.message_id,
            reply_markup=kb.as_markup(),
        )
    await query.answer()


async def link_pick_block(query: CallbackQuery, callback_data: LinkBlockCb, session: AsyncSession) -> None:
    scope = await _officer_scope(session, query.from_user.id)
    unit = await session.get(OrgUnit, callback_data.unit_id)
    if scope is None or unit is None or not scope.allows(Role.officer, unit.path):
        await query.answer("Không có quyền với đơn vị này.", show_alert=True)
        return
    block = None if callback_data.block == NO_BLOCK else await session.get(Block, callback_data.block)
    await query.answer()
    if isinstance(query.message, Message):
        await _send_code(query.message, session, scope, unit, block)


def build_router() -> Router:
    router = Router(name="directory")
    router.message.filter(F.chat.type == "private")
    router.message.register(me, Command("toi"))
    router.message.register(me, F.text == ME_BUTTON)
    router.message.register(browse, Command("donvi"))
    router.message.register(link_code, Command("malienket"))
    router.callback_query.register(browse_unit, UnitCb.filter())
    router.callback_query.register(link_pick_unit, LinkUnitCb.filter())
    router.callback_query.register(link_pick_block, LinkBlockCb.filter())
    return router
