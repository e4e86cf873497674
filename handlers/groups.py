"""The bot's own membership in group chats."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import IS_MEMBER, IS_NOT_MEMBER, ChatMemberUpdatedFilter
from aiogram.types import ChatMemberUpdated

GROUP_HELLO = (
    "Xin chào cả nhóm! Loa sẽ chuyển văn bản chỉ đạo, tin tuyên truyền và nhắc báo cáo tới nhóm này.\n"
    "Cán bộ công đoàn cấp trên xin gửi mã liên kết nhóm để gắn nhóm với đơn vị."
)


async def bot_added(event: ChatMemberUpdated) -> None:
    if event.chat.type in ("group", "supergroup"):
        await event.bot.send_message(event.chat.id, GROUP_HELLO)  # type: ignore[union-attr]


def build_router() -> Router:
    router = Router(name="groups")
    router.my_chat_member.register(bot_added, ChatMemberUpdatedFilter(IS_NOT_MEMBER >> IS_MEMBER))
    return router
