"""The archive and petition API: scoped by role × subtree, errors as 4xx with a code, answers delivered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from httpx import ASGITransport, AsyncClient

from api.app import create_app
from archive.petitions import submit_petition
from bot.app import Loa
from bot.worker import run_worker
from directory.auth import issue_access_token
from directory.models import Role
from sandbox.client import SandboxClient
from storage.db import Database
from tests.archive.factories import Province, make_person, make_province


@dataclass
class World:
    p: Province
    tokens: dict[str, str]
    petition_id: int
    anonymous_id: int


@pytest.fixture
async def api(make_settings: Any, sandbox: Any, db: Database) -> AsyncIterator[tuple[AsyncClient, World]]:
    settings = make_settings(telegram_api_base=sandbox.base_url)
    loa = await Loa.create(settings)
    secret = settings.jwt_secret.get_secret_value()
    async with db.transaction() as s:
        p = await make_province(s)
        admin = await make_person(s, "Quản Trị", roles=((Role.admin, p.province),))
        named = await submit_petition(
            s, sender=p.member_a, category="tien_luong", text="Chậm lương", sender_chat_id=7004
        )
        hidden = await submit_petition(
            s, sender=p.member_a, category="an_toan", text="Thiếu bảo hộ", anonymous=True, sender_chat_id=7004
        )
        people = {
            "admin": admin,
            "officer_province": p.officer_province,
            "officer_a": p.officer_a,
            "member_a": p.member_a,
            "member_b": p.member_b,
        }
        tokens = {k: issue_access_token(person_id=v.id, secret=secret, minutes=5) for k, v in people.items()}
        world = World(p, tokens, named.petition.id, hidden.petition.id)
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(loa, stop))  # the worker role sends what requests queue
    try:
        async with AsyncClient(
            transport=ASGITransport(app=create_app(loa, webhook=False)), base_url="http://loa.test"
        ) as http:
            yield http, world
    finally:
        stop.set()
        await worker
        await loa.close()


def auth(world: World, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[who]}"}


async def test_documents_create_upload_search_download_and_permissions(
    api: tuple[AsyncClient, World],
) -> None:
    http, w = api
    body = {
        "kind": "Kế hoạch",
        "number": "31/KH-LĐLĐ",
        "issuer": "LĐLĐ thành phố Tam Kỳ",
        "subject": "Tổ chức Tháng Công nhân năm 2026",
        "issued_on": "2026-04-01",
        "visibility_unit_id": w.p.district_a.id,
        "tags": ["Tháng Công nhân"],
    }
    r = await http.post("/api/v1/archive/documents", json=body, headers=auth(w, "officer_a"))
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["number_parts"] == {"number": 31, "year": None, "kind_code": "KH", "issuer_code": "LĐLĐ"}
    # another district's unit, or a public document, is not the district officer's to publish
    r = await http.post(
        "/api/v1/archive/documents",
        json={**body, "visibility_unit_id": w.p.district_b.id},
        headers=auth(w, "officer_a"),
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = await http.post(
        "/api/v1/archive/documents", json={**body, "visibility_unit_id": None}, headers=auth(w, "officer_a")
    )
    assert r.status_code == 403
    r = await http.post(
        "/api/v1/archive/documents",
        json={**body, "number": "5/KH-LĐLĐ", "visibility_unit_id": None},
        headers=auth(w, "admin"),
    )
    assert r.status_code == 201
    public_id = r.json()["id"]
    files = {"file": ("ke-hoach.pdf", b"%PDF-1.7 tam ky", "application/pdf")}
    up = await http.post(
        f"/api/v1/archive/documents/{doc['id']}/files", files=files, headers=auth(w, "officer_a")
    )
    assert up.status_code == 201 and up.json()["size"] == 15
    bad = {"file": ("virus.exe", b"MZ", "application/x-msdownload")}
    r = await http.post(
        f"/api/v1/archive/documents/{doc['id']}/files", files=bad, headers=auth(w, "officer_a")
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_file_type"
    found = await http.get(
        "/api/v1/archive/documents/search?q=thang cong nhan 31", headers=auth(w, "member_a")
    )
    assert [i["id"] for i in found.json()["items"]] == [doc["id"]]  # the public one has another number
    outside = await http.get(
        "/api/v1/archive/documents/search?q=thang cong nhan", headers=auth(w, "member_b")
    )
    assert [i["id"] for i in outside.json()["items"]] == [public_id]
    assert (
        await http.get(f"/api/v1/archive/documents/{doc['id']}", headers=auth(w, "member_b"))
    ).status_code == 404
    dl = await http.get(
        f"/api/v1/archive/documents/{doc['id']}/files/{up.json()['id']}", headers=auth(w, "member_a")
    )
    assert (
        dl.status_code == 200
        and dl.content == b"%PDF-1.7 tam ky"
        and "ke-hoach.pdf" in dl.headers["content-disposition"]
    )
    assert (await http.get("/api/v1/archive/documents/search?q=31")).status_code == 401


async def test_petitions_list_answer_forward_stats(api: tuple[AsyncClient, World], sandbox: Any) -> None:
    http, w = api
    listed = await http.get("/api/v1/petitions", headers=auth(w, "officer_a"))
    items = {i["id"]: i for i in listed.json()["items"]}
    assert set(items) == {w.petition_id, w.anonymous_id}
    assert items[w.petition_id]["sender_name"] == "Trần Văn Minh"
    assert items[w.anonymous_id]["sender_name"] is None and items[w.anonymous_id]["unit_name"].startswith(
        "CĐCS"
    )
    assert (await http.get("/api/v1/petitions", headers=auth(w, "member_b"))).json()["items"] == []
    r = await http.get(f"/api/v1/petitions/{w.petition_id}", headers=auth(w, "member_b"))
    assert r.status_code == 404
    # answering reaches the sender in chat through the bot
    async with SandboxClient(sandbox.base_url) as sb:
        await sb.create_user(first_name="Minh", user_id=7004)
        r = await http.post(
            f"/api/v1/petitions/{w.petition_id}/answer",
            json={"answer": "Đơn vị sẽ trả lương trước ngày 15."},
            headers=auth(w, "officer_a"),
        )
        assert r.status_code == 200 and r.json()["status"] == "answered" and r.json()["delivered"] is True
        msg = (await sb.wait_for_messages(7004))[0]
        assert "trả lương trước ngày 15" in msg["text"]
    again = await http.post(
        f"/api/v1/petitions/{w.petition_id}/answer", json={"answer": "x"}, headers=auth(w, "officer_a")
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "not_open"
    r = await http.post(f"/api/v1/petitions/{w.anonymous_id}/forward", headers=auth(w, "member_a"))
    assert r.status_code == 403
    r = await http.post(f"/api/v1/petitions/{w.anonymous_id}/forward", headers=auth(w, "officer_a"))
    assert r.status_code == 200 and r.json()["status"] == "forwarded"
    assert r.json()["handling_unit_id"] == w.p.province.id
    r = await http.post(f"/api/v1/petitions/{w.anonymous_id}/forward", headers=auth(w, "officer_province"))
    assert r.status_code == 409 and r.json()["error"]["code"] == "top_level"
    r = await http.post(f"/api/v1/petitions/{w.petition_id}/close", headers=auth(w, "officer_a"))
    assert r.json()["status"] == "closed" and r.json()["closed_at"]
    stats = (await http.get("/api/v1/petitions/stats", headers=auth(w, "officer_province"))).json()
    assert stats["total"] == {
        "total": 2,
        "answered": 1,
        "open": 1,
        "avg_hours_to_answer": stats["total"]["avg_hours_to_answer"],
        "median_hours_to_answer": stats["total"]["median_hours_to_answer"],
    }
    assert stats["total"]["avg_hours_to_answer"] is not None
    assert {c["category"] for c in stats["by_category"]} == {"tien_luong", "an_toan"}
    assert stats["by_unit"][0]["unit_name"] == "CĐCS Trường THCS Lý Tự Trọng"
    filtered = await http.get("/api/v1/petitions?status=forwarded", headers=auth(w, "officer_province"))
    assert [i["id"] for i in filtered.json()["items"]] == [w.anonymous_id]
