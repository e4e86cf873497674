"""A small tree for probing as an attacker would: a federation root R with its admin, two provinces P1
and P2 with an officer of P1 (the attacker) and a leader and member below, and clients that send the
exact reproducing requests of issue 11."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from httpx import ASGITransport, AsyncClient

from api.app import create_app
from bot.app import Loa
from config.settings import Settings
from directory import auth
from directory.models import Role
from storage.db import Database
from tests.directory.conftest import make_person, make_unit

PASSWORD = "mat-khau-rat-dai-123"


@dataclass
class World:
    ids: dict[str, int]
    headers: dict[str, dict[str, str]]


@pytest.fixture
async def loa(make_settings: Callable[..., Settings], sandbox: Any) -> AsyncIterator[Loa]:
    """Invitation routes ask the bot its username: the bot talks to the local sandbox."""
    app_loa = await Loa.create(make_settings(telegram_api_base=sandbox.base_url), check_schema=False)
    yield app_loa
    await app_loa.close()


@pytest.fixture
async def client(loa: Loa) -> AsyncIterator[AsyncClient]:
    transport = ASGITransport(app=create_app(loa, webhook=False))
    async with AsyncClient(transport=transport, base_url="http://loa.test") as http:
        yield http


@pytest.fixture
async def world(db: Database, loa: Loa) -> World:
    ids: dict[str, int] = {}
    headers: dict[str, dict[str, str]] = {}
    secret = loa.settings.jwt_secret.get_secret_value()
    async with db.transaction() as s:
        root = await make_unit(s, "R", kind="confederation")
        p1 = await make_unit(s, "P1", root, kind="province_federation")
        p2 = await make_unit(s, "P2", root, kind="province_federation")
        d1 = await make_unit(s, "D1", p1, kind="district_federation")
        c1 = await make_unit(s, "C1", d1)
        c2 = await make_unit(s, "C2", p2)
        admin = await make_person(
            s, "Quản trị Tổng", unit=root, role=Role.admin, login="admin", password=PASSWORD
        )
        officer = await make_person(
            s, "Cán bộ Tỉnh 1", unit=p1, role=Role.officer, login="canbo1", password=PASSWORD
        )
        officer2 = await make_person(s, "Cán bộ Tỉnh 2", unit=p2, role=Role.officer)
        leader = await make_person(s, "Chủ tịch C1", unit=c1, role=Role.leader, phone="0912345678")
        member = await make_person(s, "Đoàn viên C1", unit=c1, role=Role.member)
        ids.update(R=root.id, P1=p1.id, P2=p2.id, D1=d1.id, C1=c1.id, C2=c2.id)
        ids.update(
            admin=admin.id, officer=officer.id, officer2=officer2.id, leader=leader.id, member=member.id
        )
        for name in ("admin", "officer", "officer2", "leader"):
            token = auth.issue_access_token(person_id=ids[name], secret=secret, minutes=5)
            headers[name] = {"Authorization": f"Bearer {token}"}
    return World(ids, headers)
