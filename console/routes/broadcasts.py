"""Composing a broadcast: the form, the live chat preview (split parts included), the audience counts per
child unit, and saving or submitting it. Every step calls the broadcast services the API calls."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import LoaDep
from broadcasts import audience, service
from broadcasts.audience import AudienceSpec, Target
from broadcasts.config import BroadcastConfig
from broadcasts.content import Content, render_parts
from common.errors import DomainError
from console import forms, queries
from console.broadcast_view import STATUS_LABELS, TARGET_LABELS, parts_view
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
from directory import tree
from directory.linking import list_blocks
from directory.models import UNIT_KIND_LABELS, Role


async def _choices(session: AsyncSession, officer: Officer) -> dict[str, Any]:
    """What the compose form offers: the officer's own units and their children, blocks, kinds, targets."""
    own = await tree.units_at_paths(session, paths=officer.scope.roots(Role.officer))
    units = []
    for unit in own:
        units.append(unit)
        units.extend(await tree.children(session, unit=unit))
    return {
        "units": units,
        "blocks": await list_blocks(session),
        "kinds": UNIT_KIND_LABELS,
        "targets": TARGET_LABELS,
    }


async def _exclusions(session: AsyncSession, raw: str) -> list[int]:
    return [(await tree.resolve_code(session, code=code)).id for code in forms.codes(raw)]


def build_router() -> APIRouter:
    router = APIRouter(prefix="/broadcasts", route_class=ConsoleRoute)

    @router.get("", response_class=HTMLResponse)
    async def index(request: Request, officer: OfficerDep, session: SessionDep) -> HTMLResponse:
        rows = await queries.broadcasts_in_scope(session, scope=officer.scope, limit=100)
        return render(
            request, "broadcasts.html", {"broadcasts": rows, "labels": STATUS_LABELS}, officer=officer
        )

    @router.get("/new", response_class=HTMLResponse)
    async def compose(request: Request, officer: OfficerDep, session: SessionDep) -> HTMLResponse:
        context = {**await _choices(session, officer), "form": {"targets": [Target.group.value]}}
        return render(request, "compose.html", context, officer=officer)

    @router.post("/preview", response_class=HTMLResponse)
    async def preview(request: Request, officer: PostingOfficerDep) -> HTMLResponse:
        form = await request.form()
        try:
            parts = render_parts(Content.from_dict(forms.content(form)))
        except DomainError as exc:
            return render(request, "_parts.html", {"error": exc.message, "parts": []}, officer=officer)
        return render(request, "_parts.html", {"parts": parts_view(parts)}, officer=officer)

    @router.post("/audience", response_class=HTMLResponse)
    async def counts(request: Request, officer: PostingOfficerDep, session: SessionDep) -> HTMLResponse:
        form = await request.form()
        try:
            spec = AudienceSpec.from_dict(
                forms.audience(form, exclude_units=await _exclusions(session, forms.text(form, "exclude")))
            )
            if not spec.roots:
                raise forms.FormInvalid("Chọn ít nhất một đơn vị nhận tin.")
            for unit in await audience.root_units(session, spec):
                officer.scope.require(Role.officer, unit.path)
            p = await audience.preview(session, spec)
        except DomainError as exc:
            return render(request, "_counts.html", {"error": exc.message}, officer=officer)
        return render(request, "_counts.html", {"preview": p}, officer=officer)

    @router.post("", response_class=HTMLResponse)
    async def create(
        request: Request, officer: PostingOfficerDep, session: SessionDep, loa: LoaDep
    ) -> Response:
        form = await request.form()
        try:
            async with session.begin_nested():
                at = forms.local_datetime(forms.text(form, "at"), loa.settings.tz)
                if forms.text(form, "when") == "at" and at is None:
                    raise forms.FormInvalid("Chọn thời điểm gửi.")
                b, _ = await service.create(
                    session,
                    scope=officer.scope,
                    title=forms.text(form, "title") or "Thông báo",
                    content=forms.content(form),
                    audience_spec=forms.audience(
                        form, exclude_units=await _exclusions(session, forms.text(form, "exclude"))
                    ),
                    require_ack=forms.text(form, "require_ack") == "1",
                    idempotency_key=forms.text(form, "idempotency") or None,
                )
                if forms.text(form, "action") == "submit":
                    b = await service.submit(
                        session,
                        scope=officer.scope,
                        broadcast_id=b.id,
                        config=BroadcastConfig.from_settings(loa.settings),
                    )
                    when = at if forms.text(form, "when") == "at" else None
                    b.scheduled_at = when  # as in chat: the time asked for, used once it is approved
                    if b.status == "approved":
                        b = await service.schedule(session, scope=officer.scope, broadcast_id=b.id, at=when)
        except DomainError as exc:
            context = {**await _choices(session, officer), "form": _echo(form), "error": exc.message}
            return render(request, "compose.html", context, officer=officer, status=exc.status)
        return redirect(f"{PREFIX}/broadcasts/{b.id}")

    return router


def _echo(form: Any) -> dict[str, Any]:
    """What was typed, to fill the form again after an error."""
    keys = ("title", "html", "button_text", "button_url", "exclude", "when", "at", "require_ack")
    echo: dict[str, Any] = {k: forms.text(form, k) for k in keys}
    for many in ("roots", "targets", "blocks", "unit_kinds"):
        echo[many] = forms.texts(form, many)
    return echo
