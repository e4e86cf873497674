"""`loa archive import DIR`: a user's own documents (.txt, .docx, .pdf) from a folder they name.

The number, date, kind and subject come from each document's header (archive.document_header); what a
header does not state comes from the caller's defaults or the file name. Files are read off the event
loop. A file that cannot become a document is skipped with one Vietnamese line saying why; a document
already registered (same kind, number and subject) is not added twice. The original .docx or .pdf is
attached, so `/vanban` can send it."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from archive.document_header import stated_date, stated_issuer, stated_kind, stated_number, stated_subject
from archive.document_numbers import DocumentKind, parse_number
from archive.documents import ALLOWED_TYPES, NewDocument, attach_file, create_document, find_registered
from archive.file_text import UnreadableFile, read_text
from archive.models import Document

UNKNOWN_ISSUER = "Chưa rõ cơ quan ban hành"
_MIME_OF = {suffix: mime for mime, suffix in ALLOWED_TYPES.items()}


@dataclass
class FolderImport:
    added: list[Document] = field(default_factory=list)
    existing: list[Document] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # «name»: bỏ qua — why


def describe(
    text: str, *, filename: str, kind: DocumentKind | None = None, issuer: str | None = None
) -> NewDocument:
    """A document from a file's text; raises UnreadableFile when its kind is neither stated nor given."""
    stated = stated_kind(text) or kind
    if stated is None:
        raise UnreadableFile("không nhận ra loại văn bản (Chỉ thị, Kế hoạch, Báo cáo…); chỉ định bằng --kind")
    number = stated_number(text)
    parsed = parse_number(number) if number else None
    who = issuer or stated_issuer(text) or (parsed.issuer_code if parsed else "") or UNKNOWN_ISSUER
    subject = stated_subject(text) or re.sub(r"[-_]+", " ", Path(filename).stem).strip()
    return NewDocument(
        kind=stated,
        number=number,
        issuer=who[:255],
        subject=subject,
        body=text,
        issued_on=stated_date(text),
    )


def _files_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


async def import_folder(
    session: AsyncSession,
    *,
    folder: Path,
    kind: DocumentKind | None = None,
    issuer: str | None = None,
) -> FolderImport:
    """Import every file directly inside `folder` (hidden files and subfolders are left alone)."""
    result = FolderImport()
    for path in await asyncio.to_thread(_files_in, folder):
        try:
            text = await asyncio.to_thread(read_text, path)
            new = describe(text, filename=path.name, kind=kind, issuer=issuer)
        except UnreadableFile as exc:
            result.skipped.append(f"«{path.name}»: bỏ qua — {exc}")
            continue
        existing = await find_registered(session, new=new)
        if existing is not None:
            result.existing.append(existing)
            continue
        doc = await create_document(session, new=new)
        mime = _MIME_OF.get(path.suffix.lower())
        if mime is not None:
            data = await asyncio.to_thread(path.read_bytes)
            await attach_file(session, document_id=doc.id, filename=path.name, mime_type=mime, data=data)
        result.added.append(doc)
    return result
