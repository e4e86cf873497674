"""Admin API for invitations: create (one or one per unit of a subtree), list, revoke.

A token exists only in the response that created it; bulk creation therefore answers with the
printable file itself (`format=xlsx` or `format=qr`) when asked to.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.deps import LoaDep, ScopeDep, SessionDep, listing_roots, unit_in_scope
from api.downloads import attachment
from api.types import Id, Offset
from directory import invitations
from directory.errors import NotFound
from directory.invitation_export import InvitationRow, invitations_qr_zip, invitations_xlsx
from directory.models import Department, Invitation, OrgUnit, Role, UnitKind

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class InvitationIn(BaseModel):
    unit_id: Id
    role: Role = Role.member
    department: Department | None = None
    person_id: Id | None = None
    max_uses: int = Field(default=1, ge=1, le=10_000)
    days: int = Field(default=30, ge=1, le=365)


class BulkIn(BaseModel):
    unit_id: Id
    role: Role = Role.leader
    kind: UnitKind | None = UnitKind.grassroots_union
    days: int = Field(default=30, ge=1, le=365)


def invitation_out(inv: Invitation, unit: OrgUnit) -> dict[str, Any]:
    return {
        "id": inv.id,
        "unit_id": unit.id,
        "unit_code": unit.code,
        "unit_name": unit.name,
        "role": inv.role,
        "department": inv.department,
        "person_id": inv.person_id,
        "max_uses": inv.max_uses,
        "use_count": inv.use_count,
        "expires_at": inv.expires_at.isoformat(),
        "revoked_at": inv.revoked_at.isoformat() if inv.revoked_at else None,
        "state": invitations.invitation_state(inv),
    }


async def _bot_username(loa: LoaDep) -> str:
    me = await loa.bot.me()
    return me.username or "loa_bot"


def build_router() -> APIRouter:
    router = APIRouter(prefix="/invitations", tags=["invitations"])

    @router.post("", status_code=201)
    async def create(body: InvitationIn, session: SessionDep, scope: ScopeDep, loa: LoaDep) -> dict[str, Any]:
        unit = await unit_in_scope(session, scope, body.unit_id, Role.officer)
        made = await invitations.create_invitation(
            session,
            scope=scope,
            unit=unit,
            role=body.role,
            department=body.department.value if body.department else None,
            person_id=body.person_id,
            max_uses=body.max_uses,
            ttl=timedelta(days=body.days),
        )
        link = invitations.invite_link(await _bot_username(loa), made.token)
        return {**invitation_out(made.invitation, unit), "token": made.token, "link": link}

    @router.post("/bulk", response_model=None)
    async def bulk(
        body: BulkIn,
        session: SessionDep,
        scope: ScopeDep,
        loa: LoaDep,
        format: Literal["json", "xlsx", "qr"] = "json",
    ) -> dict[str, Any] | Response:
        root = await unit_in_scope(session, scope, body.unit_id, Role.officer)
        made = await invitations.create_bulk_invitations(
            session,
            scope=scope,
            root=root,
            role=body.role,
            kind=body.kind.value if body.kind else None,
            ttl=timedelta(days=body.days),
        )
        username = await _bot_username(loa)
        rows = [
            InvitationRow(
                m.unit.code,
                m.unit.name,
                body.role,
                invitations.invite_link(username, m.token),
                m.invitation.expires_at,
            )
            for m in made
        ]
        if format == "xlsx":
            return Response(
                invitations_xlsx(rows),
                media_type=XLSX,
                headers=attachment(f"loi-moi-{root.code}.xlsx"),
            )
        if format == "qr":
            return Response(
                invitations_qr_zip(rows),
                media_type="application/zip",
                headers=attachment(f"ma-qr-{root.code}.zip"),
            )
        return {
            "count": len(made),
            "invitations": [
                {**invitation_out(m.invitation, m.unit), "token": m.token, "link": r.link}
                for m, r in zip(made, rows, strict=True)
            ],
        }

    @router.get("")
    async def list_(
        session: SessionDep,
        scope: ScopeDep,
        unit_id: Id | None = None,
        limit: int = Query(default=100, ge=1, le=500),
        offset: Offset = 0,
    ) -> list[dict[str, Any]]:
        roots = await listing_roots(session, scope, Role.officer, unit_id)
        rows = await invitations.list_invitations(session, roots=roots, limit=limit, offset=offset)
        return [invitation_out(i, u) for i, u in rows]

    @router.get("/{invitation_id}")
    async def get(invitation_id: Id, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
        inv = await session.get(Invitation, invitation_id)
        if inv is None:
            raise NotFound("Không tìm thấy lời mời.")
        return invitation_out(inv, await unit_in_scope(session, scope, inv.unit_id, Role.officer))

    @router.post("/{invitation_id}/revoke")
    async def revoke(invitation_id: Id, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
        inv = await session.get(Invitation, invitation_id)
        if inv is None:
            raise NotFound("Không tìm thấy lời mời.")
        unit = await unit_in_scope(session, scope, inv.unit_id, Role.officer)
        await invitations.revoke_invitation(session, scope=scope, invitation=inv)
        return invitation_out(inv, unit)

    return router
