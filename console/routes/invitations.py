"""Invitations in the console: one, or one per unit of a subtree, with the printable sheet of QR codes,
the XLSX list and the ZIP of QR cards; the list and revoking. The same calls as api/invitations.py."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import LoaDep, listing_roots, unit_in_scope
from api.invitations import XLSX
from common.errors import DomainError
from console import forms
from console.web import (
    PREFIX,
    ConsoleRoute,
    Officer,
    OfficerDep,
    PostingOfficerDep,
    SessionDep,
    redirect,
    render,
)
from directory import invitations
from directory.invitation_export import InvitationRow, invitations_qr_zip, invitations_xlsx, qr_card_png
from directory.models import ROLE_LABELS, UNIT_KIND_LABELS, Invitation, Role, UnitKind

STATE_LABELS = {
    "active": "còn hiệu lực",
    "used": "đã dùng hết",
    "expired": "hết hạn",
    "revoked": "đã thu hồi",
}


def _role(raw: str) -> Role:
    try:
        return Role(raw)
    except ValueError as exc:
        raise forms.FormInvalid("Vai trò không hợp lệ.") from exc


def _days(form: Any) -> int:
    days = forms.int_or_none(form, "days") or 30
    if not 1 <= days <= 365:
        raise forms.FormInvalid("Thời hạn từ 1 đến 365 ngày.")
    return days


def qr_data_uri(row: InvitationRow) -> str:
    return "data:image/png;base64," + base64.b64encode(qr_card_png(row)).decode()


async def _bot_username(loa: Any) -> str:
    me = await loa.bot.me()
    return str(me.username or "loa_bot")


async def _page(
    request: Request, officer: Officer, session: AsyncSession, unit_id: int | None, **extra: Any
) -> HTMLResponse:
    roots = await listing_roots(session, officer.scope, Role.officer, unit_id)
    unit = await unit_in_scope(session, officer.scope, unit_id, Role.officer) if unit_id else None
    rows = await invitations.list_invitations(session, roots=roots, limit=200)
    context = {
        "unit": unit,
        "rows": [(i, u, STATE_LABELS.get(invitations.invitation_state(i), "")) for i, u in rows],
        "roles": {r.value: ROLE_LABELS[r] for r in Role},
        "kinds": {k.value: v for k, v in UNIT_KIND_LABELS.items()},
        **extra,
    }
    return render(request, "invitations.html", context, officer=officer, status=extra.pop("status", 200))


def build_router() -> APIRouter:
    router = APIRouter(prefix="/invitations", route_class=ConsoleRoute)

    @router.get("", response_class=HTMLResponse)
    async def index(
        request: Request, officer: OfficerDep, session: SessionDep, unit_id: int | None = None
    ) -> HTMLResponse:
        return await _page(request, officer, session, unit_id)

    @router.post("", response_class=HTMLResponse)
    async def create(
        request: Request, officer: PostingOfficerDep, session: SessionDep, loa: LoaDep
    ) -> Response:
        form = await request.form()
        unit_id = forms.int_or_none(form, "unit_id")
        try:
            async with session.begin_nested():
                unit = await unit_in_scope(session, officer.scope, unit_id or 0, Role.officer)
                made = await invitations.create_invitation(
                    session,
                    scope=officer.scope,
                    unit=unit,
                    role=_role(forms.text(form, "role")),
                    max_uses=forms.int_or_none(form, "max_uses") or 1,
                    ttl=timedelta(days=_days(form)),
                )
        except DomainError as exc:
            return await _page(request, officer, session, unit_id, error=exc.message, status=exc.status)
        link = invitations.invite_link(await _bot_username(loa), made.token)
        row = InvitationRow(
            unit.code, unit.name, Role(made.invitation.role), link, made.invitation.expires_at
        )
        return render(request, "invitation_sheet.html", {"cards": [(row, qr_data_uri(row))]}, officer=officer)

    @router.post("/bulk", response_class=HTMLResponse)
    async def bulk(
        request: Request, officer: PostingOfficerDep, session: SessionDep, loa: LoaDep
    ) -> Response:
        form = await request.form()
        unit_id = forms.int_or_none(form, "unit_id")
        kind = forms.text(form, "kind")
        try:
            async with session.begin_nested():
                root = await unit_in_scope(session, officer.scope, unit_id or 0, Role.officer)
                made = await invitations.create_bulk_invitations(
                    session,
                    scope=officer.scope,
                    root=root,
                    role=_role(forms.text(form, "role")),
                    kind=UnitKind(kind).value if kind else None,
                    ttl=timedelta(days=_days(form)),
                )
        except (DomainError, ValueError) as exc:
            message = exc.message if isinstance(exc, DomainError) else "Loại đơn vị không hợp lệ."
            return await _page(request, officer, session, unit_id, error=message, status=422)
        username = await _bot_username(loa)
        rows = [
            InvitationRow(
                m.unit.code,
                m.unit.name,
                Role(m.invitation.role),
                invitations.invite_link(username, m.token),
                m.invitation.expires_at,
            )
            for m in made
        ]
        output = forms.text(form, "output")
        if output == "xlsx":
            headers = {"Content-Disposition": f'attachment; filename="loi-moi-{root.code}.xlsx"'}
            return Response(invitations_xlsx(rows), media_type=XLSX, headers=headers)
        if output == "qr":
            headers = {"Content-Disposition": f'attachment; filename="ma-qr-{root.code}.zip"'}
            return Response(invitations_qr_zip(rows), media_type="application/zip", headers=headers)
        cards = [(row, qr_data_uri(row)) for row in rows]
        return render(request, "invitation_sheet.html", {"cards": cards, "root": root}, officer=officer)

    @router.post("/{invitation_id}/revoke")
    async def revoke(
        request: Request, invitation_id: int, officer: PostingOfficerDep, session: SessionDep
    ) -> Response:
        inv = await session.get(Invitation, invitation_id)
        if inv is None:
            raise forms.FormInvalid("Không tìm thấy lời mời.", status=404)
        unit = await unit_in_scope(session, officer.scope, inv.unit_id, Role.officer)
        await invitations.revoke_invitation(session, scope=officer.scope, invitation=inv)
        return redirect(f"{PREFIX}/invitations?unit_id={unit.id}")

    return router
