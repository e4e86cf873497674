"""Issue 11, finding 1 and 2: no officer escalates through a side door. The permission matrix gains a row
for granting, inviting and binding each role; redemption never takes over or reactivates anyone."""

from __future__ import annotations

import pytest
from httpx import AsyncClient
from sqlalchemy import select

from directory.invitations import InvitationError, create_invitation, redeem_invitation
from directory.models import AuditEntry, Invitation, OrgUnit, Person, Role
from storage.db import Database
from tests.factories import scope_of
from tests.security.conftest import World

API = "/api/v1"
# Written out, not derived from the rule under test: officers hand out member and leader only.
OFFICER_MAY = {
    Role.member: True,
    Role.leader: True,
    Role.officer: False,
    Role.approver: False,
    Role.admin: False,
}


def _grant_requests(w: World, role: Role) -> dict[str, tuple[str, dict[str, object]]]:
    unit = w.ids["C1"]
    return {
        "grant a role": (f"{API}/people/{w.ids['member']}/roles", {"unit_id": unit, "role": role.value}),
        "create a person with a role": (
            f"{API}/people",
            {"full_name": "Người mới", "unit_id": unit, "role": role.value},
        ),
        "invite": (f"{API}/invitations", {"unit_id": unit, "role": role.value}),
        "bulk invite": (f"{API}/invitations/bulk", {"unit_id": w.ids["P1"], "role": role.value}),
    }


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("actor", ["officer", "admin"])
async def test_grant_invite_and_bind_matrix(
    client: AsyncClient, world: World, actor: str, role: Role
) -> None:
    allowed = actor == "admin" or OFFICER_MAY[role]
    for what, (url, body) in _grant_requests(world, role).items():
        answer = await client.post(url, json=body, headers=world.headers[actor])
        if allowed:
            assert answer.status_code in (200, 201), (what, answer.text)
        else:
            assert answer.status_code == 403, (what, answer.text)
            assert answer.json()["error"]["code"] == "forbidden"


async def test_bulk_admin_invitations_by_an_officer_are_refused(
    client: AsyncClient, world: World, db: Database
) -> None:
    answer = await client.post(
        f"{API}/invitations/bulk",
        json={"unit_id": world.ids["P1"], "role": "admin"},
        headers=world.headers["officer"],
    )
    assert answer.status_code == 403
    async with db.transaction() as s:
        assert (await s.scalars(select(Invitation))).all() == []


async def test_outside_the_subtree_nothing_is_granted(client: AsyncClient, world: World) -> None:
    for role in (Role.member, Role.leader):
        answer = await client.post(
            f"{API}/invitations",
            json={"unit_id": world.ids["C2"], "role": role.value},
            headers=world.headers["officer"],
        )
        assert answer.status_code == 403


async def test_an_invitation_bound_to_the_root_admin_is_refused(client: AsyncClient, world: World) -> None:
    body = {"unit_id": world.ids["C1"], "role": "member", "person_id": world.ids["admin"]}
    answer = await client.post(f"{API}/invitations", json=body, headers=world.headers["officer"])
    assert answer.status_code == 403


async def test_binding_a_person_who_also_holds_a_higher_role_is_refused(
    client: AsyncClient, world: World, db: Database
) -> None:
    """The admin also holds a member role inside P1: the officer still cannot bind, rename or lock them."""
    admin_headers = world.headers["admin"]
    answer = await client.post(
        f"{API}/people/{world.ids['admin']}/roles", json={"unit_id": world.ids["C1"], "role": "member"},
        headers=admin_headers,
    )  # fmt: skip
    assert answer.status_code == 201
    officer = world.headers["officer"]
    body = {"unit_id": world.ids["C1"], "role": "member", "person_id": world.ids["admin"]}
    assert (await client.post(f"{API}/invitations", json=body, headers=officer)).status_code == 403
    patch = await client.patch(
        f"{API}/people/{world.ids['admin']}", json={"is_active": False}, headers=officer
    )
    assert patch.status_code == 403
    async with db.transaction() as s:
        admin = await s.get(Person, world.ids["admin"])
        assert admin is not None and admin.is_active


async def test_an_invitation_bound_to_a_person_in_scope_is_allowed(client: AsyncClient, world: World) -> None:
    body = {"unit_id": world.ids["C1"], "role": "leader", "person_id": world.ids["leader"]}
    answer = await client.post(f"{API}/invitations", json=body, headers=world.headers["officer"])
    assert answer.status_code == 201, answer.text
    assert answer.json()["person_id"] == world.ids["leader"]


async def test_an_invitation_for_a_deactivated_person_is_refused(client: AsyncClient, world: World) -> None:
    officer = world.headers["officer"]
    patch = await client.patch(
        f"{API}/people/{world.ids['member']}", json={"is_active": False}, headers=officer
    )
    assert patch.status_code == 200
    body = {"unit_id": world.ids["C1"], "role": "member", "person_id": world.ids["member"]}
    answer = await client.post(f"{API}/invitations", json=body, headers=officer)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "person_inactive"


async def test_redeeming_never_reactivates_and_the_redeemer_is_the_actor(world: World, db: Database) -> None:
    async with db.transaction() as s:
        admin_scope = await scope_of(s, await s.get(Person, world.ids["admin"]))  # type: ignore[arg-type]
        unit = await s.get(OrgUnit, world.ids["C1"])
        assert unit is not None
        open_link = await create_invitation(s, scope=admin_scope, unit=unit, role=Role.member, max_uses=5)
        bound = await create_invitation(
            s, scope=admin_scope, unit=unit, role=Role.member, person_id=world.ids["member"]
        )
    first = await _redeem(db, open_link.token, telegram_user_id=7001)
    async with db.transaction() as s:
        entry = await s.scalar(select(AuditEntry).where(AuditEntry.action == "invitation.redeem"))
        assert entry is not None and entry.actor == "telegram:7001"
        person = await s.get(Person, first)
        assert person is not None
        person.is_active = False  # an officer locked this account
        (await s.get(Person, world.ids["member"])).is_active = False  # type: ignore[union-attr]
    with pytest.raises(InvitationError) as again:
        await _redeem(db, open_link.token, telegram_user_id=7001)
    assert again.value.code == "person_inactive"
    with pytest.raises(InvitationError) as locked:
        await _redeem(db, bound.token, telegram_user_id=7002)
    assert locked.value.code == "person_inactive"
    async with db.transaction() as s:
        assert not (await s.get(Person, first)).is_active  # type: ignore[union-attr]
        assert not (await s.get(Person, world.ids["member"])).is_active  # type: ignore[union-attr]


async def test_redeeming_never_takes_over_another_chat_identity(world: World, db: Database) -> None:
    async with db.transaction() as s:
        admin_scope = await scope_of(s, await s.get(Person, world.ids["admin"]))  # type: ignore[arg-type]
        unit = await s.get(OrgUnit, world.ids["C1"])
        assert unit is not None
        bound = await create_invitation(
            s, scope=admin_scope, unit=unit, role=Role.leader, person_id=world.ids["leader"]
        )
        (await s.get(Person, world.ids["leader"])).telegram_user_id = 8001  # type: ignore[union-attr]
    with pytest.raises(InvitationError) as taken:
        await _redeem(db, bound.token, telegram_user_id=8002)
    assert taken.value.code == "other_person"


async def _redeem(db: Database, token: str, *, telegram_user_id: int) -> int:
    async with db.transaction() as s:
        done = await redeem_invitation(
            s, token=token, telegram_user_id=telegram_user_id, full_name="Người lạ", username=None,
            chat_id=telegram_user_id,
        )  # fmt: skip
        return done.person.id
