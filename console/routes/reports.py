"""Report templates and rounds: the list, a template and its new version, opening a round. The same
service calls as api/reports.py."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import LoaDep
from common.errors import DomainError
from console import forms, queries
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
from directory.access import AccessDenied
from directory.linking import list_blocks
from directory.models import UNIT_KIND_LABELS, Role
from reports.models import PeriodKind
from reports.scheduled import announce_round
from reports.services import current_template, list_templates, open_round, save_template

PERIOD_LABELS = {
    PeriodKind.month: "Tháng",
    PeriodKind.quarter: "Quý",
    PeriodKind.half_year: "6 tháng",
    PeriodKind.year: "Năm",
    PeriodKind.ad_hoc: "Đột xuất",
}


def _require_officer(officer: Officer) -> None:
    if not officer.scope.roots(Role.officer):
        raise AccessDenied()


async def _round_choices(session: AsyncSession, officer: Officer) -> dict[str, Any]:
    own = await tree.units_at_paths(session, paths=officer.scope.roots(Role.officer))
    units = []
    for unit in own:
        units.append(unit)
        units.extend(await tree.children(session, unit=unit))
    return {
        "units": units,
        "templates": await list_templates(session=session),
        "periods": PERIOD_LABELS,
        "kinds": UNIT_KIND_LABELS,
        "blocks": await list_blocks(session),
    }


def _json_list(raw: str, what: str) -> list[dict[str, Any]]:
    try:
        value = json.loads(raw or "[]")
    except json.JSONDecodeError as exc:
        raise forms.FormInvalid(f"{what} không đúng dạng JSON: {exc.msg} (dòng {exc.lineno}).") from exc
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise forms.FormInvalid(f"{what} phải là một danh sách các mục {{…}}.")
    return value


def build_router() -> APIRouter:
    router = APIRouter(prefix="/reports", route_class=ConsoleRoute)

    @router.get("", response_class=HTMLResponse)
    async def index(request: Request, officer: OfficerDep, session: SessionDep) -> HTMLResponse:
        _require_officer(officer)
        rounds = await queries.rounds_in_scope(session, scope=officer.scope, limit=100)
        context = {"rounds": rounds, "templates": await list_templates(session=session)}
        return render(request, "reports.html", context, officer=officer)

    @router.get("/templates/{code}", response_class=HTMLResponse)
    async def template(request: Request, code: str, officer: OfficerDep, session: SessionDep) -> HTMLResponse:
        _require_officer(officer)
        t = await current_template(session=session, code=code)
        form = {
            "name": t.name,
            "fields": json.dumps(t.fields, ensure_ascii=False, indent=1),
            "rules": json.dumps(t.rules, ensure_ascii=False, indent=1),
        }
        return render(request, "template.html", {"t": t, "form": form}, officer=officer)

    @router.post("/templates/{code}", response_class=HTMLResponse)
    async def new_version(
        request: Request, code: str, officer: PostingOfficerDep, session: SessionDep
    ) -> Response:
        _require_officer(officer)
        form = await request.form()
        echo = {k: forms.text(form, k) for k in ("name", "fields", "rules")}
        try:
            async with session.begin_nested():
                fields = _json_list(echo["fields"], "Danh sách chỉ tiêu")
                rules = _json_list(echo["rules"], "Quy tắc kiểm tra")
                try:
                    saved = await save_template(
                        session=session,
                        code=code,
                        name=echo["name"],
                        fields=fields,
                        rules=rules,
                        created_by_id=officer.person_id,
                    )
                except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
                    if isinstance(exc, DomainError):
                        raise
                    raise forms.FormInvalid(f"Chỉ tiêu không hợp lệ: {exc}.") from exc
        except DomainError as exc:
            t = await current_template(session=session, code=code)
            context = {"t": t, "form": echo, "error": exc.message}
            return render(request, "template.html", context, officer=officer, status=exc.status)
        return redirect(f"{PREFIX}/reports/templates/{saved.code}?v={saved.version}")

    @router.get("/rounds/new", response_class=HTMLResponse)
    async def new_round(request: Request, officer: OfficerDep, session: SessionDep) -> HTMLResponse:
        _require_officer(officer)
        context = {**await _round_choices(session, officer), "form": {"offsets": "3, 1, 0", "announce": "1"}}
        return render(request, "round_new.html", context, officer=officer)

    @router.post("/rounds", response_class=HTMLResponse)
    async def create_round(
        request: Request, officer: PostingOfficerDep, session: SessionDep, loa: LoaDep
    ) -> Response:
        form = await request.form()
        tz = loa.settings.tz
        try:
            async with session.begin_nested():
                root = await tree.get_unit(session, unit_id=forms.int_or_none(form, "root_unit_id") or 0)
                officer.scope.require(Role.officer, root.path)
                template = await current_template(session=session, code=forms.text(form, "template_code"))
                deadline = forms.local_datetime(forms.text(form, "deadline"), tz)
                if deadline is None:
                    raise forms.FormInvalid("Chọn hạn nộp.")
                day = (
                    forms.local_datetime(forms.text(form, "period_day") + "T00:00", tz)
                    if forms.text(form, "period_day")
                    else None
                )
                try:
                    kind = PeriodKind(forms.text(form, "period_kind"))
                    offsets = [int(x) for x in forms.codes(forms.text(form, "offsets"))]
                except ValueError as exc:
                    raise forms.FormInvalid("Kỳ báo cáo hoặc số ngày nhắc không hợp lệ.") from exc
                round_ = await open_round(
                    session=session,
                    template_id=template.id,
                    period_kind=kind,
                    deadline=deadline,
                    root_unit_id=root.id,
                    period_day=day.date() if day else None,
                    target_kinds=forms.texts(form, "target_kinds"),
                    target_blocks=forms.texts(form, "target_blocks"),
                    reminder_offsets=offsets,
                    opened_by_id=officer.person_id,
                )
                if forms.text(form, "announce") == "1":
                    await announce_round(session=session, round_=round_)
        except DomainError as exc:
            echo: dict[str, Any] = {
                k: forms.text(form, k)
                for k in (
                    "template_code",
                    "period_kind",
                    "deadline",
                    "period_day",
                    "root_unit_id",
                    "offsets",
                    "announce",
                )
            }
            echo["target_kinds"] = forms.texts(form, "target_kinds")
            echo["target_blocks"] = forms.texts(form, "target_blocks")
            context = {**await _round_choices(session, officer), "form": echo, "error": exc.message}
            return render(request, "round_new.html", context, officer=officer, status=exc.status)
        return redirect(f"{PREFIX}/reports/rounds/{round_.id}?unit_id={root.id}")

    return router
