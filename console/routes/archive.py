"""The archive in the console: search, publish a document, edit it, attach and download files. The same
services and rules as api/archive.py (archive.editing decides who may publish and edit)."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from archive import documents
from archive.document_numbers import DocumentKind
from archive.editing import DocumentChanges, require_editor, update_document
from archive.models import Document
from archive.search import Viewer, search, visible_document
from archive.tables import DocumentFile, DocumentIndex
from common.errors import DomainError
from common.vietnamese import parse_date
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
from directory import tree
from directory.models import Role

NOTICES = {"saved": "Đã lưu văn bản.", "attached": "Đã đính kèm tệp."}


def _kind(raw: str) -> DocumentKind:
    try:
        return DocumentKind(raw)
    except ValueError as exc:
        raise forms.FormInvalid("Loại văn bản không hợp lệ.") from exc


def _date(raw: str) -> date | None:
    if not raw:
        return None
    parsed = parse_date(raw) if "/" in raw else date.fromisoformat(raw)
    if parsed is None:
        raise forms.FormInvalid("Ngày ban hành không hợp lệ (dd/mm/yyyy).")
    return parsed


def _echo(form: FormData) -> dict[str, Any]:
    keys = ("kind", "number", "issuer", "subject", "body", "issued_on", "tags", "visibility_unit_id")
    return {k: forms.text(form, k) for k in keys}


async def _units(session: AsyncSession, officer: Officer) -> list[Any]:
    own = await tree.units_at_paths(session, paths=officer.scope.roots(Role.officer))
    units = []
    for unit in own:
        units.append(unit)
        units.extend(await tree.children(session, unit=unit))
    return units


async def _choices(session: AsyncSession, officer: Officer) -> dict[str, Any]:
    return {"kinds": list(DocumentKind), "units": await _units(session, officer)}


async def _visible(session: AsyncSession, officer: Officer, document_id: int) -> Document:
    doc = await visible_document(session, viewer=Viewer.of(officer.scope), document_id=document_id)
    if doc is None:
        raise documents.ArchiveError("not_found", "Không tìm thấy văn bản.")
    return doc


async def _doc_page(
    request: Request, officer: Officer, session: AsyncSession, doc: Document, **extra: Any
) -> HTMLResponse:
    row = await session.get(DocumentIndex, doc.id)
    tags = await documents.tags_of(session, document_id=doc.id)
    form = extra.pop("form", None) or {
        "kind": doc.kind,
        "number": doc.number,
        "issuer": doc.issuer,
        "subject": doc.subject,
        "body": doc.body,
        "issued_on": doc.issued_on.isoformat() if doc.issued_on else "",
        "tags": ", ".join(tags),
        "visibility_unit_id": str(row.visibility_unit_id or "") if row else "",
    }
    try:
        await require_editor(session, scope=officer.scope, document_id=doc.id)
        editable = True
    except DomainError:
        editable = False
    context = {
        "doc": doc,
        "tags": tags,
        "files": await documents.files_of(session, document_id=doc.id),
        "form": form,
        "editable": editable,
        "kinds": list(DocumentKind),
        "units": await _units(session, officer),
        **extra,
    }
    return render(request, "document.html", context, officer=officer, status=extra.get("status", 200))


def build_router() -> APIRouter:
    router = APIRouter(prefix="/archive", route_class=ConsoleRoute)

    @router.get("", response_class=HTMLResponse)
    async def index(request: Request, officer: OfficerDep, session: SessionDep, q: str = "") -> HTMLResponse:
        hits = (
            (await search(session, viewer=Viewer.of(officer.scope), text=q, page_size=30)).hits if q else []
        )
        context = {
            "q": q,
            "hits": hits,
            "kinds": list(DocumentKind),
            "units": await _units(session, officer),
            "form": {},
        }
        return render(request, "archive.html", context, officer=officer)

    @router.post("", response_class=HTMLResponse)
    async def publish(request: Request, officer: PostingOfficerDep, session: SessionDep) -> Response:
        form = await request.form()
        try:
            async with session.begin_nested():
                if not forms.text(form, "issuer") or not forms.text(form, "subject"):
                    raise forms.FormInvalid("Cần ghi cơ quan ban hành và trích yếu.")
                new = documents.NewDocument(
                    kind=_kind(forms.text(form, "kind")),
                    number=forms.text(form, "number"),
                    issuer=forms.text(form, "issuer"),
                    subject=forms.text(form, "subject"),
                    body=forms.text(form, "body"),
                    issued_on=_date(forms.text(form, "issued_on")),
                    visibility_unit_id=forms.int_or_none(form, "visibility_unit_id"),
                    tags=forms.codes(forms.text(form, "tags")),
                )
                await documents.require_units_in_scope(session, scope=officer.scope, new=new)
                doc = await documents.create_document(session, new=new, actor=officer.scope.actor)
        except DomainError as exc:
            context = {
                "q": "",
                "hits": [],
                "kinds": list(DocumentKind),
                "units": await _units(session, officer),
                "form": _echo(form),
                "error": exc.message,
            }
            return render(request, "archive.html", context, officer=officer, status=exc.status)
        return redirect(f"{PREFIX}/archive/{doc.id}?notice=saved")

    @router.get("/{document_id}", response_class=HTMLResponse)
    async def page(
        request: Request, document_id: int, officer: OfficerDep, session: SessionDep, notice: str = ""
    ) -> HTMLResponse:
        doc = await _visible(session, officer, document_id)
        return await _doc_page(request, officer, session, doc, notice=NOTICES.get(notice, ""))

    @router.post("/{document_id}", response_class=HTMLResponse)
    async def edit(
        request: Request, document_id: int, officer: PostingOfficerDep, session: SessionDep
    ) -> Response:
        form = await request.form()
        doc = await _visible(session, officer, document_id)
        try:
            async with session.begin_nested():
                await update_document(
                    session,
                    scope=officer.scope,
                    document_id=doc.id,
                    changes=DocumentChanges(
                        kind=_kind(forms.text(form, "kind")),
                        number=forms.text(form, "number"),
                        issuer=forms.text(form, "issuer"),
                        subject=forms.text(form, "subject"),
                        body=forms.text(form, "body"),
                        issued_on=_date(forms.text(form, "issued_on")),
                        tags=forms.codes(forms.text(form, "tags")),
                        visibility_unit_id=forms.int_or_none(form, "visibility_unit_id"),
                    ),
                )
        except DomainError as exc:
            doc = await _visible(session, officer, document_id)
            return await _doc_page(
                request, officer, session, doc, form=_echo(form), error=exc.message, status=exc.status
            )
        return redirect(f"{PREFIX}/archive/{doc.id}?notice=saved")

    @router.post("/{document_id}/files", response_class=HTMLResponse)
    async def attach(
        request: Request, document_id: int, officer: PostingOfficerDep, session: SessionDep
    ) -> Response:
        form = await request.form()
        upload = form.get("file")
        doc = await _visible(session, officer, document_id)
        try:
            async with session.begin_nested():
                await require_editor(session, scope=officer.scope, document_id=doc.id)
                if upload is None or isinstance(upload, str) or not upload.filename:
                    raise forms.FormInvalid("Chọn tệp để đính kèm.")
                await documents.attach_file(
                    session,
                    document_id=doc.id,
                    filename=upload.filename,
                    mime_type=upload.content_type or "",
                    data=await upload.read(documents.MAX_FILE_BYTES + 1),
                )
        except DomainError as exc:
            doc = await _visible(session, officer, document_id)
            return await _doc_page(request, officer, session, doc, error=exc.message, status=exc.status)
        return redirect(f"{PREFIX}/archive/{doc.id}?notice=attached")

    @router.get("/{document_id}/files/{file_id}")
    async def download(document_id: int, file_id: int, officer: OfficerDep, session: SessionDep) -> Response:
        await _visible(session, officer, document_id)
        stored = await session.get(DocumentFile, file_id)
        if stored is None or stored.document_id != document_id:
            raise documents.ArchiveError("not_found", "Không tìm thấy tệp.")
        disposition = f"attachment; filename*=UTF-8''{quote(stored.filename)}"
        return Response(
            stored.data, media_type=stored.mime_type, headers={"Content-Disposition": disposition}
        )

    return router
