"""Who may do what where: every permission is a role held in a unit, covering that unit's subtree.

Pure functions over `Grant`s, so services, handlers and API routes all ask the same question:
`scope.allows(Role.officer, unit_path)`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from common.errors import DomainError
from directory.models import OrgUnit, Person, Role, RoleAssignment
from directory.tree import is_within

# A role implies the roles listed for it (an admin may do what an officer may, and so on).
IMPLIED: dict[Role, frozenset[Role]] = {
    Role.admin: frozenset(Role),
    Role.approver: frozenset({Role.approver, Role.officer, Role.member}),
    Role.officer: frozenset({Role.officer, Role.member}),
    Role.leader: frozenset({Role.leader, Role.member}),
    Role.member: frozenset({Role.member}),
}


class AccessDenied(DomainError):
    """The actor's grants do not cover the unit for this action."""

    status = 403
    code = "forbidden"

    def __init__(self, message: str = "Không có quyền với đơn vị này.") -> None:
        super().__init__(message)


@dataclass(frozen=True)
class Grant:
    role: Role
    unit_id: int
    unit_path: str
    department: str | None = None


@dataclass(frozen=True)
class Scope:
    """The grants of one actor (a person, or an API key) and the label used in the audit log."""

    actor: str
    grants: tuple[Grant, ...] = field(default_factory=tuple)
    person_id: int | None = None

    def roles_at(self, unit_path: str) -> set[Role]:
        roles: set[Role] = set()
        for g in self.grants:
            if is_within(unit_path, g.unit_path):
                roles |= IMPLIED[g.role]
        return roles

    def allows(self, role: Role, unit_path: str) -> bool:
        return role in self.roles_at(unit_path)

    def require(self, role: Role, unit_path: str) -> None:
        if not self.allows(role, unit_path):
            raise AccessDenied()

    def roots(self, role: Role) -> list[str]:
        """The topmost unit paths where this actor holds `role` (or a role implying it)."""
        paths = sorted({g.unit_path for g in self.grants if role in IMPLIED[g.role]}, key=len)
        roots: list[str] = []
        for p in paths:
            if not any(is_within(p, r) for r in roots):
                roots.append(p)
        return roots

    @property
    def is_admin(self) -> bool:
        return any(g.role is Role.admin for g in self.grants)


def grants_from_rows(rows: Iterable[tuple[str, int, str, str | None]]) -> tuple[Grant, ...]:
    return tuple(Grant(Role(role), unit_id, path, dept) for role, unit_id, path, dept in rows)


async def load_grants(session: AsyncSession, *, person_id: int) -> tuple[Grant, ...]:
    rows = await session.execute(
        select(RoleAssignment.role, OrgUnit.id, OrgUnit.path, RoleAssignment.department)
        .join(OrgUnit, OrgUnit.id == RoleAssignment.unit_id)
        .where(RoleAssignment.person_id == person_id, OrgUnit.is_active.is_(True))
    )
    return grants_from_rows(rows.tuples())


async def scope_for_person(session: AsyncSession, *, person: Person) -> Scope:
    return Scope(
        actor=f"person:{person.id}",
        grants=await load_grants(session, person_id=person.id),
        person_id=person.id,
    )


async def scope_for_telegram_user(session: AsyncSession, *, telegram_user_id: int) -> Scope | None:
    person = await session.scalar(
        select(Person).where(Person.telegram_user_id == telegram_user_id, Person.is_active.is_(True))
    )
    if person is None:
        return None
    return await scope_for_person(session, person=person)
