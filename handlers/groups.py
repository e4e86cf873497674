"""Group chats: the bot's own membership, supergroup migration, and binding with /lienket."""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.filters import IS_MEMBER, IS_NOT_MEMBER, ChatMemberUpdatedFilter, Command, CommandObject
from aiogram.types import ChatMemberUpdated, Message
from sqlalchemy.ext.asyncio import AsyncSession

from directory.access import scope_for_telegram_user
from directory.chats import GROUP_TYPES, migrate_group, record_bot_membership
from directory.linking import bind_group

GROUP_HELLO = (
    "Xin chào cả nhóm! Loa sẽ chuyển văn bản chỉ đạo, tin tuyên truyền và nhắc báo cáo tới nhóm này.\n"
    "Cán bộ công đoàn cấp trên xin gửi mã liên kết nhóm để gắn nhóm với đơn vị: "
    "<code>/lienket MÃ</code> (tạo mã bằng lệnh /malienket trong tin nhắn riêng với Loa)."
)
BOUND = "✅ Nhóm đã được liên kết với <b>{unit}</b>{block}. Loa sẽ gửi thông tin của đơn vị tới nhóm này."
IN_GROUP_ONLY = (
    "Lệnh /lienket dùng trong nhóm Telegram cần liên kết: thêm Loa vào nhóm rồi gửi "
    "<code>/lienket MÃ</code> trong nhóm đó. Tạo mã bằng lệnh /malienket."
)
CODE_MISSING = "Xin gửi kèm mã liên kết, ví dụ: <code>/lienket ABCD2345</code>."


async def membership_changed(event: ChatMemberUpdated, session: AsyncSession) -> None:
    status = str(getattr(event.new_chat_member.status, "value", event.new_chat_member.status))
    await record_bot_membership(
        session,
        telegram_chat_id=event.chat.id,
        chat_type=event.chat.type,
        title=event.chat.title or event.chat.full_name or "",
        status=status,
    )


async def bot_added(event: ChatMemberUpdated, session: AsyncSession) -> None:
    await membership_changed(event, session)
    if event.chat.type in GROUP_TYPES:
        await event.bot.send_message(event.chat.id, GROUP_HELLO)  # type: ignore[union-attr]


async def migrated_to(message: Message, session: AsyncSession) -> None:
    """In the old group: it is now the supergroup `migrate_to_chat_id`."""
    assert message.migrate_to_chat_id is not None
    await migrate_group(
        session,
        old_chat_id=message.chat.id,
        new_chat_id=message.migrate_to_chat_id,
        title=message.chat.title or "",
    )


async def migrated_from(message: Message, session: AsyncSession) -> None:
    """In the new supergroup: it used to be the group `migrate_from_chat_id`."""
    assert message.migrate_from_chat_id is not None
    await migrate_group(
        session,
        old_chat_id=message.migrate_from_chat_id,
        new_chat_id=message.chat.id,
        title=message.chat.title or "",
    )


async def link_group(message: Message, command: CommandObject, session: AsyncSession) -> None:
    if not command.args:
        await message.reply(CODE_MISSING)
        return
    scope = (
        await scope_for_telegram_user(session, telegram_user_id=message.from_user.id)
        if message.from_user
        else None
    )
    bound = await bind_group(
        session,
        scope=scope,
        raw_code=command.args.split()[0],
        telegram_chat_id=message.chat.id,
        title=message.chat.title or "",
    )
    block = f" — {escape(bound.block.name)}" if bound.block else ""
    await message.reply(BOUND.format(unit=escape(bound.unit.name), block=block))


async def link_in_private(message: Message) -> None:
    await message.answer(IN_GROUP_ONLY)


def build_router() -> Router:
    router = Router(name="groups")
    router.my_chat_member.register(bot_added, ChatMemberUpdatedFilter(IS_NOT_MEMBER >> IS_MEMBER))
    router.my_chat_member.register(membership_changed)
    router.message.register(migrated_to, F.migrate_to_chat_id)
    router.message.register(migrated_from, F.migrate_from_chat_id)
    router.message.register(link_group, Command("lienket"), F.chat.type.in_(GROUP_TYPES))
    router.message.register(link_in_private, Command("lienket"), F.chat.type == "private")
    return router
