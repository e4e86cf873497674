"""Factories for directory tests: a small tree, people with roles, and the real API app."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from bot.app import Loa
from config.settings import Settings
from directory import people, tree
from directory.models import OrgUnit, Person, Role

ACTOR = "test"


async def make_unit(
    session: AsyncSession,
    code: str,
    parent: OrgUnit | None = None,
    *,
    kind: str = "grassroots_union",
    block: str | None = None,
    member_count: int = 0,
    name: str | None = None,
) -> OrgUnit:
    return await tree.create_unit(
        session,
        actor=ACTOR,
        code=code,
        name=name or f"Đơn vị {code}",
        kind=kind,
        parent=parent,
        block=block,
        member_count=member_count,
    )


async def make_person(
    session: AsyncSession,
    name: str,
    *,
    unit: OrgUnit | None = None,
    role: Role = Role.member,
    phone: str | None = None,
    login: str | None = None,
    password: str | None = None,
    department: str | None = None,
) -> Person:
    person = await people.create_person(
        session, actor=ACTOR, full_name=name, phone=phone, login=login, password=password
    )
    if unit is not None:
        await people.assign_role(
            session, actor=ACTOR, person=person, unit=unit, role=role, department=department
        )
    return person


@pytest.fixture
async def loa(settings: Settings) -> AsyncIterator[Loa]:
    app_loa = await Loa.create(settings, check_schema=False)  # `db` is freshly migrated
    yield app_loa
    await app_loa.close()


@pytest.fixture
async def client(loa: Loa) -> AsyncIterator[AsyncClient]:
    transport = ASGITransport(app=create_app(loa, webhook=False))
    async with AsyncClient(transport=transport, base_url="http://loa.test") as http:
        yield http
