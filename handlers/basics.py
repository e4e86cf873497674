"""/help and the menu texts; /start itself lives in handlers/registration.py."""

from __future__ import annotations

from collections.abc import Collection

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.menu import HELP_BUTTON, is_officer, main_menu, roles_of

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
HELP_EVERYONE = (
    "<b>Hướng dẫn sử dụng Loa</b>\n"
    "/start — bắt đầu, đăng ký bằng đường dẫn mời\n"
    "/toi — đơn vị và vai trò của tôi\n"
    "/tinmoi — tin mới, bật/tắt loại tin\n"
    "/vanban <i>từ khoá</i> — tra cứu văn bản (gõ không dấu cũng được, vd: chi thi 07)\n"
    "/kiennghi — gửi kiến nghị, phản ánh lên cấp trên\n"
)
HELP_LEADER = (
    "\n<b>Chủ tịch CĐCS</b>\n"
    "Gửi số liệu: chỉ cần gõ một dòng số, vd: <code>120 12 300</code> hoặc <code>kn 12 tt 120</code>; "
    "hoặc /baocao kèm dòng số; hoặc trả lời tin nhắn yêu cầu báo cáo\n"
)
HELP_OFFICER = (
    "\n<b>Cán bộ công đoàn</b>\n"
    "/donvi — xem đơn vị cấp dưới · /malienket — mã liên kết nhóm · /lienket <i>MÃ</i> (trong nhóm)\n"
    "/guitin — soạn và phát tin · /thongke — tiến độ báo cáo · /xuatbaocao — tải bảng tổng hợp "
    "· /duyet — duyệt báo cáo\n"
)
HELP_END = "\n/huy — huỷ thao tác đang làm · /help — xem hướng dẫn này"


def help_text(roles: Collection[str]) -> str:
    """Only the commands the person may use: members are not shown officers' tools."""
    return (
        HELP_EVERYONE
        + (HELP_LEADER if "leader" in roles else "")
        + (HELP_OFFICER if is_officer(roles) else "")
        + HELP_END
    )


async def help_(message: Message, session: AsyncSession) -> None:
    assert message.from_user is not None
    roles = await roles_of(session, message.from_user.id)
    await message.answer(help_text(roles), reply_markup=main_menu(roles))


def build_router() -> Router:
    router = Router(name="basics")
    router.message.filter(F.chat.type == "private")
    router.message.register(help_, Command("help"))
    router.message.register(help_, F.text == HELP_BUTTON)
    return router
