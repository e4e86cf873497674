"""Who may publish and edit archive documents, and editing one: fields, tags, visibility, then the search
index is brought in step. The API and the console both call these, so the rule exists once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from archive.document_numbers import DocumentKind
from archive.documents import ArchiveError, reindex
from archive.models import Document
from archive.tables import DocumentIndex, DocumentTag
from directory.access import AccessDenied, Scope
from directory.models import OrgUnit, Role

PUBLIC_ADMINS_ONLY = "Chỉ quản trị được đăng hoặc sửa văn bản công khai cho mọi đơn vị."


async def require_publisher(session: AsyncSession, *, scope: Scope, visibility_unit_id: int | None) -> None:
    """Publishing for everyone takes an admin; for a subtree, an officer of it."""
    if visibility_unit_id is None:
        if not scope.is_admin:
            raise AccessDenied(PUBLIC_ADMINS_ONLY)
        return
    unit = await session.get(OrgUnit, visibility_unit_id)
    if unit is None:
        raise ArchiveError("unknown_unit", "Không tìm thấy đơn vị.")
    scope.require(Role.officer, unit.path)


async def require_editor(session: AsyncSession, *, scope: Scope, document_id: int) -> None:
    """Editing (fields or files) takes what publishing where the document is visible takes."""
    row = await session.get(DocumentIndex, document_id)
    if row is None or row.visibility_path is None:
        if not scope.is_admin:
            raise AccessDenied(PUBLIC_ADMINS_ONLY)
        return
    scope.require(Role.officer, row.visibility_path)


@dataclass
class DocumentChanges:
    """None: unchanged. `tags` replaces the whole list."""

    kind: DocumentKind | None = None
    number: str | None = None
    issuer: str | None = None
    subject: str | None = None
    body: str | None = None
    issued_on: date | None = None
    tags: list[str] | None = None
    visibility_unit_id: int | None = None


async def update_document(
    session: AsyncSession, *, scope: Scope, document_id: int, changes: DocumentChanges
) -> Document:
    doc = await session.get(Document, document_id)
    if doc is None:
        raise ArchiveError("not_found", "Không tìm thấy văn bản.")
    await require_editor(session, scope=scope, document_id=doc.id)
    if changes.visibility_unit_id is not None:
        await require_publisher(session, scope=scope, visibility_unit_id=changes.visibility_unit_id)
    if changes.issuer is not None and not changes.issuer.strip():
        raise ArchiveError("empty_issuer", "Cần ghi cơ quan ban hành.")
    if changes.subject is not None and not changes.subject.strip():
        raise ArchiveError("empty_subject", "Cần ghi trích yếu.")
    if changes.kind is not None:
        doc.kind = changes.kind.value
    if changes.number is not None:
        doc.number = changes.number.strip()
    for name in ("issuer", "subject", "body", "issued_on"):
        value = getattr(changes, name)
        if value is not None:
            setattr(doc, name, value.strip() if isinstance(value, str) else value)
    if changes.tags is not None:
        await session.execute(delete(DocumentTag).where(DocumentTag.document_id == doc.id))
        for tag in dict.fromkeys(t.strip() for t in changes.tags if t.strip()):
            session.add(DocumentTag(document_id=doc.id, tag=tag[:64]))
    await session.flush()
    await reindex(session, document=doc, visibility_unit_id=changes.visibility_unit_id)
    return doc
