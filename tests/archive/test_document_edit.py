"""PATCH /api/v1/archive/documents/{id}: fields, tags and visibility change, the search follows, and only
those who may publish where the document is visible may edit it."""

from __future__ import annotations

from httpx import AsyncClient

from tests.archive.test_api import World, api, auth

__all__ = ["api"]


async def test_edit_a_document_and_search_follows(api: tuple[AsyncClient, World]) -> None:
    http, w = api
    body = {
        "kind": "Kế hoạch",
        "number": "31/KH-LĐLĐ",
        "issuer": "LĐLĐ thành phố Tam Kỳ",
        "subject": "Tổ chức Tháng Công nhân năm 2026",
        "visibility_unit_id": w.p.district_a.id,
        "tags": ["Tháng Công nhân"],
    }
    r = await http.post("/api/v1/archive/documents", json=body, headers=auth(w, "officer_a"))
    doc_id = r.json()["id"]
    url = f"/api/v1/archive/documents/{doc_id}"

    r = await http.patch(
        url,
        json={"number": "32/KH-LĐLĐ", "subject": "Tổ chức Tháng hành động an toàn", "tags": ["ATVSLĐ"]},
        headers=auth(w, "officer_a"),
    )
    assert r.status_code == 200, r.text
    edited = r.json()
    assert edited["number"] == "32/KH-LĐLĐ" and edited["number_parts"]["number"] == 32
    assert edited["tags"] == ["ATVSLĐ"] and edited["issuer"] == body["issuer"]  # untouched fields stay
    found = await http.get(
        "/api/v1/archive/documents/search", params={"q": "hanh dong an toan"}, headers=auth(w, "officer_a")
    )
    assert [h["id"] for h in found.json()["items"]] == [doc_id]
    old = await http.get(
        "/api/v1/archive/documents/search", params={"q": "thang cong nhan"}, headers=auth(w, "officer_a")
    )
    assert old.json()["items"] == []

    # moving it to another district is not the district officer's to do
    r = await http.patch(url, json={"visibility_unit_id": w.p.district_b.id}, headers=auth(w, "officer_a"))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = await http.patch(url, json={"subject": ""}, headers=auth(w, "officer_a"))
    assert r.status_code == 422
    r = await http.patch(url, json={"subject": "Khác"}, headers=auth(w, "member_a"))
    assert r.status_code in (403, 404)
    r = await http.patch(
        "/api/v1/archive/documents/999999", json={"subject": "Khác"}, headers=auth(w, "admin")
    )
    assert r.status_code == 404
