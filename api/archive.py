"""Admin API for the document archive: register documents (visibility by subtree), attach files, search
(only what the caller may see), read one document and download its files."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.deps import ScopeDep, SessionDep
from api.downloads import attachment
from api.errors import ApiError
from api.types import Id, SaneDate
from archive import documents
from archive.document_numbers import DocumentKind
from archive.editing import DocumentChanges, require_editor, update_document
from archive.models import Document
from archive.search import Viewer, search, visible_document
from archive.tables import DocumentFile, DocumentIndex


class DocumentIn(BaseModel):
    kind: DocumentKind
    number: str = Field(default="", max_length=64)
    issuer: str = Field(min_length=1, max_length=255)
    subject: str = Field(min_length=1, max_length=2000)
    body: str = Field(default="", max_length=1_000_000)
    issued_on: SaneDate | None = None
    issuer_unit_id: Id | None = None
    visibility_unit_id: Id | None = Field(default=None, description="None: visible to everyone (admins only)")
    tags: list[Annotated[str, Field(max_length=64)]] = Field(default_factory=list, max_length=20)


class DocumentPatch(BaseModel):
    """Only the fields sent change; `tags` replaces the list; visibility can move to another unit."""

    kind: DocumentKind | None = None
    number: str | None = Field(default=None, max_length=64)
    issuer: str | None = Field(default=None, min_length=1, max_length=255)
    subject: str | None = Field(default=None, min_length=1)
    body: str | None = None
    issued_on: date | None = None
    visibility_unit_id: int | None = None
    tags: list[str] | None = Field(default=None, max_length=20)


async def _document_out(session: SessionDep, doc: Document) -> dict[str, Any]:
    row = await session.get(DocumentIndex, doc.id)
    files = await documents.files_of(session, document_id=doc.id)
    return {
        "id": doc.id,
        "kind": doc.kind,
        "number": doc.number,
        "number_parts": {
            "number": row.number_value if row else None,
            "year": row.number_year if row else None,
            "kind_code": row.kind_code if row else None,
            "issuer_code": row.issuer_code if row else None,
        },
        "issuer": doc.issuer,
        "issued_on": doc.issued_on.isoformat() if doc.issued_on else None,
        "subject": doc.subject,
        "body": doc.body,
        "visibility_unit_id": row.visibility_unit_id if row else None,
        "tags": await documents.tags_of(session, document_id=doc.id),
        "files": [
            {"id": f.id, "filename": f.filename, "mime_type": f.mime_type, "size": f.size} for f in files
        ],
    }


def build_router() -> APIRouter:
    router = APIRouter(prefix="/archive", tags=["archive"])

    @router.post("/documents", status_code=201)
    async def create(body: DocumentIn, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
        new = documents.NewDocument(**body.model_dump())
        await documents.require_units_in_scope(session, scope=scope, new=new)
        doc = await documents.create_document(session, new=new, actor=scope.actor)
        return await _document_out(session, doc)

    @router.get("/documents/search")
    async def find(
        session: SessionDep,
        scope: ScopeDep,
        q: str = Query(min_length=1, max_length=200),
        page: int = Query(default=0, ge=0, le=1000),
        page_size: int = Query(default=10, ge=1, le=50),
    ) -> dict[str, Any]:
        result = await search(session, viewer=Viewer.of(scope), text=q, page=page, page_size=page_size)
        return {
            "page": result.page,
            "has_next": result.has_next,
            "items": [
                {
                    "id": h.document_id,
                    "kind": h.kind,
                    "number": h.number,
                    "issuer": h.issuer,
                    "subject": h.subject,
                    "issued_on": h.issued_on.isoformat() if h.issued_on else None,
                    "rank": round(h.rank, 4),
                }
                for h in result.hits
            ],
        }

    async def _visible(session: SessionDep, scope: ScopeDep, document_id: Id) -> Document:
        doc = await visible_document(session, viewer=Viewer.of(scope), document_id=document_id)
        if doc is None:
            raise ApiError(404, "not_found", "Không tìm thấy văn bản.")
        return doc

    @router.get("/documents/{document_id}")
    async def read(document_id: Id, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
        return await _document_out(session, await _visible(session, scope, document_id))

    @router.patch("/documents/{document_id}")
    async def edit(
        document_id: int, body: DocumentPatch, session: SessionDep, scope: ScopeDep
    ) -> dict[str, Any]:
        await _visible(session, scope, document_id)
        doc = await update_document(
            session, scope=scope, document_id=document_id, changes=DocumentChanges(**body.model_dump())
        )
        return await _document_out(session, doc)

    @router.post("/documents/{document_id}/files", status_code=201)
    async def upload(
        document_id: Id, file: UploadFile, session: SessionDep, scope: ScopeDep
    ) -> dict[str, Any]:
        doc = await _visible(session, scope, document_id)
        await require_editor(session, scope=scope, document_id=doc.id)
        row = await session.get(DocumentIndex, doc.id)
        data = await file.read(documents.MAX_FILE_BYTES + 1)
        stored = await documents.attach_file(
            session,
            document_id=doc.id,
            filename=file.filename or "tep",
            mime_type=file.content_type or "",
            data=data,
            actor=scope.actor,
            unit_path=row.visibility_path if row is not None else None,
        )
        return {
            "id": stored.id,
            "filename": stored.filename,
            "mime_type": stored.mime_type,
            "size": stored.size,
        }

    @router.get("/documents/{document_id}/files/{file_id}")
    async def download(document_id: Id, file_id: Id, session: SessionDep, scope: ScopeDep) -> Response:
        await _visible(session, scope, document_id)
        stored = await session.get(DocumentFile, file_id)
        if stored is None or stored.document_id != document_id:
            raise ApiError(404, "not_found", "Không tìm thấy tệp.")
        return Response(stored.data, media_type=stored.mime_type, headers=attachment(stored.filename))

    return router
