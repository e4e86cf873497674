"""Every chat and invitation route × every role × inside or outside the caller's subtree."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from httpx import ASGITransport, AsyncClient
from openpyxl import load_workbook

from api.app import create_app
from bot.app import Loa
from directory.auth import issue_access_token
from directory.chats import record_bot_membership, register_private_chat
from directory.invitations import create_invitation
from directory.linking import bind_group, create_link_code
from directory.models import Person, Role
from storage.db import Database
from tests.directory_chat.factories import make_person, make_tree, scope_of


@dataclass
class World:
    units: dict[str, int]  # "inside"/"outside" → a district id (inside = district A)
    chats: dict[str, int]
    private_chats: dict[str, int]
    invitations: dict[str, int]
    tokens: dict[str, str]  # actor → bearer token


async def build_world(db: Database, secret: str) -> World:
    async with db.transaction() as s:
        t = await make_tree(s)
        admin = await make_person(s, "Quản Trị", roles=((Role.admin, t.province),))
        leader = await make_person(s, "Chủ Tịch", telegram_user_id=901, roles=((Role.leader, t.school_a),))
        member = await make_person(s, "Đoàn Viên", roles=((Role.member, t.district_a),))
        leader_b = await make_person(
            s, "Chủ Tịch B", telegram_user_id=902, roles=((Role.leader, t.school_b),)
        )
        chats, private, invs = {}, {}, {}
        for where, district, officer, chat_id, person in (
            ("inside", t.district_a, t.officer_a, -11, leader),
            ("outside", t.district_b, t.officer_b, -22, leader_b),
        ):
            scope = await scope_of(s, officer)
            code = await create_link_code(s, scope=scope, unit=district, block="xa_phuong")
            await record_bot_membership(
                s, telegram_chat_id=chat_id, chat_type="group", title=where, status="member"
            )
            chats[where] = (
                await bind_group(s, scope=scope, raw_code=code.code, telegram_chat_id=chat_id, title=where)
            ).chat.id
            assert person.telegram_user_id is not None
            private[where] = (
                await register_private_chat(s, person=person, telegram_chat_id=person.telegram_user_id)
            ).id
            invs[where] = (
                await create_invitation(s, scope=scope, unit=district, role=Role.member)
            ).invitation.id
        people: dict[str, Person | None] = {
            "admin": admin,
            "officer_a": t.officer_a,
            "leader": leader,
            "member": member,
            "anonymous": None,
        }
        tokens = {
            name: issue_access_token(person_id=p.id, secret=secret, minutes=5) if p else ""
            for name, p in people.items()
        }
        return World({"inside": t.district_a.id, "outside": t.district_b.id}, chats, private, invs, tokens)


# (name, method, path, json body) — "{unit}", "{chat}", "{private}", "{inv}" are filled per side.
ROUTES: list[tuple[str, str, str, dict[str, Any] | None]] = [
    ("list chats of a unit", "GET", "/api/v1/chats?unit_id={unit}", None),
    ("read a group chat", "GET", "/api/v1/chats/{chat}", None),
    ("read a private chat", "GET", "/api/v1/chats/{private}", None),
    ("deactivate a chat", "POST", "/api/v1/chats/{chat}/deactivate", None),
    ("create an invitation", "POST", "/api/v1/invitations", {"unit_id": "{unit}", "role": "member"}),
    ("bulk invitations json", "POST", "/api/v1/invitations/bulk", {"unit_id": "{unit}"}),
    ("bulk invitations xlsx", "POST", "/api/v1/invitations/bulk?format=xlsx", {"unit_id": "{unit}"}),
    ("bulk invitations qr", "POST", "/api/v1/invitations/bulk?format=qr", {"unit_id": "{unit}"}),
    ("list invitations of a unit", "GET", "/api/v1/invitations?unit_id={unit}", None),
    ("read an invitation", "GET", "/api/v1/invitations/{inv}", None),
    ("revoke an invitation", "POST", "/api/v1/invitations/{inv}/revoke", None),
]

# actor → (status expected inside district A, status expected outside, in district B)
EXPECTED = {
    "admin": (200, 200),
    "officer_a": (200, 403),
    "leader": (403, 403),
    "member": (403, 403),
    "anonymous": (401, 401),
}


@pytest.fixture
async def api(
    settings: Any, make_settings: Any, sandbox: Any, db: Database
) -> AsyncIterator[tuple[AsyncClient, World]]:
    app_settings = make_settings(telegram_api_base=sandbox.base_url)
    loa = await Loa.create(app_settings)
    world = await build_world(db, app_settings.jwt_secret.get_secret_value())
    try:
        transport = ASGITransport(app=create_app(loa, webhook=False))
        async with AsyncClient(transport=transport, base_url="http://loa.test") as http:
            yield http, world
    finally:
        await loa.close()


def _fill(value: Any, ids: dict[str, int]) -> Any:
    if isinstance(value, str):
        for key, v in ids.items():
            if value == "{" + key + "}":
                return v
            value = value.replace("{" + key + "}", str(v))
        return value
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize("actor", list(EXPECTED))
async def test_permission_matrix(api: tuple[AsyncClient, World], actor: str) -> None:
    http, w = api
    headers = {"Authorization": f"Bearer {w.tokens[actor]}"} if w.tokens[actor] else {}
    failures = []
    for where, want in zip(("inside", "outside"), EXPECTED[actor], strict=True):
        ids = {
            "unit": w.units[where],
            "chat": w.chats[where],
            "private": w.private_chats[where],
            "inv": w.invitations[where],
        }
        for name, method, path, body in ROUTES:
            resp = await http.request(method, _fill(path, ids), json=_fill(body, ids), headers=headers)
            got = resp.status_code
            ok = (200 <= got < 300) if want == 200 else got == want
            if not ok:
                failures.append(f"{actor} {where}: {name} → {got} {resp.text[:120]}")
            elif want != 200:
                assert resp.json()["error"]["code"] and resp.json()["error"]["message"]
    assert not failures, "\n".join(failures)


async def test_lists_without_unit_are_filtered_to_the_callers_subtrees(
    api: tuple[AsyncClient, World],
) -> None:
    http, w = api
    headers = {"Authorization": f"Bearer {w.tokens['officer_a']}"}
    chats = (await http.get("/api/v1/chats", headers=headers)).json()
    assert {c["id"] for c in chats} == {w.chats["inside"], w.private_chats["inside"]}
    invs = (await http.get("/api/v1/invitations", headers=headers)).json()
    assert {i["id"] for i in invs} == {w.invitations["inside"]}
    for who in ("leader", "member"):
        h = {"Authorization": f"Bearer {w.tokens[who]}"}
        assert (await http.get("/api/v1/chats", headers=h)).json() == []
        assert (await http.get("/api/v1/invitations", headers=h)).json() == []


async def test_bulk_downloads_and_single_invitation_link(api: tuple[AsyncClient, World]) -> None:
    http, w = api
    headers = {"Authorization": f"Bearer {w.tokens['officer_a']}"}
    one = await http.post(
        "/api/v1/invitations", json={"unit_id": w.units["inside"], "role": "leader"}, headers=headers
    )
    assert (
        one.status_code == 201 and one.json()["link"] == f"https://t.me/loa_bot?start={one.json()['token']}"
    )
    xlsx = await http.post(
        "/api/v1/invitations/bulk?format=xlsx", json={"unit_id": w.units["inside"]}, headers=headers
    )
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    assert sorted(r[0] for r in rows) == ["DN-HV-01", "DN-HV-02"]
    assert all(str(r[3]).startswith("https://t.me/loa_bot?start=") for r in rows)
    qr = await http.post(
        "/api/v1/invitations/bulk?format=qr", json={"unit_id": w.units["inside"]}, headers=headers
    )
    assert qr.headers["content-type"] == "application/zip"
    assert len(zipfile.ZipFile(io.BytesIO(qr.content)).namelist()) == 2
    bad = await http.post(
        "/api/v1/invitations",
        json={"unit_id": w.units["inside"], "role": "member", "department": "van_phong"},
        headers=headers,
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_department"
    up = await http.post(
        "/api/v1/invitations", json={"unit_id": w.units["inside"], "role": "admin"}, headers=headers
    )
    assert up.status_code == 403
