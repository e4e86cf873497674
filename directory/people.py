"""People and their roles: who holds which role in which unit, and who to ask for what."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from directory import audit, grants
from directory.access import AccessDenied, Scope
from directory.auth import AuthError, hash_password
from directory.errors import Conflict, InvalidInput, NotFound
from directory.models import Department, OrgUnit, Person, Role, RoleAssignment
from directory.tree import in_subtrees, path_ids

_PHONE_JUNK = re.compile(r"[\s.\-()/]")



def normalize_phone(raw: str | None) -> str | None:
    """A Vietnamese number as E.164 (`+84912345678`) from `0912 345 678`, `+84 912.345.678`, `84912345678`.

    Empty input gives None; anything that is not a Vietnamese mobile or landline number raises.
    """
    if raw is None:
        return None
    text = _PHONE_JUNK.sub("", str(raw).strip().lstrip("'"))
    if not text:
        return None
    if text.startswith("+84"):
        national = text[3:]
    elif text.startswith("0084"):
        national = text[4:]
    elif text.startswith("84") and len(text) in (11, 12):
        national = text[2:]
    elif text.startswith("0"):
        national = text[1:]
    else:
        national = text
    if not national.isdigit() or len(national) not in (9, 10) or national[0] in "01":
        raise InvalidInput(f"Số điện thoại không hợp lệ: {raw}.", code="bad_phone")
    return "+84" + national


def display_phone(phone: str | None) -> str:
    """`+84912345678` → `0912345678`, the way people write it."""
    if not phone:
        return ""
    return "0" + phone[3:] if phone.startswith("+84") else phone


def _password_hash(password: str) -> str:
    try:
        return hash_password(password)
    except AuthError as exc:
        raise InvalidInput(exc.message, code=exc.code) from exc


def _check_department(role: Role, department: str | None) -> None:
    if department is None:
        return
    if department not in {d.value for d in Department}:
        raise InvalidInput(f"Ban/phòng không hợp lệ: {department}.", code="bad_department")
    if role is not Role.officer:
        raise InvalidInput("Chỉ cán bộ công đoàn mới gắn với một ban.", code="bad_department")


async def get_person(session: AsyncSession, *, person_id: int) -> Person:
    person = await session.get(Person, person_id)
    if person is None:
        raise NotFound("Không tìm thấy người dùng.", code="person_not_found")
    return person


async def find_by_phone(session: AsyncSession, *, phone: str) -> Person | None:
    normalized = normalize_phone(phone)
    return await session.scalar(select(Person).where(Person.phone == normalized).order_by(Person.id).limit(1))


async def create_person(
    session: AsyncSession,
    *,
    actor: str,
    full_name: str,
    phone: str | None = None,
    login: str | None = None,
    password: str | None = None,
    unit_path: str | None = None,
) -> Person:
    full_name = " ".join(full_name.split())
    if not full_name:
        raise InvalidInput("Cần có họ tên.", code="missing_field")
    if login is not None:
        login = login.strip()
        if await session.scalar(select(Person.id).where(Person.login == login)) is not None:
            raise Conflict(f"Tên đăng nhập {login} đã có người dùng.", code="duplicate_login")
    person = Person(
        full_name=full_name,
        phone=normalize_phone(phone),
        login=login,
        password_hash=_password_hash(password) if password is not None else None,
        is_active=True,
    )
    session.add(person)
    await session.flush()
    await audit.record(
        session,
        actor,
        "person.create",
        "person",
        person.id,
        None,
        audit.person_snapshot(person),
        unit_path=unit_path,
    )
    return person


async def update_person(
    session: AsyncSession, *, actor: str, person: Person, unit_path: str | None = None, **changes: Any
) -> Person:
    allowed = {"full_name", "phone", "is_active", "password"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(f"Không sửa được trường: {', '.join(sorted(unknown))}.", code="bad_field")
    before = audit.person_snapshot(person)
    if "full_name" in changes:
        name = " ".join(str(changes["full_name"]).split())
        if not name:
            raise InvalidInput("Cần có họ tên.", code="missing_field")
        person.full_name = name
    if "phone" in changes:
        person.phone = normalize_phone(changes["phone"])
    if "is_active" in changes:
        person.is_active = bool(changes["is_active"])
    if changes.get("password") is not None:
        person.password_hash = _password_hash(changes["password"])
    after = audit.person_snapshot(person)
    if after != before or "password" in changes:
        await session.flush()
        note = "password changed" if "password" in changes else None
        await audit.record(
            session,
            actor,
            "person.update",
            "person",
            person.id,
            before,
            after,
            unit_path=unit_path,
            note=note,
        )
    return person


async def roles_of(session: AsyncSession, *, person_id: int) -> list[tuple[RoleAssignment, OrgUnit]]:
    rows = await session.execute(
        select(RoleAssignment, OrgUnit)
        .join(OrgUnit, OrgUnit.id == RoleAssignment.unit_id)
        .where(RoleAssignment.person_id == person_id)
        .order_by(OrgUnit.path, RoleAssignment.role)
    )
    return [(ra, unit) for ra, unit in rows.tuples()]


async def unit_paths_of(session: AsyncSession, *, person_id: int) -> list[str]:
    return [unit.path for _, unit in await roles_of(session, person_id=person_id)]


async def assign_role(
    session: AsyncSession,
    *,
    actor: str,
    person: Person,
    unit: OrgUnit,
    role: Role,
    department: str | None = None,
) -> RoleAssignment:
    """Give `person` `role` in `unit` (idempotent; a second call only updates the department)."""
    _check_department(role, department)
    if not unit.is_active:
        raise InvalidInput("Đơn vị không còn hoạt động.", code="unit_inactive")
    existing = await session.scalar(
        select(RoleAssignment).where(
            RoleAssignment.person_id == person.id,
            RoleAssignment.unit_id == unit.id,
            RoleAssignment.role == role.value,
        )
    )
    if existing is not None:
        if existing.department != department:
            before = {"department": existing.department}
            existing.department = department
            await audit.record(
                session,
                actor,
                "role.update",
                "role",
                existing.id,
                before,
                {"department": department},
                unit_path=unit.path,
            )
        return existing
    assignment = RoleAssignment(person_id=person.id, unit_id=unit.id, role=role.value, department=department)
    session.add(assignment)
    await session.flush()
    await audit.record(
        session,
        actor,
        "role.assign",
        "role",
        assignment.id,
        None,
        {"person_id": person.id, "unit_id": unit.id, "role": role.value, "department": department},
        unit_path=unit.path,
    )
    return assignment


async def get_assignment(session: AsyncSession, *, assignment_id: int) -> tuple[RoleAssignment, OrgUnit]:
    row = (
        await session.execute(
            select(RoleAssignment, OrgUnit)
            .join(OrgUnit, OrgUnit.id == RoleAssignment.unit_id)
            .where(RoleAssignment.id == assignment_id)
        )
    ).first()
    if row is None:
        raise NotFound("Không tìm thấy vai trò.", code="role_not_found")
    return row[0], row[1]


async def revoke_role(
    session: AsyncSession, *, actor: str, assignment: RoleAssignment, unit: OrgUnit
) -> None:
    before = {
        "person_id": assignment.person_id,
        "unit_id": assignment.unit_id,
        "role": assignment.role,
        "department": assignment.department,
    }
    await session.delete(assignment)
    await session.flush()
    await audit.record(
        session, actor, "role.revoke", "role", assignment.id, before, None, unit_path=unit.path
    )


async def holders(
    session: AsyncSession, *, unit_ids: list[int], roles: set[Role], department: str | None = None
) -> list[tuple[Person, RoleAssignment]]:
    query = (
        select(Person, RoleAssignment)
        .join(RoleAssignment, RoleAssignment.person_id == Person.id)
        .where(
            RoleAssignment.unit_id.in_(unit_ids),
            RoleAssignment.role.in_([r.value for r in roles]),
            Person.is_active.is_(True),
        )
        .order_by(RoleAssignment.id)
    )
    if department is not None:
        query = query.where(or_(RoleAssignment.department == department, RoleAssignment.department.is_(None)))
    return [(p, ra) for p, ra in (await session.execute(query)).tuples()]


async def leaders_of(session: AsyncSession, *, unit: OrgUnit) -> list[Person]:
    """The people who report for `unit` (its CĐCS chair and deputies holding the leader role)."""
    return [p for p, _ in await holders(session, unit_ids=[unit.id], roles={Role.leader})]


async def officers_above(
    session: AsyncSession, *, unit: OrgUnit, department: str | None = None
) -> list[Person]:
    """The officers of the nearest ancestor that has any (approvers count: they are officers too).

    With `department`, officers of that department or of none are preferred at each level.
    """
    for ancestor_id in reversed(path_ids(unit.path)[:-1]):
        found = await holders(
            session, unit_ids=[ancestor_id], roles={Role.officer, Role.approver}, department=department
        )
        if found:
            seen: dict[int, Person] = {}
            for person, _ in found:
                seen.setdefault(person.id, person)
            return list(seen.values())
    return []


async def list_people(
    session: AsyncSession,
    *,
    roots: list[str],
    query: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Person]:
    """People holding any role inside the given subtrees, optionally filtered by name or phone."""
    if not roots:
        return []
    in_scope = (
        select(RoleAssignment.person_id)
        .join(OrgUnit, OrgUnit.id == RoleAssignment.unit_id)
        .where(in_subtrees(OrgUnit.path, roots, dialect=session))
    )
    stmt = select(Person).where(Person.id.in_(in_scope)).order_by(Person.full_name, Person.id)
    if query:
        needle = query.strip()
        try:
            phone = normalize_phone(needle)
        except InvalidInput:
            phone = None
        by_name = Person.full_name.ilike(f"%{needle}%")
        stmt = stmt.where(or_(by_name, Person.phone == phone) if phone else by_name)
    return list((await session.scalars(stmt.limit(limit).offset(offset))).all())


async def require_person_access(session: AsyncSession, *, scope: Scope, person: Person, role: Role) -> None:
    """A person belongs to the units they hold roles in; one without any role only to a root's admins."""
    paths = await unit_paths_of(session, person_id=person.id)
    if paths:
        if any(scope.allows(role, path) for path in paths):
            return
    elif any(scope.allows(Role.admin, f"/{root_id}/") for root_id in await _root_ids(session)):
        return
    raise AccessDenied()


async def _root_ids(session: AsyncSession) -> list[int]:
    return list((await session.scalars(select(OrgUnit.id).where(OrgUnit.parent_id.is_(None)))).all())


def require_grant_right(scope: Scope, *, role: Role, unit: OrgUnit) -> None:
    """Officers give member and leader roles in their subtree; officer, approver and admin need an admin
    (the one rule in directory/grants.py)."""
    grants.require_grant(scope, role=role, unit=unit)


async def telegram_ids_with_roles(
    session: AsyncSession, *, unit_ids: set[int], roles: list[Role], exclude_person_id: int | None = None
) -> list[int]:
    """Telegram ids of the registered people holding one of `roles` in one of the units."""
    query = (
        select(Person.telegram_user_id)
        .join(RoleAssignment, RoleAssignment.person_id == Person.id)
        .where(
            RoleAssignment.unit_id.in_(unit_ids),
            RoleAssignment.role.in_([r.value for r in roles]),
            Person.telegram_user_id.is_not(None),
            Person.is_active.is_(True),
        )
        .distinct()
    )
    if exclude_person_id is not None:
        query = query.where(Person.id != exclude_person_id)
    return [tid for tid in (await session.scalars(query)).all() if tid is not None]
