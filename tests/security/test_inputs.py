"""Issue 11, finding 5: every input that answered 500 answers a 4xx now, sent exactly as found."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import timedelta

import jwt
import pytest
from httpx import ASGITransport, AsyncClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from api.app import create_app
from api.downloads import attachment
from api.webhook import SECRET_HEADER
from bot.app import Loa
from directory.models import OrgUnit, Person
from storage.base import utcnow
from storage.db import Database
from storage.runtime_models import ProcessedUpdate
from tests.security.conftest import World

API = "/api/v1"
HUGE = 2**64  # above int64
OVERFLOWING = [
    ("GET", f"{API}/units/{HUGE}"),
    ("GET", f"{API}/units/{HUGE}/children"),
    ("GET", f"{API}/units/1/subtree?offset={HUGE}"),
    ("GET", f"{API}/people/{HUGE}"),
    ("GET", f"{API}/people?offset={HUGE}"),
    ("GET", f"{API}/invitations/{HUGE}"),
    ("GET", f"{API}/invitations?offset={HUGE}"),
    ("GET", f"{API}/chats?unit_id={HUGE}"),
    ("GET", f"{API}/broadcasts/{HUGE}"),
    ("GET", f"{API}/reports/rounds/{HUGE}"),
    ("GET", f"{API}/archive/documents/{HUGE}"),
    ("GET", f"{API}/audit?before_id={HUGE}"),
    ("DELETE", f"{API}/roles/{HUGE}"),
    ("POST", f"{API}/petitions/{HUGE}/answer"),
]


@pytest.mark.parametrize(("method", "url"), OVERFLOWING)
async def test_ids_and_offsets_above_int64_are_422(
    client: AsyncClient, world: World, method: str, url: str
) -> None:
    body = {"answer": "Trả lời"} if method == "POST" else None
    answer = await client.request(method, url, json=body, headers=world.headers["admin"])
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "validation_error"


async def test_ids_above_int64_in_bodies_are_422(client: AsyncClient, world: World) -> None:
    body = {"unit_id": HUGE, "role": "member"}
    answer = await client.post(f"{API}/invitations", json=body, headers=world.headers["admin"])
    assert answer.status_code == 422


async def test_an_unknown_content_kind_is_422(client: AsyncClient, world: World) -> None:
    body = {
        "title": "Thông báo",
        "content": {"kind": "video", "html": "Xin chào"},
        "audience": {"roots": [world.ids["P1"]]},
    }
    answer = await client.post(f"{API}/broadcasts", json=body, headers=world.headers["officer"])
    assert answer.status_code == 422, answer.text


async def test_a_signed_token_with_a_non_numeric_sub_is_401(client: AsyncClient, loa: Loa) -> None:
    now = utcnow()
    claims = {"sub": "admin", "iat": now, "exp": now + timedelta(minutes=5), "typ": "access"}
    token = jwt.encode(claims, loa.settings.jwt_secret.get_secret_value(), algorithm="HS256")
    answer = await client.get(f"{API}/units/tree", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "bad_token"


@pytest.fixture
async def webhook_client(loa: Loa) -> AsyncIterator[AsyncClient]:
    transport = ASGITransport(app=create_app(loa, webhook=True))
    async with AsyncClient(transport=transport, base_url="http://loa.test") as http:
        yield http


async def test_a_malformed_update_with_the_right_secret_is_400_and_not_processed(
    webhook_client: AsyncClient, loa: Loa, db: Database
) -> None:
    headers = {SECRET_HEADER: loa.webhook_secret}
    path = loa.settings.webhook_path
    for update in (
        {"update_id": 5, "message": {"text": "hi"}},
        {"update_id": "năm"},
        {"update_id": HUGE},
        {"update_id": 6, "message": []},
    ):
        answer = await webhook_client.post(path, json=update, headers=headers)
        assert answer.status_code == 400, (update, answer.text)
    async with db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(ProcessedUpdate)) == 0


async def test_control_characters_in_names_are_refused(client: AsyncClient, world: World) -> None:
    officer = world.headers["officer"]
    body = {"full_name": "Nguyễn\x07 Văn\x00 A", "unit_id": world.ids["C1"], "role": "member"}
    answer = await client.post(f"{API}/people", json=body, headers=officer)
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "control_characters"
    patch = await client.patch(
        f"{API}/people/{world.ids['leader']}", json={"full_name": "A\x1bB"}, headers=officer
    )
    assert patch.status_code == 422
    assert (await client.get(f"{API}/units/by-code/C1%0D%0A", headers=officer)).status_code == 400


async def test_a_stored_control_character_never_breaks_an_export(
    client: AsyncClient, world: World, db: Database
) -> None:
    async with db.transaction() as s:  # a name stored before the edge refused them
        leader = await s.get(Person, world.ids["leader"])
        assert leader is not None
        leader.full_name = "Chủ tịch\x07 C1\x1b"
    answer = await client.get(f"{API}/units/{world.ids['P1']}/export", headers=world.headers["officer"])
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.content)).worksheets[0]
    assert "Chủ tịch C1" in [c.value for row in sheet.iter_rows() for c in row]


@pytest.mark.parametrize("code", ["HÀ-NỘI", 'A"B', "Ω漢", "X; filename=evil.exe"])
async def test_downloads_have_a_safe_content_disposition(
    client: AsyncClient, world: World, db: Database, code: str
) -> None:
    async with db.transaction() as s:
        unit = await s.get(OrgUnit, world.ids["P1"])
        assert unit is not None
        unit.code = code
    answer = await client.get(f"{API}/units/{world.ids['P1']}/export", headers=world.headers["officer"])
    assert answer.status_code == 200
    disposition = answer.headers["content-disposition"]
    assert disposition.count("filename=") == 1 and disposition.count("filename*=UTF-8''") == 1
    assert disposition.isascii() and "\r" not in disposition and "\n" not in disposition
    fallback = disposition.split('filename="', 1)[1].split('"', 1)[0]
    assert '"' not in fallback and ";" not in fallback


def test_content_disposition_never_carries_a_line_break() -> None:
    header = attachment('a"\r\nSet-Cookie: x=1.xlsx')["Content-Disposition"]
    assert "\r" not in header and "\n" not in header and header.count('"') == 2


@pytest.mark.parametrize("day", ["9999-01-01", "1900-05-01"])
async def test_dates_outside_2000_2100_are_422(client: AsyncClient, world: World, day: str) -> None:
    body = {
        "kind": "Kế hoạch",
        "issuer": "LĐLĐ",
        "subject": "Thử",
        "issued_on": day,
        "visibility_unit_id": world.ids["P1"],
    }
    answer = await client.post(f"{API}/archive/documents", json=body, headers=world.headers["officer"])
    assert answer.status_code == 422
    deadline = {"template_code": "DV", "period_kind": "month", "deadline": f"{day}T00:00:00+07:00",
                "root_unit_id": world.ids["P1"]}  # fmt: skip
    assert (
        await client.post(f"{API}/reports/rounds", json=deadline, headers=world.headers["officer"])
    ).status_code == 422


async def test_a_10_mb_json_string_is_413(client: AsyncClient, world: World) -> None:
    body = {"full_name": "A" * (10 * 1024 * 1024), "unit_id": world.ids["C1"]}
    answer = await client.post(f"{API}/people", json=body, headers=world.headers["officer"])
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "body_too_large"


async def test_a_streamed_body_without_length_is_cut_at_the_limit(client: AsyncClient, world: World) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"full_name": "'
        for _ in range(40):
            yield b"A" * 100_000
        yield b'"}'

    headers = {**world.headers["officer"], "Content-Type": "application/json"}
    answer = await client.post(f"{API}/people", content=chunks(), headers=headers)
    assert answer.status_code == 413


async def test_long_strings_are_422(client: AsyncClient, world: World) -> None:
    body = {"full_name": "A" * 5000, "unit_id": world.ids["C1"]}
    answer = await client.post(f"{API}/people", json=body, headers=world.headers["officer"])
    assert answer.status_code == 422
