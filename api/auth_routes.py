"""Logging in (password → short-lived bearer token) and integration API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from api.deps import LoaDep, ScopeDep, SessionDep, listing_roots, unit_in_scope
from api.types import Id
from directory import auth, grants
from directory.access import AccessDenied
from directory.login_throttle import LoginThrottle
from directory.models import ApiKey, OrgUnit, Role


class LoginIn(BaseModel):
    login: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class ApiKeyIn(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    unit_id: Id
    role: Role = Role.officer


def key_out(key: ApiKey, unit: OrgUnit) -> dict[str, Any]:
    created: datetime = key.created_at
    return {
        "id": key.id,
        "name": key.name,
        "prefix": key.prefix,
        "unit_id": unit.id,
        "unit_code": unit.code,
        "role": key.role,
        "created_at": created.isoformat(),
        "revoked": key.revoked_at is not None,
        "last_used_at": key.last_used_at.isoformat() if key.last_used_at else None,
    }


def login_throttle(request: Request) -> LoginThrottle:
    """One throttle per application, built on first use from the settings (Redis when configured)."""
    throttle: LoginThrottle | None = getattr(request.app.state, "login_throttle", None)
    if throttle is None:
        loa = request.app.state.loa
        throttle = LoginThrottle.build(
            redis=loa.redis,
            max_failures=loa.settings.login_max_failures,
            window=loa.settings.login_window_seconds,
        )
        request.app.state.login_throttle = throttle
    return throttle


def build_router() -> APIRouter:
    router = APIRouter(tags=["auth"])

    @router.post("/auth/login")
    async def login(body: LoginIn, request: Request, loa: LoaDep) -> dict[str, Any]:
        address = request.client.host if request.client else "unknown"
        failure: auth.AuthError | None = None
        async with loa.db.transaction() as session:  # committed even on failure: the audit entry stays
            try:
                person = await auth.login(
                    session, login=body.login, password=body.password, address=address,
                    throttle=login_throttle(request),
                )  # fmt: skip
            except auth.AuthError as exc:
                failure = exc
        if failure is not None:
            raise failure
        minutes = loa.settings.access_token_minutes
        token = auth.issue_access_token(
            person_id=person.id, secret=loa.settings.jwt_secret.get_secret_value(), minutes=minutes
        )
        return {"access_token": token, "token_type": "bearer", "expires_in": minutes * 60}

    @router.post("/api-keys", status_code=201)
    async def create_key(body: ApiKeyIn, scope: ScopeDep, session: SessionDep) -> dict[str, Any]:
        unit = await unit_in_scope(session, scope, body.unit_id, Role.admin)
        grants.require_grant(scope, role=body.role, unit=unit)
        new = await auth.create_api_key(
            session,
            actor=scope.actor,
            name=body.name,
            unit=unit,
            role=body.role,
            created_by_id=scope.person_id,
        )
        return {**key_out(new.key, unit), "key": new.raw}

    @router.get("/api-keys")
    async def list_keys(scope: ScopeDep, session: SessionDep, unit_id: Id | None = None) -> dict[str, Any]:
        roots = await listing_roots(session, scope, Role.admin, unit_id)
        if not roots:
            raise AccessDenied()
        keys = await auth.list_api_keys(session, roots=roots)
        return {"items": [key_out(k, u) for k, u in keys]}

    @router.delete("/api-keys/{key_id}")
    async def revoke_key(key_id: Id, scope: ScopeDep, session: SessionDep) -> dict[str, Any]:
        key, unit = await auth.get_api_key(session, key_id=key_id)
        scope.require(Role.admin, unit.path)
        await auth.revoke_api_key(session, actor=scope.actor, key=key, unit=unit)
        return key_out(key, unit)

    return router
