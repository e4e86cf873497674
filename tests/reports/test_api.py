"""The reports API: scope checks (officers their subtree, leaders their own unit) and each resource."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from api.app import create_app
from bot.app import Loa
from config.settings import Settings
from directory.auth import issue_access_token
from directory.models import Person
from storage.base import utcnow
from tests.outbox_helpers import SenderTransport, drain
from tests.reports.factories import FIELDS, RULES, FakeSender, Tree, tree


@pytest.fixture
async def loa(settings: Settings) -> AsyncIterator[Loa]:
    app = await Loa.create(settings)
    real_bot = app.bot
    app.bot = FakeSender()  # type: ignore[assignment]  # what tests drain the outbox into
    yield app
    app.bot = real_bot
    await app.close()


class Api:
    def __init__(self, loa: Loa, t: Tree) -> None:
        self.loa, self.t = loa, t
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(loa)), base_url="http://loa.test"
        )

    def auth(self, person: Person) -> dict[str, str]:
        secret = self.loa.settings.jwt_secret.get_secret_value()
        return {
            "Authorization": f"Bearer {issue_access_token(person_id=person.id, secret=secret, minutes=5)}"
        }

    async def call(self, method: str, path: str, who: Person, **kw: Any) -> httpx.Response:
        return await self.http.request(method, "/api/v1/reports" + path, headers=self.auth(who), **kw)


@pytest.fixture
async def api(loa: Loa) -> AsyncIterator[Api]:
    async with loa.db.transaction() as session:
        t = await tree(session)
    client = Api(loa, t)
    yield client
    await client.http.aclose()


async def open_round(api: Api) -> int:
    t = api.t
    made = await api.call(
        "POST",
        "/templates",
        t.officer_p,
        json={"code": "TK", "name": "Báo cáo", "fields": FIELDS, "rules": RULES},
    )
    assert made.status_code == 201, made.text
    body = {
        "template_code": "tk",
        "period_kind": "month",
        "deadline": (utcnow() + timedelta(days=3)).isoformat(),
        "root_unit_id": t.p.id,
        "target_kinds": ["grassroots_union"],
        "announce": True,
    }
    opened = await api.call("POST", "/rounds", t.officer_p, json=body)
    assert opened.status_code == 201, opened.text
    assert opened.json()["announced"]["sent"] == 4 and opened.json()["announced"]["unreachable"] == 1
    return int(opened.json()["id"])


async def test_templates_are_versioned_and_need_an_officer(api: Api) -> None:
    t = api.t
    denied = await api.call(
        "POST", "/templates", t.leaders["G1"], json={"code": "TK", "name": "x", "fields": FIELDS}
    )
    assert denied.status_code == 403
    first = (
        await api.call("POST", "/templates", t.officer_p, json={"code": "TK", "name": "x", "fields": FIELDS})
    ).json()
    second = await api.call(
        "POST", "/templates", t.officer_p, json={"code": "TK", "name": "y", "fields": FIELDS}
    )
    assert (first["version"], second.json()["version"]) == (1, 2)
    bad = await api.call(
        "POST", "/templates", t.officer_p, json={"code": "X", "name": "x", "fields": [FIELDS[0]] * 2}
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "bad_template"
    listed = await api.call("GET", "/templates", t.leaders["G1"])
    assert [x["version"] for x in listed.json()["items"]] == [2]


async def test_only_an_officer_of_the_root_opens_a_round(api: Api) -> None:
    t = api.t
    await api.call("POST", "/templates", t.officer_p, json={"code": "TK", "name": "x", "fields": FIELDS})
    body = {
        "template_code": "TK",
        "period_kind": "month",
        "deadline": (utcnow() + timedelta(days=3)).isoformat(),
        "root_unit_id": t.p.id,
        "announce": False,
    }
    assert (await api.call("POST", "/rounds", t.officer_d1, json=body)).status_code == 403
    assert (await api.call("POST", "/rounds", t.leaders["G1"], json=body)).status_code == 403
    missing = await api.call("POST", "/rounds", t.officer_p, json={**body, "template_code": "NONE"})
    assert missing.status_code == 404 and "NONE" in missing.json()["error"]["message"]


async def test_submissions_revisions_review_and_scope(api: Api) -> None:
    t = api.t
    round_id = await open_round(api)
    g1 = t.g["G1"].id
    path = f"/rounds/{round_id}/submissions"
    other = await api.call("POST", path, t.leaders["G1"], json={"unit_id": t.g["G2"].id, "values": {"tt": 1}})
    assert other.status_code == 403
    bad = await api.call(
        "POST", path, t.leaders["G1"], json={"unit_id": g1, "values": {"tt": 10, "kn": 20, "ntg": 1}}
    )
    assert (
        bad.status_code == 422
        and "«Số đoàn viên kết nạp mới» (kn): đã nhập 20" in bad.json()["error"]["message"]
    )
    ok = await api.call(
        "POST",
        path,
        t.leaders["G1"],
        json={"unit_id": g1, "values": {"tt": "1.200", "kn": 12, "ntg": 300, "tl": 45.5}},
    )
    assert ok.status_code == 201 and ok.json()["latest"] == {
        "tt": "1200",
        "kn": "12",
        "ntg": "300",
        "tl": "45.5",
    }
    on_behalf = await api.call(
        "POST", path, t.officer_d1, json={"unit_id": g1, "values": {"tt": 1200, "kn": 13, "ntg": 300}}
    )
    assert on_behalf.status_code == 201 and [r["number"] for r in on_behalf.json()["revisions"]] == [1, 2]
    history = await api.call("GET", f"/rounds/{round_id}/submissions/{g1}", t.officer_p)
    assert history.json()["latest"]["kn"] == "13"
    submission_id = history.json()["id"]
    # S1 has no officer of its own, the D1 officer cannot review G3's parent subtree
    g3 = await api.call(
        "POST", path, t.leaders["G3"], json={"unit_id": t.g["G3"].id, "values": {"tt": 5, "kn": 1, "ntg": 1}}
    )
    assert (await api.call("POST", f"/submissions/{g3.json()['id']}/accept", t.officer_d1)).status_code == 403
    sender: FakeSender = api.loa.bot  # type: ignore[assignment]
    await drain(api.loa.db, SenderTransport(sender))  # the requests queued when the round opened
    sent_before = len(sender.sent)
    returned = await api.call(
        "POST", f"/submissions/{submission_id}/return", t.officer_d1, json={"comment": "Chưa khớp sổ"}
    )
    assert returned.status_code == 200 and returned.json()["status"] == "returned"
    await drain(api.loa.db, SenderTransport(sender))  # the worker sends what the request queued
    assert returned.json()["notified"] == 1 and "Chưa khớp sổ" in sender.sent[sent_before].text
    accepted = await api.call("POST", f"/submissions/{submission_id}/accept", t.officer_p)
    assert accepted.json()["status"] == "accepted"
    closed = await api.call("POST", f"/rounds/{round_id}/close", t.officer_p)
    assert closed.json()["status"] == "closed"
    late = await api.call(
        "POST", path, t.leaders["G1"], json={"unit_id": g1, "values": {"tt": 1, "kn": 1, "ntg": 1}}
    )
    assert late.status_code == 409 and late.json()["error"]["code"] == "round_closed"


async def test_rollup_completeness_ranking_exports_and_remind(api: Api) -> None:
    t = api.t
    round_id = await open_round(api)
    for code, values in {"G1": {"tt": 100, "kn": 10, "ntg": 5}, "G3": {"tt": 50, "kn": 5, "ntg": 7}}.items():
        done = await api.call(
            "POST",
            f"/rounds/{round_id}/submissions",
            t.leaders[code],
            json={"unit_id": t.g[code].id, "values": values},
        )
        assert done.status_code == 201
    rollup = await api.call("GET", f"/rounds/{round_id}/rollup", t.officer_p)
    assert rollup.json()["groups"][0]["fields"]["tt"] == {"aggregation": "sum", "value": 150.0, "count": 2}
    assert (await api.call("GET", f"/rounds/{round_id}/rollup", t.officer_d1)).status_code == 403
    mine = await api.call(
        "GET", f"/rounds/{round_id}/rollup", t.officer_d1, params={"unit_id": t.d1.id, "group_by": "block"}
    )
    assert [(g["group"], g["fields"]["tt"]["value"]) for g in mine.json()["groups"]] == [("co_quan", 100.0)]
    comp = (await api.call("GET", f"/rounds/{round_id}/completeness", t.officer_p)).json()
    assert comp["total"] == {
        "expected": 5,
        "submitted": 2,
        "on_time": 2,
        "completeness": 0.4,
        "timeliness": 0.4,
    }
    assert [m["code"] for m in comp["missing"]] == ["G2", "G4", "G5"]
    deadline_year = (utcnow() + timedelta(days=3)).astimezone(api.loa.settings.tz).year
    rank = await api.call("GET", "/ranking", t.officer_p, params={"unit_id": t.p.id, "year": deadline_year})
    assert [r["code"] for r in rank.json()["items"]][:2] == ["G1", "G3"]
    xlsx = await api.call("GET", f"/rounds/{round_id}/export.xlsx", t.officer_p)
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert load_workbook(io.BytesIO(xlsx.content)).sheetnames == ["Tổng hợp", "Chưa nộp"]
    csv = await api.call("GET", f"/rounds/{round_id}/export.csv", t.officer_d1, params={"unit_id": t.d1.id})
    assert csv.status_code == 200 and csv.content.decode("utf-8-sig").count("\n") == 3
    png = await api.call("GET", f"/rounds/{round_id}/chart.png", t.officer_p)
    assert png.content.startswith(b"\x89PNG")
    sender: FakeSender = api.loa.bot  # type: ignore[assignment]
    await drain(api.loa.db, SenderTransport(sender))
    before = len(sender.sent)
    reminded = await api.call("POST", f"/rounds/{round_id}/remind", t.officer_d1, params={"unit_id": t.d1.id})
    assert reminded.json() == {"missing": 1, "sent": 1, "unreachable": 0}
    await drain(api.loa.db, SenderTransport(sender))
    assert len(sender.sent) == before + 1
    assert (await api.call("GET", f"/rounds/{round_id}/export.xlsx", t.leaders["G1"])).status_code == 403
