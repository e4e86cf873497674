"""The reply-keyboard menu shown in private chats. Each button's text is also a command alias."""

from __future__ import annotations

from aiogram.types import KeyboardButton, ReplyKeyboardMarkup

HELP_BUTTON = "❓ Hướng dẫn"
ME_BUTTON = "👤 Thông tin của tôi"

MENU_ROWS: list[list[str]] = [[ME_BUTTON, HELP_BUTTON]]
MENU_ROWS.insert(0, ["📚 Tra cứu văn bản", "📰 Tin mới", "📝 Gửi kiến nghị"])  # archive, news, petitions
MENU_ROWS.insert(1, ["📋 Báo cáo số liệu", "📊 Thống kê báo cáo"])  # reports: handlers/report_*.py


def main_menu() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=label) for label in row] for row in MENU_ROWS],
        resize_keyboard=True,
        is_persistent=True,
        input_field_placeholder="Chọn chức năng hoặc gõ /help",
    )
