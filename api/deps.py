"""FastAPI dependencies: one session and transaction per request; the caller's scope."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import ApiError
from bot.app import Loa
from directory import tree
from directory.access import Grant, Scope, scope_for_person
from directory.auth import AuthError, find_api_key, read_access_token
from directory.models import OrgUnit, Person, Role


def get_loa(request: Request) -> Loa:
    loa: Loa = request.app.state.loa
    return loa


LoaDep = Annotated[Loa, Depends(get_loa)]


async def get_session(loa: LoaDep) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the route returns, rolled back if it raises."""
    async with loa.db.transaction() as session:
        yield session


# scope="function": the transaction commits when the route returns, before the response leaves, so a
# client that reads right after a write sees it
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


# Declared so the OpenAPI document lists both ways in (and /docs has an Authorize button); the checks
# themselves stay below, so a missing credential answers our 401 shape.
bearer_scheme = HTTPBearer(auto_error=False, description="Mã truy cập từ POST /api/v1/auth/login")
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="Khoá API tích hợp")


async def get_scope(
    request: Request,
    loa: LoaDep,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)] = None,
    _key: Annotated[str | None, Security(api_key_scheme)] = None,
) -> Scope:
    """Authentication is its own short unit of work (it records an API key's last use), so a route that
    runs several transactions of its own (correct, recall) never waits behind the request's."""
    header = request.headers.get("Authorization", "")
    api_key = request.headers.get("X-API-Key")
    if not api_key and not header.lower().startswith("bearer "):
        raise ApiError(401, "unauthorized", "Cần đăng nhập (Bearer token) hoặc khoá API (X-API-Key).")
    async with loa.db.transaction() as session:
        if api_key:
            key = await find_api_key(session, api_key)
            unit = await session.get(OrgUnit, key.unit_id)
            if unit is None or not unit.is_active:
                raise AuthError("bad_api_key", "Khoá API không còn hiệu lực.")
            return Scope(actor=f"api_key:{key.id}", grants=(Grant(Role(key.role), unit.id, unit.path),))
        person_id = read_access_token(header[7:].strip(), secret=loa.settings.jwt_secret.get_secret_value())
        person = await session.scalar(
            select(Person).where(Person.id == person_id, Person.is_active.is_(True))
        )
        if person is None:
            raise AuthError("bad_token", "Tài khoản không còn hoạt động.")
        return await scope_for_person(session, person=person)


ScopeDep = Annotated[Scope, Depends(get_scope)]


async def unit_in_scope(session: AsyncSession, scope: Scope, unit_id: int, role: Role) -> OrgUnit:
    """The unit, when the caller holds `role` over it (NotFound, AccessDenied otherwise)."""
    unit = await tree.get_unit(session, unit_id=unit_id)
    scope.require(role, unit.path)
    return unit


async def listing_roots(session: AsyncSession, scope: Scope, role: Role, unit_id: int | None) -> list[str]:
    """The subtrees a listing covers: the unit asked for (the caller must hold `role` over it), else every
    subtree where the caller holds `role` (none: an empty list)."""
    if unit_id is None:
        return scope.roots(role)
    return [(await unit_in_scope(session, scope, unit_id, role)).path]
