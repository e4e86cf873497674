"""The directory in the console: browse the tree (a unit's children, people with roles, bound groups),
search units, import a spreadsheet (dry run showing every bad row, then the real run), the audit log.
The same services and permission checks as api/units.py, api/people.py and api/audit.py."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from api.deps import listing_roots, unit_in_scope
from api.units import MAX_UPLOAD_BYTES
from common.errors import DomainError
from console import forms, queries
from console.web import ConsoleRoute, OfficerDep, PostingOfficerDep, SessionDep, render
from directory import audit, people, spreadsheet, tree, unit_import
from directory.access import AccessDenied
from directory.errors import ImportRejected
from directory.models import ROLE_LABELS, UNIT_KIND_LABELS, Chat, ChatKind, Role


def build_router() -> APIRouter:
    router = APIRouter(route_class=ConsoleRoute)

    @router.get("/units", response_class=HTMLResponse)
    async def units(
        request: Request, officer: OfficerDep, session: SessionDep, unit_id: int | None = None
    ) -> HTMLResponse:
        if unit_id is None:
            tops = await tree.units_at_paths(session, paths=officer.scope.roots(Role.officer))
            if not tops:
                raise AccessDenied()
            return render(request, "units.html", {"unit": None, "children": tops}, officer=officer)
        unit = await unit_in_scope(session, officer.scope, unit_id, Role.officer)
        ancestors = [
            a for a in await tree.ancestors(session, unit=unit) if officer.scope.allows(Role.officer, a.path)
        ]
        holders = await people.holders(session, unit_ids=[unit.id], roles=set(Role))
        groups = await session.scalars(
            select(Chat).where(Chat.unit_id == unit.id, Chat.kind == ChatKind.group).order_by(Chat.title)
        )
        context = {
            "unit": unit,
            "ancestors": ancestors,
            "children": await tree.children(session, unit=unit),
            "holders": holders,
            "groups": list(groups),
            "kind_labels": {k.value: v for k, v in UNIT_KIND_LABELS.items()},
            "role_labels": {k.value: v for k, v in ROLE_LABELS.items()},
        }
        return render(request, "units.html", context, officer=officer)

    @router.get("/units/search")
    async def search(officer: OfficerDep, session: SessionDep, q: str = "") -> list[dict[str, Any]]:
        found = await queries.search_units(session, scope=officer.scope, text=q)
        return [{"id": u.id, "code": u.code, "name": u.name} for u in found]

    @router.get("/units/import", response_class=HTMLResponse)
    async def import_form(request: Request, officer: OfficerDep) -> HTMLResponse:
        if not officer.scope.roots(Role.admin):
            raise AccessDenied("Chỉ quản trị viên được nhập danh sách đơn vị.")
        return render(request, "import.html", {}, officer=officer)

    @router.post("/units/import", response_class=HTMLResponse)
    async def import_file(request: Request, officer: PostingOfficerDep, session: SessionDep) -> Response:
        form = await request.form()
        upload = form.get("file")
        dry_run = forms.text(form, "mode") != "apply"
        context: dict[str, Any] = {"dry_run": dry_run}
        try:
            if upload is None or isinstance(upload, str) or not upload.filename:
                raise forms.FormInvalid("Chọn tệp XLSX hoặc CSV để nhập.")
            data = await upload.read(MAX_UPLOAD_BYTES + 1)
            async with session.begin_nested():
                rows = spreadsheet.read_table(data, filename=upload.filename, limit=MAX_UPLOAD_BYTES)
                result = await unit_import.import_units(
                    session, actor=officer.scope.actor, rows=rows, dry_run=dry_run, scope=officer.scope
                )
            context["result"] = result
            context["filename"] = upload.filename
        except ImportRejected as exc:
            context.update(error=exc.message, row_errors=exc.details.get("errors", []))
            return render(request, "import.html", context, officer=officer, status=exc.status)
        except DomainError as exc:
            context["error"] = exc.message
            return render(request, "import.html", context, officer=officer, status=exc.status)
        return render(request, "import.html", context, officer=officer)

    @router.get("/audit", response_class=HTMLResponse)
    async def audit_log(
        request: Request, officer: OfficerDep, session: SessionDep, before_id: int | None = None
    ) -> HTMLResponse:
        roots: list[str] | None = await listing_roots(session, officer.scope, Role.admin, None)
        if not roots:
            raise AccessDenied("Chỉ quản trị viên được xem nhật ký thay đổi.")
        if any(len(tree.path_ids(r)) == 1 for r in roots):
            roots = None  # as in the API: an admin of a root reads everything
        entries = await audit.list_entries(session, unit_paths=roots, limit=100, before_id=before_id)
        return render(request, "audit.html", {"entries": entries}, officer=officer)

    return router
