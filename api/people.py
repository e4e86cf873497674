"""Admin API for people and their roles. Officers see the people holding roles in their subtree."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import ScopeDep, SessionDep, listing_roots
from api.types import Id, Offset
from directory import grants, people, tree
from directory.access import AccessDenied, Scope
from directory.models import Department, Person, Role, RoleAssignment
from directory.people import display_phone


class PersonIn(BaseModel):
    full_name: str = Field(min_length=1, max_length=255)
    phone: str | None = Field(default=None, max_length=32)
    unit_id: Id
    role: Role = Role.member
    department: Department | None = None


class PersonPatch(BaseModel):
    full_name: str | None = Field(default=None, min_length=1, max_length=255)
    phone: str | None = Field(default=None, max_length=32)
    is_active: bool | None = None


class RoleIn(BaseModel):
    unit_id: Id
    role: Role
    department: Department | None = None


def person_out(person: Person) -> dict[str, Any]:
    return {
        "id": person.id,
        "full_name": person.full_name,
        "phone": display_phone(person.phone) or None,
        "telegram_registered": person.telegram_user_id is not None,
        "login": person.login,
        "is_active": person.is_active,
    }


def role_out(assignment: RoleAssignment, unit_code: str) -> dict[str, Any]:
    return {
        "id": assignment.id,
        "person_id": assignment.person_id,
        "unit_id": assignment.unit_id,
        "unit_code": unit_code,
        "role": assignment.role,
        "department": assignment.department,
    }


async def _person(session: SessionDep, scope: Scope, person_id: Id) -> Person:
    person = await people.get_person(session, person_id=person_id)
    await people.require_person_access(session, scope=scope, person=person, role=Role.officer)
    return person


def build_router() -> APIRouter:
    router = APIRouter(tags=["people"])

    @router.get("/people")
    async def list_people(
        scope: ScopeDep,
        session: SessionDep,
        unit_id: Id | None = None,
        q: str | None = Query(default=None, max_length=100),
        limit: int = Query(default=100, ge=1, le=1000),
        offset: Offset = 0,
    ) -> dict[str, Any]:
        roots = await listing_roots(session, scope, Role.officer, unit_id)
        if not roots:
            raise AccessDenied()
        found = await people.list_people(session, roots=roots, query=q, limit=limit, offset=offset)
        return {"items": [person_out(p) for p in found]}

    @router.post("/people", status_code=201)
    async def create_person(body: PersonIn, scope: ScopeDep, session: SessionDep) -> dict[str, Any]:
        unit = await tree.get_unit(session, unit_id=body.unit_id)
        people.require_grant_right(scope, role=body.role, unit=unit)
        person = await people.create_person(
            session, actor=scope.actor, full_name=body.full_name, phone=body.phone, unit_path=unit.path
        )
        department = body.department.value if body.department else None
        assignment = await people.assign_role(
            session, actor=scope.actor, person=person, unit=unit, role=body.role, department=department
        )
        return {**person_out(person), "roles": [role_out(assignment, unit.code)]}

    @router.get("/people/{person_id}")
    async def get_person(person_id: Id, scope: ScopeDep, session: SessionDep) -> dict[str, Any]:
        person = await _person(session, scope, person_id)
        roles = await people.roles_of(session, person_id=person.id)
        visible = [role_out(ra, u.code) for ra, u in roles if scope.allows(Role.officer, u.path)]
        return {**person_out(person), "roles": visible}

    @router.patch("/people/{person_id}")
    async def update_person(
        person_id: Id, body: PersonPatch, scope: ScopeDep, session: SessionDep
    ) -> dict[str, Any]:
        person = await _person(session, scope, person_id)
        await grants.require_control(session, scope=scope, person=person)
        changes = body.model_dump(exclude_unset=True)
        changes = {k: v for k, v in changes.items() if v is not None or k == "phone"}
        paths = await people.unit_paths_of(session, person_id=person.id)
        anchor = next((p for p in paths if scope.allows(Role.officer, p)), None)
        await people.update_person(session, actor=scope.actor, person=person, unit_path=anchor, **changes)
        return person_out(person)

    @router.post("/people/{person_id}/roles", status_code=201)
    async def assign_role(
        person_id: Id, body: RoleIn, scope: ScopeDep, session: SessionDep
    ) -> dict[str, Any]:
        person = await _person(session, scope, person_id)
        unit = await tree.get_unit(session, unit_id=body.unit_id)
        people.require_grant_right(scope, role=body.role, unit=unit)
        await grants.require_control(session, scope=scope, person=person)
        department = body.department.value if body.department else None
        assignment = await people.assign_role(
            session, actor=scope.actor, person=person, unit=unit, role=body.role, department=department
        )
        return role_out(assignment, unit.code)

    @router.delete("/roles/{assignment_id}")
    async def revoke_role(assignment_id: Id, scope: ScopeDep, session: SessionDep) -> dict[str, Any]:
        assignment, unit = await people.get_assignment(session, assignment_id=assignment_id)
        people.require_grant_right(scope, role=Role(assignment.role), unit=unit)
        out = role_out(assignment, unit.code)
        await people.revoke_role(session, actor=scope.actor, assignment=assignment, unit=unit)
        return out

    return router
