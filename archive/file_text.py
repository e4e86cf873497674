"""The text of a document file a user hands Loa: .txt, .docx (python-docx) or .pdf (pypdf).

These functions block (disk, XML, PDF parsing): callers run them off the event loop with
`asyncio.to_thread`. Each refusal is an `UnreadableFile` whose message is one short Vietnamese reason."""

from __future__ import annotations

import unicodedata
from pathlib import Path

MAX_FILE_BYTES = 20 * 1024 * 1024  # the archive's attachment limit (archive.documents.MAX_FILE_BYTES)
MAX_TEXT_CHARS = 500_000  # about 150 pages; the folded search text grows with it
SUFFIXES = (".txt", ".docx", ".pdf")


class UnreadableFile(Exception):
    """The file cannot become a document; `str(exc)` says why, in Vietnamese."""


def read_text(path: Path) -> str:
    """The file's text in NFC, with blank runs collapsed; raises UnreadableFile."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise UnreadableFile("chỉ nhận tệp .txt, .docx hoặc .pdf")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise UnreadableFile(f"tệp quá lớn (tối đa {MAX_FILE_BYTES // (1024 * 1024)} MB)")
    if size == 0:
        raise UnreadableFile("tệp rỗng")
    try:
        if suffix == ".txt":
            text = _txt(path)
        elif suffix == ".docx":
            text = _docx(path)
        else:
            text = _pdf(path)
    except UnreadableFile:
        raise
    except Exception as exc:  # a damaged file raises whatever its parser raises
        raise UnreadableFile("tệp hỏng hoặc không mở được") from exc
    text = unicodedata.normalize("NFC", text)
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    text = "\n".join(lines).strip()
    if not text:
        raise UnreadableFile("không đọc được chữ trong tệp (có thể là bản scan)")
    if len(text) > MAX_TEXT_CHARS:
        raise UnreadableFile(f"văn bản quá dài (tối đa {MAX_TEXT_CHARS:,} ký tự)".replace(",", "."))
    return text


def _txt(path: Path) -> str:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            if encoding == "utf-16" and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
                continue
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile("tệp .txt không ở mã UTF-8; hãy lưu lại với mã UTF-8")


def _docx(path: Path) -> str:
    import docx  # python-docx; imported here so the service starts without touching it
    from docx.table import Table

    lines: list[str] = []
    for block in docx.Document(str(path)).iter_inner_content():
        if isinstance(block, Table):  # the header of an official letter is a two-column table
            for row in block.rows:
                seen: list[str] = []
                for cell in row.cells:  # a merged cell repeats in every column it spans
                    if cell.text not in seen:
                        seen.append(cell.text)
                lines += seen
        else:
            lines.append(block.text)
    return "\n".join(lines)


def _pdf(path: Path) -> str:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    if reader.is_encrypted:
        raise UnreadableFile("tệp PDF có mật khẩu")
    return "\n".join(page.extract_text() or "" for page in reader.pages)
