"""The full permission matrix: every directory route × every role × inside or outside the subtree.

Every actor holds its role in province P1. "Inside" targets lie under P1, "outside" ones under P2:
outside is always 403 `forbidden`; inside is allowed exactly when the actor's role implies the one
the route needs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from httpx import AsyncClient

from bot.app import Loa
from directory import auth
from directory.access import IMPLIED
from directory.models import Role
from storage.db import Database
from tests.directory.conftest import make_person, make_unit

ACTORS = ["member", "leader", "officer", "approver", "admin", "api_key"]
ACTOR_ROLE = {"api_key": Role.officer} | {r.value: r for r in Role}


@dataclass
class World:
    ids: dict[str, int]
    headers: dict[str, dict[str, str]]

    def side(self, inside: bool) -> Callable[[str], int]:
        suffix = "1" if inside else "2"
        return lambda name: self.ids[name + suffix]


async def build_world(db: Database, loa: Loa) -> World:
    ids: dict[str, int] = {}
    headers: dict[str, dict[str, str]] = {}
    secret = loa.settings.jwt_secret.get_secret_value()
    async with db.transaction() as s:
        root = await make_unit(s, "R", kind="confederation")
        ids["R"] = root.id
        for n in ("1", "2"):
            p = await make_unit(s, f"P{n}", root, kind="province_federation")
            d = await make_unit(s, f"D{n}", p, kind="district_federation")
            x = await make_unit(s, f"X{n}", p, kind="district_federation")
            c = await make_unit(s, f"C{n}", d)
            cb = await make_unit(s, f"CB{n}", d)
            target = await make_person(s, f"Đoàn viên {n}", unit=c, role=Role.member)
            key = await auth.create_api_key(
                s, actor="t", name=f"k{n}", unit=d, role=Role.officer, created_by_id=None
            )
            ids.update({f"P{n}": p.id, f"D{n}": d.id, f"X{n}": x.id, f"C{n}": c.id, f"CB{n}": cb.id})
            ids.update({f"T{n}": target.id, f"K{n}": key.key.id})
        from directory import people

        for n in ("1", "2"):
            (assignment, _), *_ = await people.roles_of(s, person_id=ids[f"T{n}"])
            ids[f"RA{n}"] = assignment.id
        p1 = await s.get(type(root), ids["P1"])
        assert p1 is not None
        for role in Role:
            actor = await make_person(s, f"Người {role.value}", unit=p1, role=role)
            token = auth.issue_access_token(person_id=actor.id, secret=secret, minutes=5)
            headers[role.value] = {"Authorization": f"Bearer {token}"}
        key = await auth.create_api_key(
            s, actor="t", name="tích hợp", unit=p1, role=Role.officer, created_by_id=None
        )
        headers["api_key"] = {"X-API-Key": key.raw}
    return World(ids, headers)


Request = tuple[str, str, dict[str, Any]]
CODE = {True: "1", False: "2"}


def import_file(inside: bool) -> dict[str, Any]:
    n = CODE[inside]
    body = f"Mã đơn vị,Tên đơn vị,Mã đơn vị cấp trên,Loại\nNEW{n},CĐCS mới,D{n},CĐCS\n"
    return {"files": {"file": ("don-vi.csv", body.encode(), "text/csv")}}


ROUTES: dict[str, tuple[Role, Callable[[Callable[[str], int], bool], Request]]] = {
    "units.tree": (Role.officer, lambda u, i: ("GET", f"/api/v1/units/tree?unit_id={u('D')}", {})),
    "units.get": (Role.officer, lambda u, i: ("GET", f"/api/v1/units/{u('D')}", {})),
    "units.children": (Role.officer, lambda u, i: ("GET", f"/api/v1/units/{u('D')}/children", {})),
    "units.subtree": (Role.officer, lambda u, i: ("GET", f"/api/v1/units/{u('D')}/subtree", {})),
    "units.by_code": (Role.officer, lambda u, i: ("GET", f"/api/v1/units/by-code/D{CODE[i]}", {})),
    "units.create": (
        Role.officer,
        lambda u, i: (
            "POST",
            "/api/v1/units",
            {"json": {"code": "N", "name": "CĐCS mới", "kind": "grassroots_union", "parent_id": u("D")}},
        ),
    ),
    "units.update": (
        Role.officer,
        lambda u, i: ("PATCH", f"/api/v1/units/{u('C')}", {"json": {"member_count": 7}}),
    ),
    "units.move": (
        Role.admin,
        lambda u, i: ("POST", f"/api/v1/units/{u('C')}/move", {"json": {"parent_id": u("X")}}),
    ),
    "units.merge": (
        Role.admin,
        lambda u, i: ("POST", f"/api/v1/units/{u('C')}/merge", {"json": {"into_id": u("CB")}}),
    ),
    "units.deactivate": (Role.admin, lambda u, i: ("POST", f"/api/v1/units/{u('CB')}/deactivate", {})),
    "units.import": (Role.admin, lambda u, i: ("POST", "/api/v1/units/import", import_file(i))),
    "units.export": (Role.officer, lambda u, i: ("GET", f"/api/v1/units/{u('D')}/export?format=csv", {})),
    "people.list": (Role.officer, lambda u, i: ("GET", f"/api/v1/people?unit_id={u('D')}", {})),
    "people.create": (
        Role.officer,
        lambda u, i: (
            "POST",
            "/api/v1/people",
            {"json": {"full_name": "Mới", "unit_id": u("C"), "role": "member"}},
        ),
    ),
    "people.get": (Role.officer, lambda u, i: ("GET", f"/api/v1/people/{u('T')}", {})),
    "people.update": (
        Role.officer,
        lambda u, i: ("PATCH", f"/api/v1/people/{u('T')}", {"json": {"phone": "0905111222"}}),
    ),
    "people.assign_role": (
        Role.officer,
        lambda u, i: (
            "POST",
            f"/api/v1/people/{u('T')}/roles",
            {"json": {"unit_id": u("C"), "role": "leader"}},
        ),
    ),
    "people.assign_officer": (
        Role.admin,
        lambda u, i: (
            "POST",
            f"/api/v1/people/{u('T')}/roles",
            {"json": {"unit_id": u("D"), "role": "officer"}},
        ),
    ),
    "roles.revoke": (Role.officer, lambda u, i: ("DELETE", f"/api/v1/roles/{u('RA')}", {})),
    "api_keys.create": (
        Role.admin,
        lambda u, i: ("POST", "/api/v1/api-keys", {"json": {"name": "k", "unit_id": u("D")}}),
    ),
    "api_keys.list": (Role.admin, lambda u, i: ("GET", f"/api/v1/api-keys?unit_id={u('D')}", {})),
    "api_keys.revoke": (Role.admin, lambda u, i: ("DELETE", f"/api/v1/api-keys/{u('K')}", {})),
    "audit.read": (Role.admin, lambda u, i: ("GET", f"/api/v1/audit?unit_id={u('D')}", {})),
}


async def check(client: AsyncClient, world: World, route: str, actor: str) -> None:
    needed, make = ROUTES[route]
    method, url, kwargs = make(world.side(False), False)
    outside = await client.request(method, url, headers=world.headers[actor], **kwargs)
    assert outside.status_code == 403, (route, actor, outside.text)
    assert outside.json()["error"]["code"] == "forbidden"

    method, url, kwargs = make(world.side(True), True)
    inside = await client.request(method, url, headers=world.headers[actor], **kwargs)
    if needed in IMPLIED[ACTOR_ROLE[actor]]:
        assert inside.status_code in (200, 201), (route, actor, inside.text)
    else:
        assert inside.status_code == 403, (route, actor, inside.text)
        assert inside.json()["error"]["code"] == "forbidden"


READS = sorted(r for r in ROUTES if ROUTES[r][1](lambda _: 1, True)[0] == "GET")
WRITES = sorted(set(ROUTES) - set(READS))


@pytest.mark.parametrize("route", READS)
async def test_permission_matrix_reads(route: str, db: Database, loa: Loa, client: AsyncClient) -> None:
    """Reads change nothing, so every actor is checked against the same world."""
    world = await build_world(db, loa)
    for actor in ACTORS:
        await check(client, world, route, actor)


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("route", WRITES)
async def test_permission_matrix_writes(
    route: str, actor: str, db: Database, loa: Loa, client: AsyncClient
) -> None:
    await check(client, await build_world(db, loa), route, actor)


def test_matrix_covers_every_directory_route(loa: Loa) -> None:
    from api.app import create_app

    app = create_app(loa, webhook=False)
    ours = ("/api/v1/units", "/api/v1/people", "/api/v1/roles", "/api/v1/api-keys", "/api/v1/audit")
    paths = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
        if path.startswith(ours)
    }
    assert len(paths) == len(ROUTES) - 1  # two cases share POST /people/{id}/roles
    covered = {
        (m, "/api/v1" + u.split("/api/v1", 1)[1].split("?")[0])
        for m, u, _ in (make(lambda _: 0, True) for _, make in ROUTES.values())
    }
    normalised = {(m, _template(p)) for m, p in covered}
    assert {(m, _template(p)) for m, p in paths} <= normalised


def _template(path: str) -> str:
    parts = [
        "{}" if part.isdigit() or part.startswith("{") or part in ("D1", "D2") else part
        for part in path.split("/")
    ]
    return "/".join(parts)


@pytest.mark.parametrize(
    "make",
    [
        lambda w: ("POST", f"/api/v1/units/{w.ids['C1']}/move", {"json": {"parent_id": w.ids["X2"]}}),
        lambda w: ("POST", f"/api/v1/units/{w.ids['C2']}/move", {"json": {"parent_id": w.ids["X1"]}}),
        lambda w: ("POST", f"/api/v1/units/{w.ids['C1']}/merge", {"json": {"into_id": w.ids["C2"]}}),
        lambda w: ("POST", f"/api/v1/units/{w.ids['C2']}/merge", {"json": {"into_id": w.ids["C1"]}}),
        lambda w: (
            "POST",
            f"/api/v1/people/{w.ids['T2']}/roles",
            {"json": {"unit_id": w.ids["C1"], "role": "member"}},
        ),
        lambda w: (
            "POST",
            f"/api/v1/people/{w.ids['T1']}/roles",
            {"json": {"unit_id": w.ids["C2"], "role": "member"}},
        ),
    ],
    ids=["move-out", "move-in", "merge-out", "merge-in", "role-foreign-person", "role-foreign-unit"],
)
async def test_half_outside_is_denied(
    make: Callable[[World], Request], db: Database, loa: Loa, client: AsyncClient
) -> None:
    world = await build_world(db, loa)
    method, url, kwargs = make(world)
    response = await client.request(method, url, headers=world.headers["admin"], **kwargs)
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"


async def test_listings_without_unit_only_show_own_subtree(
    db: Database, loa: Loa, client: AsyncClient
) -> None:
    world = await build_world(db, loa)
    admin = world.headers["admin"]
    tree = (await client.get("/api/v1/units/tree?depth=10", headers=admin)).json()["items"]
    assert [t["code"] for t in tree] == ["P1"]
    codes = {c["code"] for c in tree[0]["children"]}
    assert codes == {"D1", "X1"}
    listed = (await client.get("/api/v1/people", headers=admin)).json()["items"]
    assert "Đoàn viên 2" not in {p["full_name"] for p in listed} and "Đoàn viên 1" in {
        p["full_name"] for p in listed
    }
    keys = (await client.get("/api/v1/api-keys", headers=admin)).json()["items"]
    assert {k["unit_code"] for k in keys} == {"D1", "P1"}
    audit = (await client.get("/api/v1/audit?limit=1000", headers=admin)).json()["items"]
    p1_path = f"/{world.ids['R']}/{world.ids['P1']}/"
    assert audit and all(e["unit_path"].startswith(p1_path) for e in audit)
    for url in ("/api/v1/units/tree", "/api/v1/people", "/api/v1/api-keys", "/api/v1/audit"):
        denied = await client.get(url, headers=world.headers["member"])
        assert denied.status_code == 403, url
    assert (await client.get("/api/v1/units/tree")).status_code == 401
