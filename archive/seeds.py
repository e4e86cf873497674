"""Importing the seed documents (`../shared/seeds/`): real union texts with the numbers and dates they
state. A seed that states no number keeps an empty number; importing twice adds nothing."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from archive.documents import NewDocument, create_document
from archive.models import Document
from archive.numbers import DocumentKind, parse_number
from common.vietnamese import parse_date


@dataclass(frozen=True)
class SeedSpec:
    filename: str
    kind: DocumentKind
    issuer: str
    subject: str
    tags: tuple[str, ...]


SEEDS: tuple[SeedSpec, ...] = (
    SeedSpec(
        "bao-cao-so-ket-chi-thi-07.txt",
        DocumentKind.report,
        "LĐLĐ tỉnh Quảng Nam",
        "Sơ kết 05 năm triển khai thực hiện Chỉ thị số 07-CT/TW ngày 05/9/2016 của Ban Bí thư khoá XII "
        "“Về đẩy mạnh công tác thông tin cơ sở trong tình hình mới”",
        ("thông tin cơ sở", "Chỉ thị 07-CT/TW", "sơ kết"),
    ),
    SeedSpec(
        "chi-thi-cong-tac-thong-tin-bao-cao.txt",
        DocumentKind.directive,
        "Tổng Liên đoàn Lao động Việt Nam",
        "Về tiếp tục đổi mới và nâng cao hiệu quả công tác thông tin, báo cáo "
        "trong hệ thống tổ chức Công đoàn",
        ("thông tin báo cáo", "văn thư lưu trữ"),
    ),
    SeedSpec(
        "ke-hoach-cai-cach-hanh-chinh-2025.txt",
        DocumentKind.plan,
        "Ban Thường vụ LĐLĐ tỉnh",
        "Cải cách hành chính trong hệ thống Công đoàn đến năm 2025",
        ("cải cách hành chính", "CCHC"),
    ),
    SeedSpec(
        # a news item, filed as a notice (the archive knows the eight kinds of directive documents)
        "tin-doan-kiem-tra-cchc.txt",
        DocumentKind.notice,
        "LĐLĐ tỉnh",
        "Đoàn kiểm tra của Tổng Liên đoàn Lao động Việt Nam làm việc với Liên đoàn Lao động tỉnh",
        ("tin tức", "cải cách hành chính", "CCHC"),
    ),
)

_NUMBER_LINE = re.compile(r"^\s*Số\s*:\s*(.+?)\s*$", re.MULTILINE)
# `Quảng Nam, ngày 25 tháng 7 năm 2022`: the place and date line of the header
_DATE_LINE = re.compile(
    r"^[^,\n]{2,60},\s*(ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4})\s*$", re.MULTILINE
)
_HEADER_LINES = 8  # the number and the date stand in the document's header, not in its body


def stated_number(text: str) -> str:
    """The `Số: 178 /BC-LĐLĐ` of a document's header, normalised to `178/BC-LĐLĐ`; '' if none."""
    header = "\n".join(text.strip().splitlines()[:_HEADER_LINES])
    match = _NUMBER_LINE.search(header)
    if not match or parse_number(match.group(1)) is None:
        return ""
    return re.sub(r"\s+", "", match.group(1))


def stated_date(text: str) -> date | None:
    header = "\n".join(text.strip().splitlines()[:_HEADER_LINES])
    match = _DATE_LINE.search(header)
    return parse_date(match.group(1)) if match else None


def default_seeds_dir() -> Path:
    env = os.environ.get("LOA_SEEDS_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"


async def import_seed_documents(session: AsyncSession, seeds_dir: Path | str | None = None) -> list[Document]:
    """Import the seeds found in `seeds_dir`; returns every seed document (new or already there)."""
    folder = Path(seeds_dir) if seeds_dir else default_seeds_dir()
    docs: list[Document] = []
    for spec in SEEDS:
        path = folder / spec.filename
        if not path.is_file():
            continue
        existing = await session.scalar(
            select(Document).where(Document.kind == spec.kind.value, Document.subject == spec.subject)
        )
        if existing is not None:
            docs.append(existing)
            continue
        text = path.read_text(encoding="utf-8").strip()
        new = NewDocument(
            kind=spec.kind,
            number=stated_number(text),
            issuer=spec.issuer,
            subject=spec.subject,
            body=text,
            issued_on=stated_date(text),
            tags=spec.tags,
        )
        docs.append(await create_document(session, new=new))
    return docs
