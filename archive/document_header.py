"""What a document's own header states: its number and symbol, its place-and-date line, its kind (the
title line, `BÁO CÁO`) and its subject (the line under the title, or `V/v …`).

Union documents put these in the first lines, so only the header is read: a body that cites
`Chỉ thị số 07-CT/TW` must not become the document's own number."""

from __future__ import annotations

import re
from datetime import date

from archive.document_numbers import DocumentKind, kind_from_text, parse_number
from common.vietnamese import fold, parse_date

HEADER_LINES = 12  # a .docx header table adds a few lines (issuer, motto) before the number and date
_NUMBER_LINE = re.compile(r"^\s*Số\s*:\s*(.+?)\s*$", re.MULTILINE)
# `Quảng Nam, ngày 25 tháng 7 năm 2022`: the place and date line of the header
_DATE_LINE = re.compile(
    r"^[^,\n]{2,60},\s*(ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4})\s*$", re.MULTILINE
)
_SUBJECT_PREFIX = re.compile(r"^(v/v|về việc)\b", re.IGNORECASE)


def _lines(text: str, limit: int = HEADER_LINES) -> list[str]:
    return [line.strip() for line in text.strip().splitlines() if line.strip()][:limit]


def stated_number(text: str) -> str:
    """The `Số: 178 /BC-LĐLĐ` of a document's header, normalised to `178/BC-LĐLĐ`; '' if none."""
    match = _NUMBER_LINE.search("\n".join(_lines(text)))
    if not match or parse_number(match.group(1)) is None:
        return ""
    return re.sub(r"\s+", "", match.group(1))


def stated_date(text: str) -> date | None:
    match = _DATE_LINE.search("\n".join(_lines(text)))
    return parse_date(match.group(1)) if match else None


def _title_index(lines: list[str]) -> int | None:
    for i, line in enumerate(lines):
        if line.isupper() and kind_from_text(line) is not None and len(line) <= 20:
            return i
    return None


def stated_kind(text: str) -> DocumentKind | None:
    """The kind from the number's code (`BC` → Báo cáo; none, as in `112/LĐLĐ-VP`, is a công văn),
    else from the title line (`KẾ HOẠCH`)."""
    number = stated_number(text)
    parsed = parse_number(number) if number else None
    if parsed is not None:
        return parsed.kind if parsed.kind_code else DocumentKind.letter
    lines = _lines(text)
    title = _title_index(lines)
    return kind_from_text(lines[title]) if title is not None else None


def stated_subject(text: str) -> str:
    """The trích yếu: the line under the title, or a `V/v …` line; '' if the header states none."""
    lines = _lines(text)
    title = _title_index(lines)
    if title is not None and title + 1 < len(lines):
        return lines[title + 1]
    return next((line for line in lines if _SUBJECT_PREFIX.match(line)), "")


def stated_issuer(text: str) -> str:
    """The issuing body printed above the number (`LIÊN ĐOÀN LAO ĐỘNG TỈNH QUẢNG NAM`); '' if none."""
    for line in _lines(text, 4):
        if _NUMBER_LINE.match(line) or _DATE_LINE.match(line):
            break
        folded = fold(line)
        if line.isupper() and ("doan" in folded or folded.startswith("ban ")) and "doc lap" not in folded:
            return line
    return ""
