"""Registering documents: the number parsed into parts, visibility by subtree, tags, attachments, and
the folded search text kept in step (`reindex`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import bindparam, delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BindParameter

from archive.document_numbers import CODE_OF_KIND, DocumentKind, parse_number
from archive.models import Document
from archive.tables import DocumentFile, DocumentIndex, DocumentTag
from common.errors import DomainError
from common.vietnamese import fold
from directory import audit
from directory.access import AccessDenied, Scope
from directory.models import OrgUnit, Role
from storage.db import Database

MAX_FILE_BYTES = 20 * 1024 * 1024  # Telegram bots may send documents up to 50 MB; 20 MB is plenty
ALLOWED_TYPES: dict[str, str] = {
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "image/jpeg": ".jpg",
    "image/png": ".png",
}
_WORD = re.compile(r"[a-z0-9]+")


class ArchiveError(DomainError, ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code, status=404 if code == "unknown_unit" else 400)


def search_words(raw: str) -> list[str]:
    """Folded words: `Số 178/BC-LĐLĐ` → ['so', '178', 'bc', 'ldld']."""
    return _WORD.findall(fold(raw))


def index_text(*parts: str) -> str:
    """Folded words joined by spaces; a zero-padded number is indexed as written and as a number
    (`07` and `7`), so `chi thi 7` finds `07-CT/TW`."""
    words: list[str] = []
    for part in parts:
        for w in search_words(part):
            words.append(w)
            if w.isdigit() and w != str(int(w)):
                words.append(str(int(w)))
    return " ".join(words)


@dataclass
class NewDocument:
    kind: DocumentKind
    number: str
    issuer: str
    subject: str
    body: str = ""
    issued_on: date | None = None
    issuer_unit_id: int | None = None
    visibility_unit_id: int | None = None
    tags: Sequence[str] = ()


async def require_units_in_scope(session: AsyncSession, *, scope: Scope, new: NewDocument) -> None:
    """An officer registers documents only as (and for) units of its own subtree: the issuer unit and the
    visibility unit must both exist and lie in scope; no visibility unit (everyone) needs an admin."""
    if new.visibility_unit_id is None:
        if not scope.is_admin:
            raise AccessDenied("Chỉ quản trị được đăng văn bản công khai cho mọi đơn vị.")
    for unit_id in (new.issuer_unit_id, new.visibility_unit_id):
        if unit_id is None:
            continue
        unit = await session.get(OrgUnit, unit_id) if 0 < unit_id < 2**63 else None
        if unit is None:
            raise ArchiveError("unknown_unit", "Không tìm thấy đơn vị.")
        scope.require(Role.officer, unit.path)


async def create_document(session: AsyncSession, *, new: NewDocument, actor: str | None = None) -> Document:
    doc = Document(
        kind=new.kind.value,
        number=new.number.strip(),
        issuer=new.issuer,
        issued_on=new.issued_on,
        subject=new.subject,
        body=new.body,
    )
    session.add(doc)
    await session.flush()
    for tag in dict.fromkeys(t.strip() for t in new.tags if t.strip()):
        session.add(DocumentTag(document_id=doc.id, tag=tag[:64]))
    session.add(DocumentIndex(document_id=doc.id))
    await session.flush()
    row = await reindex(
        session, document=doc, issuer_unit_id=new.issuer_unit_id, visibility_unit_id=new.visibility_unit_id
    )
    if actor is not None:
        await audit.record(
            session, actor, "document.create", "document", doc.id, None,
            {"kind": doc.kind, "number": doc.number, "issuer_unit_id": new.issuer_unit_id,
             "visibility_unit_id": new.visibility_unit_id},
            unit_path=row.visibility_path,
        )  # fmt: skip
    return doc


async def reindex(
    session: AsyncSession,
    *,
    document: Document,
    issuer_unit_id: int | None = None,
    visibility_unit_id: int | None = None,
) -> DocumentIndex:
    """Recompute the parsed number, visibility path and folded text of one document."""
    row = await session.get(DocumentIndex, document.id)
    if row is None:
        row = DocumentIndex(document_id=document.id)
        session.add(row)
    parsed = parse_number(document.number) if document.number else None
    kind_code = parsed.kind_code if parsed and parsed.kind_code else None
    if kind_code is None and document.kind in DocumentKind._value2member_map_:
        kind_code = CODE_OF_KIND[DocumentKind(document.kind)]
    row.kind_code = kind_code
    row.number_value = parsed.number if parsed else None
    row.number_year = parsed.year if parsed else None
    row.issuer_code = parsed.issuer_code if parsed else None
    if issuer_unit_id is not None:
        row.issuer_unit_id = issuer_unit_id
    if visibility_unit_id is not None:
        unit = await session.get(OrgUnit, visibility_unit_id)
        if unit is None:
            raise ArchiveError("unknown_unit", "Không tìm thấy đơn vị.")
        row.visibility_unit_id, row.visibility_path = unit.id, unit.path
    tags = await tags_of(session, document_id=document.id)
    row.issued_on = document.issued_on
    row.head = index_text(document.kind, document.number, document.issuer, document.subject, *tags)
    row.body = index_text(document.body)
    await session.flush()
    await sync_fulltext(session, document_ids=[document.id])
    return row


async def sync_fulltext(session: AsyncSession, *, document_ids: Sequence[int]) -> None:
    """Bring the database's full-text structures up to date with `document_index` for these rows."""
    if not document_ids:
        return
    ids = list(document_ids)
    dialect = session.bind.dialect.name
    if dialect == "postgresql":
        await session.execute(
            text(
                # positions are not needed (ranking is by tier, see archive/search.py): stripped
                # vectors are several times smaller
                "UPDATE document_index SET head_vector = strip(to_tsvector('simple', head)),"
                " vector = strip(to_tsvector('simple', head || ' ' || body)) WHERE document_id = ANY(:ids)"
            ),
            {"ids": ids},
        )
    elif dialect == "sqlite" and await has_fts5(session):
        ids_param: BindParameter[Any] = bindparam("ids", expanding=True)
        await session.execute(
            text("DELETE FROM document_fts WHERE rowid IN :ids").bindparams(ids_param), {"ids": ids}
        )
        await session.execute(
            text(
                "INSERT INTO document_fts(rowid, head, body) SELECT document_id, head, body"
                " FROM document_index WHERE document_id IN :ids"
            ).bindparams(ids_param),
            {"ids": ids},
        )


async def has_fts5(session: AsyncSession) -> bool:
    found = await session.scalar(
        text("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'document_fts'")
    )
    return bool(found)


async def delete_document(session: AsyncSession, *, document_id: int) -> None:
    if session.bind.dialect.name == "sqlite" and await has_fts5(session):
        await session.execute(text("DELETE FROM document_fts WHERE rowid = :id"), {"id": document_id})
    for model in (DocumentIndex, DocumentTag, DocumentFile):
        await session.execute(delete(model).where(model.document_id == document_id))
    await session.execute(delete(Document).where(Document.id == document_id))


async def attach_file(
    session: AsyncSession,
    *,
    document_id: int,
    filename: str,
    mime_type: str,
    data: bytes,
    actor: str | None = None,
    unit_path: str | None = None,
) -> DocumentFile:
    if mime_type not in ALLOWED_TYPES:
        raise ArchiveError("bad_file_type", "Chỉ nhận tệp PDF, DOCX hoặc ảnh (JPG, PNG).")
    if not data:
        raise ArchiveError("empty_file", "Tệp rỗng.")
    if len(data) > MAX_FILE_BYTES:
        raise ArchiveError("file_too_large", "Tệp quá lớn (tối đa 20 MB).")
    file = DocumentFile(
        document_id=document_id, filename=filename[:255], mime_type=mime_type, size=len(data), data=data
    )
    session.add(file)
    await session.flush()
    if actor is not None:
        await audit.record(
            session, actor, "document.attach", "document", document_id, None,
            {"file_id": file.id, "filename": file.filename, "size": file.size}, unit_path=unit_path,
        )  # fmt: skip
    return file


async def files_of(session: AsyncSession, *, document_id: int) -> list[DocumentFile]:
    rows = await session.scalars(
        select(DocumentFile).where(DocumentFile.document_id == document_id).order_by(DocumentFile.id)
    )
    return list(rows)


async def tags_of(session: AsyncSession, *, document_id: int) -> list[str]:
    rows = await session.scalars(
        select(DocumentTag.tag).where(DocumentTag.document_id == document_id).order_by(DocumentTag.id)
    )
    return list(rows)


async def find_registered(session: AsyncSession, *, new: NewDocument) -> Document | None:
    """The document already registered with this kind, number and subject (an import's identity)."""
    return await session.scalar(
        select(Document)
        .where(
            Document.kind == new.kind.value,
            Document.number == new.number.strip(),
            Document.subject == new.subject,
        )
        .order_by(Document.id)
        .limit(1)
    )


async def remember_telegram_file(db: Database, *, file_row_id: int, file_id: str) -> None:
    """Keeps the file_id Telegram gave an uploaded attachment (a short transaction after the upload)."""
    async with db.transaction() as s:
        row = await s.get(DocumentFile, file_row_id)
        if row is not None and row.telegram_file_id is None:
            row.telegram_file_id = file_id
