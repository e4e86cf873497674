"""/help and the menu texts; /start itself lives in handlers/registration.py."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import Message

from handlers.menu import HELP_BUTTON, main_menu

WELCOME = (
    "Xin chào <b>{name}</b>! 👋\n"
    "Đây là <b>Loa</b> — kênh thông tin và báo cáo của tổ chức Công đoàn.\n"
    "Tại đây đồng chí nhận văn bản chỉ đạo, tin tuyên truyền, gửi số liệu báo cáo "
    "và gửi kiến nghị lên cấp trên."
)
NOT_REGISTERED = (
    "Đồng chí chưa được đăng ký với đơn vị công đoàn nào.\n"
    "Để đăng ký, xin nhờ cán bộ Công đoàn cấp trên gửi <b>đường dẫn mời</b> "
    "(hoặc mã QR) của đơn vị mình, rồi bấm vào đường dẫn đó."
)
HELP = (
    "<b>Hướng dẫn sử dụng Loa</b>\n"
    "/start — bắt đầu, đăng ký bằng đường dẫn mời\n"
    "/help — xem hướng dẫn này\n"
    "/huy — huỷ thao tác đang làm\n"
    "Bấm các nút ở menu bên dưới để dùng nhanh."
)


async def help_(message: Message) -> None:
    await message.answer(HELP, reply_markup=main_menu())


def build_router() -> Router:
    router = Router(name="basics")
    router.message.filter(F.chat.type == "private")
    router.message.register(help_, Command("help"))
    router.message.register(help_, F.text == HELP_BUTTON)
    return router
