"""The console tests' world: the broadcast tests' province, with passwords for its officers and every
chat and person made real in the Telegram sandbox."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from directory.auth import hash_password
from directory.models import Chat, Person, Role
from sandbox.client import SandboxClient
from tests.broadcasts import factories as f

PASSWORD = "mat-khau-thu-nghiem"


@dataclass
class World:
    p: f.Province
    district_officer: Person  # officer of the first district union only


async def give_login(person: Person, login: str) -> None:
    person.login = login
    person.password_hash = hash_password(PASSWORD)


async def build(session: AsyncSession, client: SandboxClient | None = None) -> World:
    p = await f.province(session)
    await give_login(p.officer, "tuyengiao")
    await give_login(p.approver, "pheduyet")
    district = await f.person(session, "Cán bộ huyện", at=p.uppers[0], role=Role.officer)
    await give_login(district, "canbohuyen")
    admin = await f.person(session, "Quản trị tỉnh", at=p.province, role=Role.admin)
    await give_login(admin, "quantri")
    if client is not None:
        for person in (await session.scalars(select(Person))).all():
            user = await client.create_user(person.full_name)
            chat = await session.scalar(select(Chat).where(Chat.person_id == person.id))
            person.telegram_user_id = user["id"]
            if chat is not None:
                chat.telegram_chat_id = user["id"]
        for g in p.groups:
            group = await client.create_group(g.title, member_ids=[f.tg(p.leaders[0])])
            g.telegram_chat_id = group["id"]
    await session.flush()
    return World(p, district)


async def sign_in(page: object, login: str) -> None:
    await page.goto("/console/")  # type: ignore[attr-defined]
    await page.get_by_label("Tên đăng nhập").fill(login)  # type: ignore[attr-defined]
    await page.get_by_label("Mật khẩu").fill(PASSWORD)  # type: ignore[attr-defined]
    await page.get_by_role("button", name="Đăng nhập").click()  # type: ignore[attr-defined]
    await page.get_by_role("button", name="Đăng xuất").wait_for()  # type: ignore[attr-defined]
