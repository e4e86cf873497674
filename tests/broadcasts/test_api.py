from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from httpx import ASGITransport, AsyncClient

from api.app import create_app
from bot.app import Loa
from config.settings import Settings
from directory.auth import issue_access_token
from directory.models import Person, Role
from storage.db import Database
from tests.broadcasts import factories as f


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncClient]:
    loa = await Loa.create(settings)
    async with AsyncClient(
        transport=ASGITransport(app=create_app(loa, webhook=False)), base_url="http://t"
    ) as c:
        c.loa = loa  # type: ignore[attr-defined]
        yield c
    await loa.close()


def auth(settings: Settings, person: Person) -> dict[str, str]:
    token = issue_access_token(person_id=person.id, secret=settings.jwt_secret.get_secret_value(), minutes=5)
    return {"Authorization": f"Bearer {token}"}


BODY = {"title": "Chỉ thị 07", "content": {"kind": "text", "html": "<b>Kính gửi</b> <script>x</script>"}}


async def test_full_lifecycle_with_scope_checks(
    db: Database, settings: Settings, client: AsyncClient
) -> None:
    async with db.transaction() as s:
        p = await f.province(s)
        outsider = await f.person(s, "Cán bộ huyện", at=p.uppers[0], role=Role.officer)
    officer, approver, other = auth(settings, p.officer), auth(settings, p.approver), auth(settings, outsider)
    body = {
        **BODY,
        "audience": {"roots": [p.province.id], "targets": ["group", "leader"]},
        "require_ack": True,
    }

    r = await client.post("/api/v1/broadcasts", json=body, headers={**officer, "Idempotency-Key": "k1"})
    assert r.status_code == 201, r.text
    b = r.json()
    assert b["status"] == "draft" and "<script>" not in b["content"]["html"]
    again = await client.post("/api/v1/broadcasts", json=body, headers={**officer, "Idempotency-Key": "k1"})
    assert again.status_code == 200 and again.json()["id"] == b["id"]
    assert (await client.post("/api/v1/broadcasts", json=body, headers=other)).status_code == 403
    assert (await client.get(f"/api/v1/broadcasts/{b['id']}", headers=other)).status_code == 403

    preview = await client.post("/api/v1/broadcasts/audience/preview", json=body["audience"], headers=officer)
    assert preview.json()["total"] == 16 and len(preview.json()["by_unit"]) == 2

    r = await client.post(f"/api/v1/broadcasts/{b['id']}/submit", headers=officer)
    assert r.json()["status"] == "submitted"
    r = await client.post(f"/api/v1/broadcasts/{b['id']}/approve", headers=officer)
    assert r.status_code == 403 and r.json()["error"]["code"] == "self_approval"
    r = await client.post(f"/api/v1/broadcasts/{b['id']}/schedule", json={}, headers=officer)
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_approved"
    assert (await client.post(f"/api/v1/broadcasts/{b['id']}/approve", headers=approver)).json()[
        "status"
    ] == "approved"
    r = await client.post(
        f"/api/v1/broadcasts/{b['id']}/schedule", json={"at": "2099-01-01T07:00:00"}, headers=officer
    )
    assert r.status_code == 422
    r = await client.post(f"/api/v1/broadcasts/{b['id']}/schedule", json={}, headers=officer)
    assert r.json()["status"] == "sending" and r.json()["total"] == 16

    st = (await client.get(f"/api/v1/broadcasts/{b['id']}/stats", headers=officer)).json()
    assert st["by_outcome"] == {"pending": 16} and st["acks"] == {"chats": 0, "presses": 0}
    rows = (
        await client.get(
            f"/api/v1/broadcasts/{b['id']}/recipients?chat_kind=private&limit=5", headers=officer
        )
    ).json()
    assert rows["total"] == 6 and len(rows["items"]) == 5
    r = await client.post(f"/api/v1/broadcasts/{b['id']}/cancel", headers=officer)
    assert r.json()["status"] == "cancelled" and r.json()["stopped"] == 16
    assert (await client.get("/api/v1/broadcasts/999999", headers=officer)).status_code == 404


async def test_recurrence_via_api(db: Database, settings: Settings, client: AsyncClient) -> None:
    async with db.transaction() as s:
        p = await f.province(s)
    officer = auth(settings, p.officer)
    body = {**BODY, "audience": {"roots": [p.uppers[0].id]}}
    b = (await client.post("/api/v1/broadcasts", json=body, headers=officer)).json()
    await client.post(f"/api/v1/broadcasts/{b['id']}/submit", headers=officer)
    rule = {"kind": "monthly_nth", "time": "07:00", "nth": 1, "weekday": 0}
    r = await client.post(f"/api/v1/broadcasts/{b['id']}/recurrence", json={"rule": rule}, headers=officer)
    assert r.status_code == 201 and r.json()["state"] == "active"
    bad = await client.post(
        f"/api/v1/broadcasts/{b['id']}/recurrence", json={"rule": {"kind": "x"}}, headers=officer
    )
    assert bad.status_code == 409 and bad.json()["error"]["code"] == "bad_rule"
    listed = (await client.get(f"/api/v1/broadcasts/{b['id']}/recurrence", headers=officer)).json()
    assert len(listed) == 1


async def test_submitting_through_the_api_asks_the_approvers_as_the_chat_does(
    db: Database, settings: Settings, client: AsyncClient
) -> None:
    from sqlalchemy import select

    from outbox.models import Kind, OutboxMessage

    async with db.transaction() as s:
        p = await f.province(s)
    officer = auth(settings, p.officer)
    body = {**BODY, "audience": {"roots": [p.province.id], "targets": ["group"]}}
    b = (await client.post("/api/v1/broadcasts", json=body, headers=officer)).json()
    r = await client.post(f"/api/v1/broadcasts/{b['id']}/submit", headers=officer)
    assert r.json()["status"] == "submitted"
    async with db.transaction() as s:
        asks = list(await s.scalars(select(OutboxMessage).where(OutboxMessage.kind == Kind.approval_request)))
    assert [a.person_id for a in asks] == [p.approver.id]  # the approver, never the author
    (part,) = asks[0].payload or []
    assert "Tin chờ duyệt" in part["html"]
    assert part["markup"][0][0]["callback_data"] == f"bca:approve:{b['id']}"


async def test_outbox_statistics_by_kind_channel_and_status_within_scope(
    db: Database, settings: Settings, client: AsyncClient
) -> None:
    async with db.transaction() as s:
        p = await f.province(s)
        district = await f.person(s, "Cán bộ huyện", at=p.uppers[0], role=Role.officer)
    officer = auth(settings, p.officer)
    body = {**BODY, "audience": {"roots": [p.province.id], "targets": ["group"]}}
    b = (await client.post("/api/v1/broadcasts", json=body, headers=officer)).json()
    await client.post(f"/api/v1/broadcasts/{b['id']}/submit", headers=officer)
    assert (
        await client.post(f"/api/v1/broadcasts/{b['id']}/approve", headers=auth(settings, p.approver))
    ).is_success
    await client.post(f"/api/v1/broadcasts/{b['id']}/schedule", json={}, headers=officer)
    mine = (await client.get("/api/v1/outbox/stats", headers=officer)).json()
    assert {"kind": "broadcast", "channel": "telegram", "status": "pending", "count": 10} in mine["items"]
    theirs = (await client.get("/api/v1/outbox/stats", headers=auth(settings, district))).json()
    assert theirs["total"] < mine["total"]  # only the records about units under the district
    assert (await client.get("/api/v1/outbox/stats")).status_code == 401
