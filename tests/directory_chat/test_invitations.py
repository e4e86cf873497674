from __future__ import annotations

import asyncio
import io
import re
import zipfile
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import func, select

from directory.access import AccessDenied
from directory.invitation_export import (
    InvitationRow,
    invitations_qr_zip,
    invitations_xlsx,
    safe_cell,
)
from directory.invitations import (
    InvitationError,
    create_bulk_invitations,
    create_invitation,
    hash_token,
    invite_link,
    new_token,
    redeem_invitation,
    revoke_invitation,
)
from directory.models import Chat, Invitation, InvitationUse, Person, Role, RoleAssignment
from storage.base import utcnow
from storage.db import Database
from tests.directory_chat.factories import make_person, make_tree, scope_of


def test_tokens_are_long_random_and_fit_telegram_payload_rule() -> None:
    tokens = {new_token() for _ in range(500)}
    assert len(tokens) == 500
    for token in tokens:
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", token)
        assert len(token) * 6 >= 128  # base64 characters carry 6 bits each
    assert hash_token("abc") != "abc" and len(hash_token("abc")) == 64


async def _counts(session) -> tuple[int, int, int, int]:  # type: ignore[no-untyped-def]
    return (
        await session.scalar(select(func.count()).select_from(Person)),
        await session.scalar(select(func.count()).select_from(RoleAssignment)),
        await session.scalar(select(func.count()).select_from(Chat)),
        await session.scalar(select(func.count()).select_from(InvitationUse)),
    )


async def test_redeem_creates_person_role_chat_and_use(db: Database) -> None:
    async with db.transaction() as s:
        t = await make_tree(s)
        made = await create_invitation(
            s, scope=await scope_of(s, t.officer_a), unit=t.school_a, role=Role.leader
        )
        stored = await s.get(Invitation, made.invitation.id)
        assert stored is not None and stored.token_hash == hash_token(made.token)
        assert made.token not in stored.token_hash
    async with db.transaction() as s:
        r = await redeem_invitation(
            s, token=made.token, telegram_user_id=777, full_name="Lê Thị Hoa", username="hoa", chat_id=777
        )
        assert r.new_person and not r.already_used and r.unit.code == "DN-HV-01" and r.role is Role.leader
    async with db.transaction() as s:
        person = await s.scalar(select(Person).where(Person.telegram_user_id == 777))
        assert person is not None and person.full_name == "Lê Thị Hoa"
        roles = list(await s.scalars(select(RoleAssignment).where(RoleAssignment.person_id == person.id)))
        assert [(a.unit_id, a.role) for a in roles] == [(t.school_a.id, "leader")]
        chat = await s.scalar(select(Chat).where(Chat.telegram_chat_id == 777))
        assert chat is not None and chat.person_id == person.id and chat.kind == "private" and chat.is_active
        inv = await s.get(Invitation, made.invitation.id)
        assert inv is not None and inv.use_count == 1


async def test_reuse_beyond_max_uses_is_refused_and_writes_nothing(db: Database) -> None:
    async with db.transaction() as s:
        t = await make_tree(s)
        made = await create_invitation(
            s, scope=await scope_of(s, t.officer_a), unit=t.district_a, role=Role.member, max_uses=2
        )
    for uid in (801, 802):
        async with db.transaction() as s:
            await redeem_invitation(
                s, token=made.token, telegram_user_id=uid, full_name="A", username=None, chat_id=uid
            )
    async with db.transaction() as s:
        before = await _counts(s)
        with pytest.raises(InvitationError) as err:
            await redeem_invitation(
                s, token=made.token, telegram_user_id=803, full_name="B", username=None, chat_id=803
            )
        assert err.value.code == "used_up" and "hết số lần" in err.value.message
        assert await _counts(s) == before
    # the same person opening the link again is not a new use and not an error
    async with db.transaction() as s:
        r = await redeem_invitation(
            s, token=made.token, telegram_user_id=801, full_name="A", username=None, chat_id=801
        )
        assert r.already_used
        inv = await s.get(Invitation, made.invitation.id)
        assert inv is not None and inv.use_count == 2


async def test_expired_and_revoked_invitations_are_refused(db: Database) -> None:
    async with db.transaction() as s:
        t = await make_tree(s)
        scope = await scope_of(s, t.officer_a)
        expired = await create_invitation(
            s, scope=scope, unit=t.school_a, role=Role.leader, ttl=timedelta(seconds=-1)
        )
        revoked = await create_invitation(s, scope=scope, unit=t.school_a, role=Role.leader)
        await revoke_invitation(s, scope=scope, invitation=revoked.invitation)
    for made, code, word in ((expired, "expired", "hết hạn"), (revoked, "revoked", "thu hồi")):
        async with db.transaction() as s:
            before = await _counts(s)
            with pytest.raises(InvitationError) as err:
                await redeem_invitation(
                    s, token=made.token, telegram_user_id=9, full_name="X", username=None, chat_id=9
                )
            assert err.value.code == code and word in err.value.message
            assert await _counts(s) == before
    async with db.transaction() as s:
        with pytest.raises(InvitationError) as err:
            await redeem_invitation(
                s, token="not-a-real-token", telegram_user_id=9, full_name="X", username=None, chat_id=9
            )
        assert err.value.code == "bad_token"


async def test_existing_person_gets_a_second_role(db: Database) -> None:
    async with db.transaction() as s:
        t = await make_tree(s)
        made = await create_invitation(
            s, scope=await scope_of(s, t.officer_a), unit=t.school_a, role=Role.leader
        )
    async with db.transaction() as s:
        r = await redeem_invitation(
            s, token=made.token, telegram_user_id=5001, full_name="?", username=None, chat_id=5001
        )
        assert not r.new_person and r.person.id == t.officer_a.id and r.person.full_name == "Nguyễn Văn An"
        roles = set(
            await s.scalars(select(RoleAssignment.role).where(RoleAssignment.person_id == t.officer_a.id))
        )
        assert roles == {"officer", "leader"}


async def test_officers_invite_only_inside_their_subtree_and_not_above_their_role(db: Database) -> None:
    async with db.transaction() as s:
        t = await make_tree(s)
        scope = await scope_of(s, t.officer_a)
        with pytest.raises(AccessDenied):
            await create_invitation(s, scope=scope, unit=t.school_b, role=Role.leader)
        with pytest.raises(AccessDenied):
            await create_invitation(s, scope=scope, unit=t.school_a, role=Role.admin)
        other = await create_invitation(
            s, scope=await scope_of(s, t.officer_b), unit=t.school_b, role=Role.leader
        )
        with pytest.raises(AccessDenied):
            await revoke_invitation(s, scope=scope, invitation=other.invitation)


async def test_bulk_invitations_one_per_grassroots_unit_and_exports(db: Database) -> None:
    async with db.transaction() as s:
        t = await make_tree(s)
        made = await create_bulk_invitations(s, scope=await scope_of(s, t.officer_a), root=t.district_a)
        assert sorted(m.unit.code for m in made) == ["DN-HV-01", "DN-HV-02"]
        assert len({m.token for m in made}) == 2
    rows = [
        InvitationRow(m.unit.code, m.unit.name, Role.leader, invite_link("loa_bot", m.token), utcnow())
        for m in made
    ] + [InvitationRow("=HYPERLINK(1)", "+evil", Role.leader, "https://t.me/loa_bot?start=x", utcnow())]
    wb = load_workbook(io.BytesIO(invitations_xlsx(rows)))
    values = [[c.value for c in r] for r in wb.active.iter_rows(min_row=2)]
    assert values[0][3] == f"https://t.me/loa_bot?start={made[0].token}"
    assert values[2][0] == "'=HYPERLINK(1)" and values[2][1] == "'+evil"
    with zipfile.ZipFile(io.BytesIO(invitations_qr_zip(rows))) as zf:
        names = zf.namelist()
        assert len(names) == 3 and all(n.endswith(".png") for n in names)
        image = Image.open(io.BytesIO(zf.read(names[0])))
        assert image.format == "PNG" and image.width >= 300
    assert safe_cell("Trường") == "Trường"


async def test_bulk_link_attaches_telegram_to_the_imported_leader(db: Database) -> None:
    async with db.transaction() as s:
        t = await make_tree(s)
        chair = await make_person(s, "Võ Thị Thu", roles=((Role.leader, t.school_a),))
        made = await create_bulk_invitations(s, scope=await scope_of(s, t.officer_a), root=t.district_a)
        by_unit = {m.unit.id: m for m in made}
        assert by_unit[t.school_a.id].invitation.person_id == chair.id
        assert by_unit[t.commune_a.id].invitation.person_id is None
    async with db.transaction() as s:
        r = await redeem_invitation(
            s,
            token=by_unit[t.school_a.id].token,
            telegram_user_id=4242,
            full_name="Thu Võ",
            username=None,
            chat_id=4242,
        )
        assert r.person.id == chair.id and r.person.full_name == "Võ Thị Thu" and not r.new_person
        assert (
            await s.scalar(
                select(func.count()).select_from(RoleAssignment).where(RoleAssignment.person_id == chair.id)
            )
            == 1
        )
    # once the chair is on Telegram, new links for the unit are open ones
    async with db.transaction() as s:
        other = await create_bulk_invitations(s, scope=await scope_of(s, t.officer_a), root=t.district_a)
        assert all(o.invitation.person_id is None for o in other)  # the chair is on Telegram now


async def test_a_double_tap_on_a_single_use_link_is_not_an_error(db: Database) -> None:
    async with db.transaction() as s:
        t = await make_tree(s)
        made = await create_invitation(
            s, scope=await scope_of(s, t.officer_a), unit=t.school_a, role=Role.leader
        )

    async def tap() -> bool:
        async with db.transaction() as s:
            r = await redeem_invitation(
                s, token=made.token, telegram_user_id=999, full_name="Hoa", username=None, chat_id=999
            )
            return r.already_used

    assert sorted(await asyncio.gather(tap(), tap())) == [False, True]
    async with db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(InvitationUse)) == 1
