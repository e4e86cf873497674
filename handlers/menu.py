"""The reply-keyboard menu and the command list, by role: members never see leaders' or officers'
buttons and commands. Each button's text is also a command alias (see the feature routers)."""

from __future__ import annotations

from collections.abc import Collection

from aiogram import Bot
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from sqlalchemy.ext.asyncio import AsyncSession

from directory.access import scope_for_telegram_user

HELP_BUTTON = "❓ Hướng dẫn"
ME_BUTTON = "👤 Thông tin của tôi"
REPORT_BUTTON = "📋 Báo cáo số liệu"  # handlers/report_reply.py
STATS_BUTTON = "📊 Thống kê báo cáo"  # handlers/report_officer.py
EVERYONE_ROW = ["📚 Tra cứu văn bản", "📰 Tin mới", "📝 Gửi kiến nghị"]  # archive, news, petitions
OFFICER_ROLES = frozenset({"officer", "approver", "admin"})

# Every label, whoever sees it: typed answers elsewhere must not swallow a menu press.
MENU_ROWS: list[list[str]] = [EVERYONE_ROW, [REPORT_BUTTON, STATS_BUTTON], [ME_BUTTON, HELP_BUTTON]]

EVERYONE_COMMANDS = [
    ("start", "Bắt đầu, đăng ký bằng đường dẫn mời"),
    ("toi", "Đơn vị và vai trò của tôi"),
    ("tinmoi", "Tin mới, bật/tắt loại tin"),
    ("vanban", "Tra cứu văn bản"),
    ("kiennghi", "Gửi kiến nghị, phản ánh"),
    ("huy", "Huỷ thao tác đang làm"),
    ("help", "Hướng dẫn sử dụng"),
]
LEADER_COMMANDS = [("baocao", "Gửi báo cáo số liệu một dòng")]
OFFICER_COMMANDS = [
    ("guitin", "Soạn và phát tin"),
    ("thongke", "Tiến độ báo cáo"),
    ("xuatbaocao", "Tải bảng tổng hợp báo cáo"),
    ("duyet", "Duyệt báo cáo"),
    ("donvi", "Xem đơn vị cấp dưới"),
    ("malienket", "Mã liên kết nhóm"),
]


def is_officer(roles: Collection[str]) -> bool:
    return any(r in OFFICER_ROLES for r in roles)


def main_menu(roles: Collection[str] = ()) -> ReplyKeyboardMarkup:
    """The menu for someone holding `roles` (none: a member or someone not yet registered)."""
    by_role = [REPORT_BUTTON] if "leader" in roles else []
    by_role += [STATS_BUTTON] if is_officer(roles) else []
    rows = [EVERYONE_ROW, *([by_role] if by_role else []), [ME_BUTTON, HELP_BUTTON]]
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=label) for label in row] for row in rows],
        resize_keyboard=True,
        is_persistent=True,
        input_field_placeholder="Chọn chức năng hoặc gõ /help",
    )


async def roles_of(session: AsyncSession, telegram_user_id: int) -> frozenset[str]:
    scope = await scope_for_telegram_user(session, telegram_user_id=telegram_user_id)
    return frozenset(str(g.role) for g in scope.grants) if scope is not None else frozenset()


async def menu_for(session: AsyncSession, telegram_user_id: int) -> ReplyKeyboardMarkup:
    return main_menu(await roles_of(session, telegram_user_id))


def commands_for(roles: Collection[str] = ()) -> list[BotCommand]:
    pairs = list(EVERYONE_COMMANDS)
    pairs += LEADER_COMMANDS if "leader" in roles else []
    pairs += OFFICER_COMMANDS if is_officer(roles) else []
    return [BotCommand(command=c, description=d) for c, d in pairs]


async def register_commands(bot: Bot, *, chat_id: int | None = None, roles: Collection[str] = ()) -> None:
    """Members get the default list (call once at start-up with no chat); leaders and officers get theirs
    in their own private chat, set when they register or come back with /start."""
    scope = BotCommandScopeChat(chat_id=chat_id) if chat_id is not None else BotCommandScopeDefault()
    await bot.set_my_commands(commands_for(roles), scope=scope)
