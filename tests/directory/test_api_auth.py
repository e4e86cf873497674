"""Login, API keys (shown once, hashed, revocable), the import endpoint and the audit trail via the API."""

from __future__ import annotations

from httpx import AsyncClient
from sqlalchemy import select

from bot.app import Loa
from directory.models import ApiKey, Role
from storage.db import Database
from tests.directory.conftest import make_person, make_unit

PASSWORD = "mat-khau-du-dai-2025"


async def login(client: AsyncClient, user: str, password: str) -> dict[str, str]:
    response = await client.post("/api/v1/auth/login", json={"login": user, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_login_key_lifecycle_import_and_audit(db: Database, loa: Loa, client: AsyncClient) -> None:
    async with db.transaction() as s:
        root = await make_unit(s, "TLD", kind="confederation")
        prov = await make_unit(s, "QNA", root, kind="province_federation")
        await make_person(s, "Quản trị Quảng Nam", unit=prov, role=Role.admin, login="qna", password=PASSWORD)

    bad = await client.post("/api/v1/auth/login", json={"login": "qna", "password": "sai-mat-khau-roi"})
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "bad_credentials"
    garbage = await client.get("/api/v1/units/tree", headers={"Authorization": "Bearer x.y.z"})
    assert garbage.status_code == 401 and garbage.json()["error"]["code"] == "bad_token"
    admin = await login(client, "qna", PASSWORD)
    me = await client.get("/api/v1/units/tree", headers=admin)
    assert [u["code"] for u in me.json()["items"]] == ["QNA"]

    created = await client.post(
        "/api/v1/api-keys",
        headers=admin,
        json={"name": "Cổng thông tin", "unit_id": prov.id, "role": "officer"},
    )
    assert created.status_code == 201
    raw = created.json()["key"]
    async with db.transaction() as s:
        stored = await s.scalar(select(ApiKey))
        assert stored is not None and raw not in (stored.key_hash, stored.prefix)
    listed = await client.get("/api/v1/api-keys", headers=admin)
    assert all("key" not in k for k in listed.json()["items"])
    with_key = await client.get(f"/api/v1/units/{prov.id}", headers={"X-API-Key": raw})
    assert with_key.status_code == 200 and with_key.json()["code"] == "QNA"
    as_key_admin = await client.post(f"/api/v1/units/{prov.id}/deactivate", headers={"X-API-Key": raw})
    assert as_key_admin.status_code == 403

    csv = "Mã đơn vị,Tên đơn vị,Mã đơn vị cấp trên,Loại\nX,,QNA,CĐCS\nY,CĐCS Y,KHONG,CĐCS\n"
    files = {"file": ("don-vi.csv", csv.encode(), "text/csv")}
    rejected = await client.post("/api/v1/units/import", headers=admin, files=files)
    assert rejected.status_code == 422
    body = rejected.json()["error"]
    assert body["code"] == "import_invalid" and [e["row"] for e in body["errors"]] == [2, 3]
    good = "Mã đơn vị,Tên đơn vị,Mã đơn vị cấp trên,Loại\nX,CĐCS X,QNA,CĐCS\n"
    files = {"file": ("don-vi.csv", good.encode(), "text/csv")}
    dry = await client.post("/api/v1/units/import?dry_run=true", headers=admin, files=files)
    assert dry.json()["created"] == ["X"] and dry.json()["dry_run"]
    files = {"file": ("don-vi.csv", good.encode(), "text/csv")}
    done = await client.post("/api/v1/units/import", headers=admin, files=files)
    assert done.json()["created"] == ["X"]
    exported = await client.get(f"/api/v1/units/{prov.id}/export?format=csv", headers=admin)
    assert exported.headers["content-type"].startswith("text/csv")
    files = {"file": ("lai.csv", exported.content, "text/csv")}
    again = await client.post("/api/v1/units/import", headers=admin, files=files)
    assert again.json()["changed"] is False

    key_id = created.json()["id"]
    assert (await client.delete(f"/api/v1/api-keys/{key_id}", headers=admin)).json()["revoked"]
    revoked = await client.get(f"/api/v1/units/{prov.id}", headers={"X-API-Key": raw})
    assert revoked.status_code == 401 and revoked.json()["error"]["code"] == "revoked_api_key"

    audit = (await client.get("/api/v1/audit", headers=admin)).json()["items"]
    actions = [e["action"] for e in audit]
    assert {"api_key.create", "api_key.revoke", "unit.create"} <= set(actions)
    assert all(e["actor"].startswith(("person:", "api_key:")) for e in audit[:3])
    missing = await client.get("/api/v1/units/999999", headers=admin)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "unit_not_found"
