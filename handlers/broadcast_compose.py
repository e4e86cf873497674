"""/guitin: an officer composes a broadcast in chat.

Content (reply /guitin to a message, or send it after /guitin) → audience by walking the tree with
inline buttons → preview with counts → send now or pick a time → approval when the policy asks.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from broadcasts import audience, service
from broadcasts.audience import AudienceSpec, Target
from broadcasts.config import BroadcastConfig
from common import when
from common.chat_markdown import cut_words
from common.vietnamese import VN_TZ, format_datetime
from config.settings import Settings
from directory import tree
from directory.access import Scope, scope_for_telegram_user
from directory.models import OrgUnit, Role

NOT_OFFICER = "Chức năng phát tin dành cho cán bộ công đoàn."
ASK_CONTENT = "Xin gửi (hoặc chuyển tiếp) nội dung cần phát: chữ, ảnh hoặc tệp văn bản kèm chú thích."
BAD_CONTENT = "Loa chỉ phát được chữ, ảnh hoặc tệp văn bản. Xin gửi lại nội dung."
ASK_TIME = "Xin nhập thời điểm gửi, ví dụ <code>07:30 25/12/2026</code> (giờ Việt Nam)."
TARGET_LABELS = {Target.group: "nhóm", Target.leader: "Chủ tịch CĐCS", Target.member: "đoàn viên"}


class Compose(StatesGroup):
    content = State()
    audience = State()
    time = State()


def content_of(message: Message) -> dict[str, Any] | None:
    text = message.html_text if (message.text or message.caption) else ""
    if message.photo:
        return {"kind": "photo", "html": text, "media": message.photo[-1].file_id}
    if message.document:
        return {
            "kind": "document",
            "html": text,
            "media": message.document.file_id,
            "filename": message.document.file_name,
        }
    if message.text:
        return {"kind": "text", "html": text}
    return None


async def _officer(session: AsyncSession, user_id: int) -> Scope | None:
    scope = await scope_for_telegram_user(session, telegram_user_id=user_id)
    return scope if scope is not None and scope.roots(Role.officer) else None


def _btn(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data)


async def _tree_view(
    session: AsyncSession, scope: Scope, data: dict[str, Any]
) -> tuple[str, InlineKeyboardMarkup]:
    picked: list[int] = data.get("roots", [])
    targets = [Target(t) for t in data.get("targets", [Target.group])]
    at = data.get("at")
    rows: list[list[InlineKeyboardButton]] = []
    if at is None:
        units = await tree.units_at_paths(session, paths=scope.roots(Role.officer))
        title = "Chọn đơn vị nhận tin (bấm 📂 để xem đơn vị trực thuộc):"
    else:
        here = await session.get(OrgUnit, at)
        assert here is not None
        units = await tree.children(session, unit=here)
        mark = "✅" if here.id in picked else "☐"
        rows.append([_btn(f"{mark} Cả {here.name}", f"bcw:pick:{here.id}")])
        up = (
            here.parent_id
            if here.parent_id and scope.allows(Role.officer, here.path.rsplit("/", 2)[0] + "/")
            else 0
        )
        rows.append([_btn("⬆️ Lên trên", f"bcw:nav:{up}")])
        title = f"<b>{html.escape(here.name)}</b> — chọn đơn vị nhận tin:"
    for u in units[:30]:
        mark = "✅" if u.id in picked else "☐"
        rows.append([_btn(f"{mark} {u.name}", f"bcw:pick:{u.id}"), _btn("📂", f"bcw:nav:{u.id}")])
    rows.append(
        [_btn(("✅ " if t in targets else "☐ ") + TARGET_LABELS[t], f"bcw:tgt:{t.value}") for t in Target]
    )
    rows.append([_btn(f"➡️ Xem trước ({len(picked)} đơn vị)", "bcw:preview"), _btn("❌ Huỷ", "bcw:cancel")])
    return title, InlineKeyboardMarkup(inline_keyboard=rows)


async def start(message: Message, state: FSMContext, session: AsyncSession) -> None:
    if message.from_user is None or await _officer(session, message.from_user.id) is None:
        await message.answer(NOT_OFFICER)
        return
    await state.clear()
    source = message.reply_to_message
    content = content_of(source) if source is not None else None
    if content is None:
        await state.set_state(Compose.content)
        await message.answer(ASK_CONTENT)
        return
    await _to_audience(message, state, session, content)


async def got_content(message: Message, state: FSMContext, session: AsyncSession) -> None:
    content = content_of(message)
    if content is None:
        await message.answer(BAD_CONTENT)
        return
    await _to_audience(message, state, session, content)


async def _to_audience(
    message: Message, state: FSMContext, session: AsyncSession, content: dict[str, Any]
) -> None:
    assert message.from_user is not None
    scope = await _officer(session, message.from_user.id)
    assert scope is not None
    await state.set_state(Compose.audience)
    await state.set_data({"content": content, "roots": [], "targets": [Target.group.value], "at": None})
    title, markup = await _tree_view(session, scope, await state.get_data())
    await message.answer(title, reply_markup=markup)


async def on_tree(query: CallbackQuery, state: FSMContext, session: AsyncSession, settings: Settings) -> None:
    scope = await _officer(session, query.from_user.id)
    if scope is None or not isinstance(query.message, Message):
        await query.answer(NOT_OFFICER)
        return
    data = await state.get_data()
    _, action, *rest = (query.data or "").split(":")
    arg = rest[0] if rest else ""
    if action == "cancel":
        await state.clear()
        await query.message.edit_text("Đã huỷ soạn tin.")
        await query.answer()
        return
    if action == "nav":
        data["at"] = int(arg) or None
    elif action == "pick":
        unit = await session.get(OrgUnit, int(arg))
        if unit is None or not scope.allows(Role.officer, unit.path):
            await query.answer("Không có quyền với đơn vị này.")
            return
        picked = set(data["roots"])
        data["roots"] = sorted(picked ^ {unit.id})
    elif action == "tgt":
        targets = set(data["targets"]) ^ {arg}
        data["targets"] = sorted(targets) or [Target.group.value]
    elif action == "preview":
        await state.set_data(data)
        await _preview(query, data, session)
        return
    await state.set_data(data)
    title, markup = await _tree_view(session, scope, data)
    await query.message.edit_text(title, reply_markup=markup)
    await query.answer()


async def _preview(query: CallbackQuery, data: dict[str, Any], session: AsyncSession) -> None:
    assert isinstance(query.message, Message)
    if not data["roots"]:
        await query.answer("Xin chọn ít nhất một đơn vị.")
        return
    p = await audience.preview(
        session, AudienceSpec.from_dict({"roots": data["roots"], "targets": data["targets"]})
    )
    lines = [f"<b>Xem trước</b>: {p.total} nơi nhận"]
    if p.skipped_inactive:
        lines.append(f"(bỏ qua {p.skipped_inactive} nhóm/người không còn hoạt động)")
    lines += [f"• {html.escape(u.name)}: {u.count}" for u in p.by_unit[:40]]
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [_btn("📤 Gửi ngay", "bcw:now"), _btn("🕒 Hẹn giờ", "bcw:later")],
            [_btn("⬅️ Chọn lại", "bcw:nav:0"), _btn("❌ Huỷ", "bcw:cancel")],
        ]
    )
    await query.message.edit_text("\n".join(lines), reply_markup=markup)
    await query.answer()


async def _create(session: AsyncSession, scope: Scope, data: dict[str, Any], config: BroadcastConfig) -> Any:
    content = data["content"]
    title = cut_words(html.unescape(content.get("html", "")).split("\n", 1)[0], 80) or "Tin phát"
    spec = {"roots": data["roots"], "targets": data["targets"]}
    b, _ = await service.create(session, scope=scope, title=title, content=content, audience_spec=spec)
    return await service.submit(session, scope=scope, broadcast_id=b.id, config=config)


async def send_now(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, settings: Settings
) -> None:
    await _finish(query, state, session, settings, at=None)


async def ask_time(query: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(Compose.time)
    if isinstance(query.message, Message):
        await query.message.answer(ASK_TIME)
    await query.answer()


def parse_when(text: str) -> datetime | None:
    """`7h30 14/12`, `sáng mai`, `thứ hai tới`… (common/when.py), read against the current time."""
    return when.parse_when(text, now=datetime.now(VN_TZ))


async def got_time(message: Message, state: FSMContext, session: AsyncSession, settings: Settings) -> None:
    at = parse_when(message.text or "")
    if at is None or at <= datetime.now(VN_TZ):
        passed = f" ({when.describe(at)} đã qua)" if at is not None else ""
        await message.answer(
            f"Chưa hiểu thời điểm «{html.escape(message.text or '')}»{passed}. "
            "Ví dụ: <code>7h30 14/12</code>, <code>sáng mai</code>, <code>thứ hai tới 8h</code>."
        )
        return
    await message.answer(f"🕖 Sẽ gửi lúc <b>{when.describe(at)}</b>.")
    await _finish(message, state, session, settings, at=at)


async def _finish(
    event: CallbackQuery | Message,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    *,
    at: datetime | None,
) -> None:
    user = event.from_user
    assert user is not None
    scope = await _officer(session, user.id)
    chat_message = event.message if isinstance(event, CallbackQuery) else event
    if scope is None or not isinstance(chat_message, Message):
        return
    data = await state.get_data()
    await state.clear()
    b = await _create(session, scope, data, BroadcastConfig.from_settings(settings))
    b.progress_chat_id = chat_message.chat.id
    b.scheduled_at = at
    if b.status == "submitted":
        text = "📨 Tin cần lãnh đạo duyệt trước khi gửi. Loa đã chuyển tin tới người duyệt."
    else:
        b = await service.schedule(session, scope=scope, broadcast_id=b.id, at=at)
        text = (
            f"🕒 Đã hẹn gửi lúc {format_datetime(at)}."
            if at
            else f"📤 Bắt đầu gửi tới {b.total} nơi nhận. Tiến độ sẽ được cập nhật tại đây."
        )
    if isinstance(event, CallbackQuery):
        await event.answer()
    await chat_message.answer(text)


async def approve(query: CallbackQuery, session: AsyncSession) -> None:
    scope = await scope_for_telegram_user(session, telegram_user_id=query.from_user.id)
    broadcast_id = int((query.data or "0").rsplit(":", 1)[-1])
    if scope is None:
        await query.answer(NOT_OFFICER)
        return
    b = await service.approve_and_schedule(session, scope=scope, broadcast_id=broadcast_id)
    await query.answer("Đã duyệt.")
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
        await query.message.answer(f"✅ Đã duyệt tin «{html.escape(b.title)}» ({b.total} nơi nhận).")


def build_router() -> Router:
    router = Router(name="broadcast_compose")
    router.message.filter(F.chat.type == "private")
    router.message.register(start, Command("guitin"))
    router.message.register(got_content, Compose.content, ~F.text.startswith("/"))
    router.message.register(got_time, Compose.time, F.text, ~F.text.startswith("/"))
    router.callback_query.register(send_now, Compose.audience, F.data == "bcw:now")
    router.callback_query.register(ask_time, Compose.audience, F.data == "bcw:later")
    router.callback_query.register(on_tree, Compose.audience, F.data.startswith("bcw:"))
    router.callback_query.register(approve, F.data.startswith(service.APPROVE_PREFIX))
    return router
