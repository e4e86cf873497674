"""The one rule for handing out power: which roles a caller may grant, invite or bind, and to whom.

Every path that gives someone a role — a role grant, a person created with a role, an invitation (one or
bulk), an API key, a person bound to an invitation or to an imported chair — asks this module, so an
officer cannot escalate through a side door. The rule:

* a role is granted inside the caller's subtree only, and never above the caller's own power there:
  officers give member and leader roles; officer, approver and admin are given by an admin;
* a person may be bound to something (an invitation, an import row) or managed (renamed, deactivated)
  only when the caller could have granted every role that person holds: nobody can take over, or lock out,
  someone who stands above them or outside their subtree.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from directory.access import AccessDenied, Scope
from directory.models import OrgUnit, Person, Role, RoleAssignment

# The role the caller needs at a unit to give (or take away) each role there.
GRANTED_BY: dict[Role, Role] = {
    Role.member: Role.officer,
    Role.leader: Role.officer,
    Role.officer: Role.admin,
    Role.approver: Role.admin,
    Role.admin: Role.admin,
}


def may_grant(scope: Scope, *, role: Role, unit_path: str) -> bool:
    return scope.allows(GRANTED_BY[role], unit_path)


def require_grant(scope: Scope, *, role: Role, unit: OrgUnit) -> None:
    """Refuse (403) unless the caller may hand out `role` in `unit` (grant, invite, key, bind)."""
    if not may_grant(scope, role=role, unit_path=unit.path):
        raise AccessDenied(
            "Không có quyền trao vai trò này tại đơn vị này "
            "(cán bộ chỉ trao vai trò đoàn viên và chủ tịch CĐCS trong phạm vi của mình)."
        )


def grantable_roles(scope: Scope, *, unit_path: str) -> list[Role]:
    return [role for role in Role if may_grant(scope, role=role, unit_path=unit_path)]


async def _held(session: AsyncSession, person_ids: Sequence[int]) -> dict[int, list[tuple[Role, str]]]:
    held: dict[int, list[tuple[Role, str]]] = {pid: [] for pid in person_ids}
    ids = list(person_ids)
    for start in range(0, len(ids), 500):
        rows = await session.execute(
            select(RoleAssignment.person_id, RoleAssignment.role, OrgUnit.path)
            .join(OrgUnit, OrgUnit.id == RoleAssignment.unit_id)
            .where(RoleAssignment.person_id.in_(ids[start : start + 500]))
        )
        for pid, role, path in rows.tuples():
            held[pid].append((Role(role), path))
    return held


async def _root_paths(session: AsyncSession) -> list[str]:
    rows = await session.scalars(select(OrgUnit.path).where(OrgUnit.parent_id.is_(None)))
    return list(rows.all())


async def controllable(session: AsyncSession, *, scope: Scope, person_ids: Sequence[int]) -> set[int]:
    """The people the caller may bind or manage: it could grant every role each of them holds.
    A person without any role belongs to nobody's subtree, so only a root's admin controls them."""
    held = await _held(session, person_ids)
    roots: list[str] | None = None
    result: set[int] = set()
    for pid, roles in held.items():
        if roles:
            if all(may_grant(scope, role=role, unit_path=path) for role, path in roles):
                result.add(pid)
            continue
        if roots is None:
            roots = await _root_paths(session)
        if any(scope.allows(Role.admin, r) for r in roots):
            result.add(pid)
    return result


async def require_control(session: AsyncSession, *, scope: Scope, person: Person) -> None:
    """Refuse (403) binding or managing a person who holds a role the caller could not grant."""
    if person.id not in await controllable(session, scope=scope, person_ids=[person.id]):
        raise AccessDenied("Không có quyền với người dùng này (họ giữ vai trò ngoài quyền của bạn).")
