"""Binding a Telegram group to a unit and block with a one-time code an officer sends in the group."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from directory import audit
from directory.access import Scope
from directory.chats import ensure_chat
from directory.errors import DirectoryError
from directory.models import Block, Chat, ChatKind, ChatLinkCode, OrgUnit, Role
from storage.base import utcnow

# No 0/O, 1/I/L: codes are read off one screen and typed on another.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
CODE_TTL = timedelta(hours=24)


class LinkError(DirectoryError):
    """A link code cannot be created or used; `message` is the Vietnamese answer (HTTP 400 in the API)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)


@dataclass(frozen=True)
class BoundGroup:
    chat: Chat
    unit: OrgUnit
    block: Block | None


def normalise_code(raw: str) -> str:
    return raw.strip().upper().replace("-", "").replace(" ", "")


async def create_link_code(
    session: AsyncSession,
    *,
    scope: Scope,
    unit: OrgUnit,
    block: str | None,
    ttl: timedelta = CODE_TTL,
) -> ChatLinkCode:
    scope.require(Role.officer, unit.path)
    if block is not None and await session.get(Block, block) is None:
        raise LinkError("unknown_block", f"Không có khối «{block}».")
    code = ChatLinkCode(
        code="".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)),
        unit_id=unit.id,
        block=block,
        created_by_id=scope.person_id,
        expires_at=utcnow() + ttl,
    )
    session.add(code)
    await session.flush()
    await audit.record(
        session,
        scope.actor,
        "chat_link_code.create",
        "org_unit",
        unit.id,
        None,
        {"block": block, "expires_at": code.expires_at.isoformat()},
        unit_path=unit.path,
    )
    return code


async def bind_group(
    session: AsyncSession,
    *,
    scope: Scope | None,
    raw_code: str,
    telegram_chat_id: int,
    title: str,
) -> BoundGroup:
    """Use a code in a group: the sender must be an officer over the code's unit."""
    if scope is None or not scope.roots(Role.officer):
        raise LinkError("not_officer", "Chỉ cán bộ công đoàn đã đăng ký mới liên kết được nhóm.")
    link = await session.get(ChatLinkCode, normalise_code(raw_code), with_for_update=True)
    if link is None:
        raise LinkError("bad_code", "Mã liên kết không đúng. Xin kiểm tra lại mã (8 ký tự).")
    if link.used_at is not None:
        raise LinkError("used_code", "Mã liên kết này đã được dùng. Xin tạo mã mới bằng lệnh /malienket.")
    if link.expires_at <= utcnow():
        raise LinkError("expired_code", "Mã liên kết đã hết hạn. Xin tạo mã mới bằng lệnh /malienket.")
    unit = await session.get(OrgUnit, link.unit_id)
    if unit is None or not unit.is_active:
        raise LinkError("inactive_unit", "Đơn vị của mã này không còn hoạt động.")
    if not scope.allows(Role.officer, unit.path):
        raise LinkError("not_officer", "Đồng chí không phải cán bộ phụ trách đơn vị của mã này.")
    chat = await ensure_chat(
        session, telegram_chat_id=telegram_chat_id, kind=ChatKind.group.value, title=title
    )
    before = {"unit_id": chat.unit_id, "block": chat.block}
    chat.kind = ChatKind.group.value
    chat.title = title or chat.title
    chat.unit_id = unit.id
    chat.block = link.block
    chat.is_active = True
    link.used_at = utcnow()
    link.used_by_chat_id = telegram_chat_id
    await session.flush()
    await audit.record(
        session,
        scope.actor,
        "chat.bind",
        "chat",
        chat.id,
        before,
        {"unit_id": unit.id, "block": link.block, "telegram_chat_id": telegram_chat_id},
        unit_path=unit.path,
    )
    block = await session.get(Block, link.block) if link.block else None
    return BoundGroup(chat=chat, unit=unit, block=block)


async def list_blocks(session: AsyncSession) -> list[Block]:
    return list(await session.scalars(select(Block).order_by(Block.sort_order, Block.code)))
