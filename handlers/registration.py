"""/start: with an invitation token (deep link) it registers; without one it greets by name and role."""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import Message, ReplyKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from directory.browse import person_by_telegram, roles_with_units
from directory.chats import register_private_chat
from directory.invitations import redeem_invitation
from directory.models import DEPARTMENT_LABELS, ROLE_LABELS, Department, OrgUnit, Role, RoleAssignment
from handlers.basics import NOT_REGISTERED, WELCOME
from handlers.menu import is_officer, main_menu, register_commands, roles_of

REGISTERED = (
    "✅ Đăng ký thành công!\n"
    "Đồng chí <b>{name}</b> đã được ghi nhận là <b>{role}</b> của <b>{unit}</b>.\n"
    "Từ nay Loa sẽ gửi văn bản, tin tức và nhắc báo cáo tới đồng chí tại đây."
)
ALREADY = "Đồng chí đã đăng ký bằng đường dẫn này rồi: <b>{role}</b> của <b>{unit}</b>."
WELCOME_BACK = "Chào mừng đồng chí <b>{name}</b> trở lại với <b>Loa</b>! 👋\n{roles}"


def role_line(assignment: RoleAssignment, unit: OrgUnit) -> str:
    label = ROLE_LABELS[Role(assignment.role)]
    if assignment.department:
        label += f" — {DEPARTMENT_LABELS[Department(assignment.department)]}"
    return f"• {escape(label)}: <b>{escape(unit.name)}</b> (<code>{escape(unit.code)}</code>)"


async def start_with_token(message: Message, command: CommandObject, session: AsyncSession) -> None:
    user = message.from_user
    assert user is not None
    result = await redeem_invitation(
        session,
        token=(command.args or "").strip(),
        telegram_user_id=user.id,
        full_name=user.full_name,
        username=user.username,
        chat_id=message.chat.id,
    )
    values = {
        "name": escape(result.person.full_name),
        "role": escape(ROLE_LABELS[result.role]),
        "unit": escape(result.unit.name),
    }
    text = ALREADY if result.already_used else REGISTERED
    await message.answer(text.format(**values), reply_markup=await _menu_and_commands(message, session))


async def start(message: Message, session: AsyncSession) -> None:
    user = message.from_user
    assert user is not None
    person = await person_by_telegram(session, telegram_user_id=user.id)
    if person is None:
        await message.answer(WELCOME.format(name=escape(user.full_name)), reply_markup=main_menu())
        await message.answer(NOT_REGISTERED)
        return
    await register_private_chat(
        session, person=person, telegram_chat_id=message.chat.id, title=user.full_name
    )
    roles = "\n".join(role_line(a, u) for a, u in await roles_with_units(session, person_id=person.id))
    await message.answer(
        WELCOME_BACK.format(name=escape(person.full_name), roles=roles or NOT_REGISTERED),
        reply_markup=await _menu_and_commands(message, session),
    )


async def _menu_and_commands(message: Message, session: AsyncSession) -> ReplyKeyboardMarkup:
    """The person's menu; leaders and officers also get their own command list in this chat."""
    assert message.from_user is not None and message.bot is not None
    roles = await roles_of(session, message.from_user.id)
    if "leader" in roles or is_officer(roles):
        await register_commands(message.bot, chat_id=message.chat.id, roles=roles)
    return main_menu(roles)


def build_router() -> Router:
    router = Router(name="registration")
    router.message.filter(F.chat.type == "private")
    router.message.register(start_with_token, CommandStart(deep_link=True))
    router.message.register(start, CommandStart())
    return router
