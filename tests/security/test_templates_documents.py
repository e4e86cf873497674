"""Issue 11, finding 3 and the template/issuer rows of the permission matrix: a shared template is
changed only by whom it belongs to; a document's issuer lies in the caller's scope; both are audited."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient
from sqlalchemy import select

from directory.models import AuditEntry
from reports.models import ReportTemplate
from storage.db import Database
from tests.security.conftest import World

API = "/api/v1"
FIELDS: list[dict[str, Any]] = [{"key": "tt", "label": "Tổng số đoàn viên", "type": "integer"}]


def _template(code: str, label: str = "Tổng số đoàn viên", **extra: Any) -> dict[str, Any]:
    return {"code": code, "name": f"Báo cáo {code}", "fields": [{**FIELDS[0], "label": label}], **extra}


async def _versions(db: Database, code: str) -> list[tuple[int, int | None]]:
    async with db.transaction() as s:
        rows = await s.scalars(select(ReportTemplate).where(ReportTemplate.code == code))
        return sorted((t.version, t.owner_unit_id) for t in rows)


async def _audit(db: Database, action: str) -> list[AuditEntry]:
    async with db.transaction() as s:
        return list((await s.scalars(select(AuditEntry).where(AuditEntry.action == action))).all())


async def test_an_officer_cannot_replace_the_shared_template(
    client: AsyncClient, world: World, db: Database
) -> None:
    made = await client.post(f"{API}/reports/templates", json=_template("DV"), headers=world.headers["admin"])
    assert made.status_code == 201, made.text
    assert made.json()["owner_unit_id"] == world.ids["R"]
    hijack = await client.post(
        f"{API}/reports/templates", json=_template("DV", "Sửa trộm"), headers=world.headers["officer"]
    )
    assert hijack.status_code == 403
    assert await _versions(db, "DV") == [(1, world.ids["R"])]
    assert len(await _audit(db, "template.create")) == 1


async def test_a_subtree_versions_only_its_own_templates(
    client: AsyncClient, world: World, db: Database
) -> None:
    officer, officer2 = world.headers["officer"], world.headers["officer2"]
    made = await client.post(f"{API}/reports/templates", json=_template("P1BC"), headers=officer)
    assert made.status_code == 201 and made.json()["owner_unit_id"] == world.ids["P1"]
    other = await client.post(f"{API}/reports/templates", json=_template("P1BC", "Khác"), headers=officer2)
    assert other.status_code == 403
    claim = await client.post(
        f"{API}/reports/templates", json=_template("P1BC", "Khác", unit_id=world.ids["P2"]), headers=officer2
    )
    assert claim.status_code == 409
    again = await client.post(f"{API}/reports/templates", json=_template("P1BC", "Mới"), headers=officer)
    assert again.status_code == 201 and again.json()["version"] == 2
    assert await _versions(db, "P1BC") == [(1, world.ids["P1"]), (2, world.ids["P1"])]
    (entry,) = await _audit(db, "template.version")
    assert entry.actor == f"person:{world.ids['officer']}"
    outside = await client.post(
        f"{API}/reports/templates", json=_template("P2X", unit_id=world.ids["P2"]), headers=officer
    )
    assert outside.status_code == 403


async def test_malformed_template_fields_are_422(client: AsyncClient, world: World) -> None:
    bad: list[list[dict[str, Any]]] = [
        [{}],
        [{"key": "a", "label": "A", "type": "int"}],
        [{"key": "a", "label": "A", "max": "x"}],
    ]
    for fields in bad:
        body = {"code": "BAD", "name": "Sai", "fields": fields}
        answer = await client.post(f"{API}/reports/templates", json=body, headers=world.headers["admin"])
        assert answer.status_code == 422, (fields, answer.text)


def _document(issuer: int | None, visible: int | None) -> dict[str, Any]:
    return {
        "kind": "Kế hoạch",
        "number": "12/KH-LĐLĐ",
        "issuer": "LĐLĐ tỉnh",
        "subject": "Về việc thử",
        "issuer_unit_id": issuer,
        "visibility_unit_id": visible,
    }


async def test_a_document_issuer_outside_scope_is_refused(
    client: AsyncClient, world: World, db: Database
) -> None:
    officer = world.headers["officer"]
    url = f"{API}/archive/documents"
    outside = await client.post(url, json=_document(world.ids["P2"], world.ids["P1"]), headers=officer)
    assert outside.status_code == 403
    zero = await client.post(url, json=_document(0, world.ids["P1"]), headers=officer)
    assert zero.status_code == 422
    unknown = await client.post(url, json=_document(987654321, world.ids["P1"]), headers=officer)
    assert unknown.status_code == 404
    inside = await client.post(url, json=_document(world.ids["D1"], world.ids["P1"]), headers=officer)
    assert inside.status_code == 201, inside.text
    (entry,) = await _audit(db, "document.create")
    assert entry.actor == f"person:{world.ids['officer']}"
