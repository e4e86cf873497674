"""Deep-link invitations: `https://t.me/<bot>?start=<token>` binds a person to a unit and role.

The token is 192 random bits, URL-safe base64 (32 characters of [A-Za-z0-9_-], inside Telegram's
64-character /start payload rule). Only its SHA-256 is stored, so a leaked database cannot be
turned into working links.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from directory import audit, grants
from directory.access import Scope
from directory.chats import register_private_chat
from directory.errors import DirectoryError
from directory.models import (
    Department,
    Invitation,
    InvitationUse,
    OrgUnit,
    Person,
    Role,
    RoleAssignment,
    UnitKind,
)
from directory.tree import in_subtrees, under
from storage.base import utcnow

TOKEN_BYTES = 24
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
DEFAULT_TTL = timedelta(days=30)


class InvitationError(DirectoryError):
    """An invitation cannot be created or used; `message` is the Vietnamese answer (HTTP 400 in the API)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)


@dataclass(frozen=True)
class NewInvitation:
    invitation: Invitation
    unit: OrgUnit
    token: str  # shown once, never stored


@dataclass(frozen=True)
class Redemption:
    person: Person
    unit: OrgUnit
    role: Role
    new_person: bool
    already_used: bool  # the same person opened the same link again: nothing changed


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username.lstrip('@')}?start={token}"


def _check_role(role: Role, department: str | None) -> None:
    if department is not None:
        if role is not Role.officer:
            raise InvitationError("bad_department", "Chỉ cán bộ công đoàn mới có ban chuyên môn.")
        Department(department)


async def create_invitation(
    session: AsyncSession,
    *,
    scope: Scope,
    unit: OrgUnit,
    role: Role,
    department: str | None = None,
    person_id: int | None = None,
    max_uses: int = 1,
    ttl: timedelta = DEFAULT_TTL,
) -> NewInvitation:
    scope.require(Role.officer, unit.path)
    grants.require_grant(scope, role=role, unit=unit)
    _check_role(role, department)
    if max_uses < 1:
        raise InvitationError("bad_max_uses", "Số lần dùng phải từ 1 trở lên.")
    if person_id is not None:
        await _require_bindable(session, scope=scope, person_id=person_id)
    token = new_token()
    invitation = Invitation(
        token_hash=hash_token(token),
        unit_id=unit.id,
        role=role.value,
        department=department,
        person_id=person_id,
        max_uses=max_uses,
        use_count=0,
        expires_at=utcnow() + ttl,
        created_by_id=scope.person_id,
    )
    session.add(invitation)
    await session.flush()
    await audit.record(
        session,
        scope.actor,
        "invitation.create",
        "invitation",
        invitation.id,
        None,
        {"unit": unit.code, "role": role.value, "department": department, "max_uses": max_uses},
        unit_path=unit.path,
    )
    return NewInvitation(invitation, unit, token)


async def create_bulk_invitations(
    session: AsyncSession,
    *,
    scope: Scope,
    root: OrgUnit,
    role: Role = Role.leader,
    kind: str | None = UnitKind.grassroots_union.value,
    ttl: timedelta = DEFAULT_TTL,
) -> list[NewInvitation]:
    """One single-use invitation per active unit of `kind` under `root` (e.g. a leader per CĐCS)."""
    scope.require(Role.officer, root.path)
    grants.require_grant(scope, role=role, unit=root)
    _check_role(role, None)
    stmt = select(OrgUnit).where(under(session, root.path), OrgUnit.is_active.is_(True))
    if kind is not None:
        stmt = stmt.where(OrgUnit.kind == kind)
    units = list(await session.scalars(stmt.order_by(OrgUnit.path)))
    holders = await _sole_unregistered_holders(session, unit_ids=[u.id for u in units], role=role)
    bindable = await grants.controllable(session, scope=scope, person_ids=sorted(set(holders.values())))
    holders = {unit_id: pid for unit_id, pid in holders.items() if pid in bindable}
    expires = utcnow() + ttl
    made: list[NewInvitation] = []
    for unit in units:
        token = new_token()
        inv = Invitation(
            token_hash=hash_token(token),
            unit_id=unit.id,
            role=role.value,
            person_id=holders.get(unit.id),
            max_uses=1,
            use_count=0,
            expires_at=expires,
            created_by_id=scope.person_id,
        )
        session.add(inv)
        made.append(NewInvitation(inv, unit, token))
    await session.flush()
    await audit.record(
        session,
        scope.actor,
        "invitation.bulk_create",
        "org_unit",
        root.id,
        None,
        {"role": role.value, "kind": kind, "count": len(made)},
        unit_path=root.path,
    )
    return made


async def _require_bindable(session: AsyncSession, *, scope: Scope, person_id: int) -> None:
    """An invitation for a named person attaches a Telegram account to that person: only for an active
    person the caller fully controls (directory/grants.py), never for someone above or outside."""
    person = await session.get(Person, person_id)
    if person is None:
        raise InvitationError("person_not_found", "Không tìm thấy người dùng.")
    await grants.require_control(session, scope=scope, person=person)
    if not person.is_active:
        raise InvitationError("person_inactive", "Người dùng này đã bị khoá, không thể gửi lời mời.")


async def _sole_unregistered_holders(
    session: AsyncSession, *, unit_ids: list[int], role: Role
) -> dict[int, int]:
    """unit id → the one person already recorded with `role` there (e.g. the chair from an import)
    and not yet on Telegram: the unit's link then attaches the Telegram account to that record."""
    found: dict[int, list[int]] = {}
    for start in range(0, len(unit_ids), 500):
        rows = await session.execute(
            select(RoleAssignment.unit_id, RoleAssignment.person_id)
            .join(Person, Person.id == RoleAssignment.person_id)
            .where(
                RoleAssignment.unit_id.in_(unit_ids[start : start + 500]),
                RoleAssignment.role == role.value,
                Person.telegram_user_id.is_(None),
            )
        )
        for unit_id, person_id in rows.tuples():
            found.setdefault(unit_id, []).append(person_id)
    return {unit_id: ids[0] for unit_id, ids in found.items() if len(ids) == 1}


async def revoke_invitation(session: AsyncSession, *, scope: Scope, invitation: Invitation) -> Invitation:
    unit = await session.get(OrgUnit, invitation.unit_id)
    assert unit is not None
    scope.require(Role.officer, unit.path)
    if invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        await session.flush()
        await audit.record(
            session,
            scope.actor,
            "invitation.revoke",
            "invitation",
            invitation.id,
            {"revoked": False},
            {"revoked": True},
            unit_path=unit.path,
        )
    return invitation


async def list_invitations(
    session: AsyncSession,
    *,
    roots: list[str],
    unit_path: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[tuple[Invitation, OrgUnit]]:
    if not roots:
        return []
    stmt = (
        select(Invitation, OrgUnit)
        .join(OrgUnit, OrgUnit.id == Invitation.unit_id)
        .where(in_subtrees(OrgUnit.path, roots, dialect=session))
        .order_by(Invitation.id.desc())
        .limit(limit)
        .offset(offset)
    )
    if unit_path is not None:
        stmt = stmt.where(under(session, unit_path))
    return [(i, u) for i, u in (await session.execute(stmt)).tuples()]


def invitation_state(invitation: Invitation, now: datetime | None = None) -> str:
    now = now or utcnow()
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.expires_at <= now:
        return "expired"
    if invitation.use_count >= invitation.max_uses:
        return "used_up"
    return "active"


_ASK_AGAIN = "Xin liên hệ cán bộ công đoàn cấp trên để nhận đường dẫn mới."
_STATE_ERRORS = {
    "revoked": "Đường dẫn mời này đã bị thu hồi. " + _ASK_AGAIN,
    "expired": "Đường dẫn mời này đã hết hạn. " + _ASK_AGAIN,
    "used_up": "Đường dẫn mời này đã được sử dụng hết số lần cho phép. " + _ASK_AGAIN,
}
_INACTIVE_TEXT = "Tài khoản của bạn đang bị khoá. " + _ASK_AGAIN
INVALID_LINK_TEXT = "Đường dẫn mời không đúng hoặc không còn hiệu lực. Xin kiểm tra lại đường dẫn."


async def _earlier_use(session: AsyncSession, *, invitation_id: int, telegram_user_id: int) -> Person | None:
    return await session.scalar(
        select(Person)
        .join(InvitationUse, InvitationUse.person_id == Person.id)
        .where(InvitationUse.invitation_id == invitation_id, Person.telegram_user_id == telegram_user_id)
    )


async def redeem_invitation(
    session: AsyncSession,
    *,
    token: str,
    telegram_user_id: int,
    full_name: str,
    username: str | None,
    chat_id: int,
) -> Redemption:
    """Use an invitation from Telegram. Raises before writing anything when the link is not usable."""
    if not TOKEN_RE.match(token):
        raise InvitationError("bad_token", INVALID_LINK_TEXT)
    inv = await session.scalar(select(Invitation).where(Invitation.token_hash == hash_token(token)))
    if inv is None:
        raise InvitationError("bad_token", INVALID_LINK_TEXT)
    unit = await session.get(OrgUnit, inv.unit_id)
    if unit is None or not unit.is_active:
        raise InvitationError("inactive_unit", "Đơn vị của đường dẫn mời này không còn hoạt động.")
    person = await session.scalar(select(Person).where(Person.telegram_user_id == telegram_user_id))
    if person is not None and inv.person_id not in (None, person.id):
        raise InvitationError("other_person", "Đường dẫn mời này dành cho người khác.")
    if person is not None and not person.is_active:
        raise InvitationError("person_inactive", _INACTIVE_TEXT)
    if person is not None:
        used = await session.scalar(
            select(InvitationUse.id).where(
                InvitationUse.invitation_id == inv.id, InvitationUse.person_id == person.id
            )
        )
        if used is not None:
            return Redemption(person, unit, Role(inv.role), new_person=False, already_used=True)
    state = invitation_state(inv)
    if state != "active":
        raise InvitationError(state, _STATE_ERRORS[state])
    if person is None and inv.person_id is not None:
        person = await session.get(Person, inv.person_id)
        if person is None or person.telegram_user_id not in (None, telegram_user_id):
            raise InvitationError("other_person", "Đường dẫn mời này dành cho người khác.")
        if not person.is_active:
            raise InvitationError("person_inactive", _INACTIVE_TEXT)
    # Claim one use atomically: two people racing for the last use cannot both get it.
    claimed = await session.execute(
        update(Invitation)
        .where(Invitation.id == inv.id, Invitation.use_count < Invitation.max_uses)
        .values(use_count=Invitation.use_count + 1)
        .execution_options(synchronize_session=False)
    )
    if not getattr(claimed, "rowcount", 0):
        # A double tap: the first /start of this same person took the last use while we waited.
        again = await _earlier_use(session, invitation_id=inv.id, telegram_user_id=telegram_user_id)
        if again is not None:
            return Redemption(again, unit, Role(inv.role), new_person=False, already_used=True)
        raise InvitationError("used_up", _STATE_ERRORS["used_up"])
    await session.refresh(inv, ["use_count"])
    new_person = person is None
    if person is None:
        person = Person(full_name=full_name or "Đoàn viên", telegram_user_id=telegram_user_id)
        session.add(person)
    person.telegram_user_id = telegram_user_id
    person.telegram_username = username
    await session.flush()
    role = Role(inv.role)
    assignment = await session.scalar(
        select(RoleAssignment).where(
            RoleAssignment.person_id == person.id,
            RoleAssignment.unit_id == unit.id,
            RoleAssignment.role == role.value,
        )
    )
    if assignment is None:
        session.add(
            RoleAssignment(person_id=person.id, unit_id=unit.id, role=role.value, department=inv.department)
        )
    elif inv.department:
        assignment.department = inv.department
    session.add(InvitationUse(invitation_id=inv.id, person_id=person.id))
    await register_private_chat(session, person=person, telegram_chat_id=chat_id, title=full_name)
    await audit.record(
        session,
        f"telegram:{telegram_user_id}",  # the redeemer, never the person the link was made for
        "invitation.redeem",
        "invitation",
        inv.id,
        None,
        {"person_id": person.id, "unit": unit.code, "role": role.value},
        unit_path=unit.path,
    )
    return Redemption(person, unit, role, new_person=new_person, already_used=False)
