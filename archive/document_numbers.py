"""Document kinds and the "số và ký hiệu" of a document, parsed into its parts.

Two shapes are in use:
- party documents: `07-CT/TW`, `98-KH/TU` (number, kind code, issuer), sometimes typed `98KH/TU`;
- state and union documents: `178/BC-LĐLĐ`, `52/2016/QĐ-TTg` (number, optional year, kind, issuer).
An official letter (công văn) carries no kind code: `123/LĐLĐ-VP` is the issuer and its department.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class DocumentKind(StrEnum):
    directive = "Chỉ thị"
    resolution = "Nghị quyết"
    plan = "Kế hoạch"
    report = "Báo cáo"
    letter = "Công văn"
    notice = "Thông báo"
    guidance = "Hướng dẫn"
    decision = "Quyết định"


KIND_CODES: dict[str, DocumentKind] = {
    "CT": DocumentKind.directive,
    "NQ": DocumentKind.resolution,
    "KH": DocumentKind.plan,
    "BC": DocumentKind.report,
    "CV": DocumentKind.letter,
    "TB": DocumentKind.notice,
    "HD": DocumentKind.guidance,
    "QĐ": DocumentKind.decision,
}
CODE_OF_KIND: dict[DocumentKind, str] = {kind: code for code, kind in KIND_CODES.items()}

_CODE = r"[A-ZĐ]+"
_ISSUER = r"[A-Za-zĐđ0-9.\-]+"
_PARTY = re.compile(rf"^(\d+)-?({_CODE})/({_ISSUER})$")
_STATE = re.compile(rf"^(\d+)/(?:(\d{{4}})/)?({_CODE})-({_ISSUER})$")


@dataclass(frozen=True)
class DocumentNumber:
    number: int
    kind_code: str | None
    issuer_code: str
    year: int | None = None

    @property
    def kind(self) -> DocumentKind | None:
        return KIND_CODES.get(self.kind_code) if self.kind_code else None


def parse_number(raw: str) -> DocumentNumber | None:
    """`178 /BC-LĐLĐ` → DocumentNumber(178, "BC", "LĐLĐ"); None when it is not a document number."""
    text = re.sub(r"\s+", "", raw.strip()).removeprefix("Số:").removeprefix("số:")
    text = unicodedata.normalize("NFC", text)
    party = _PARTY.match(text)
    if party:
        number, code, issuer = party.groups()
        return DocumentNumber(int(number), code, issuer)
    state = _STATE.match(text)
    if state:
        number, year, code, issuer = state.groups()
        if code not in KIND_CODES:  # a công văn: `123/LĐLĐ-VP` names the issuer and its department
            return DocumentNumber(int(number), None, f"{code}-{issuer}", int(year) if year else None)
        return DocumentNumber(int(number), code, issuer, int(year) if year else None)
    return None


def kind_from_text(text: str) -> DocumentKind | None:
    """`chi thi`, `Chỉ thị`, `CT` → DocumentKind.directive."""
    from common.vietnamese import fold

    folded = fold(text)
    for kind in DocumentKind:
        if folded == fold(kind.value):
            return kind
    return KIND_CODES.get(text.strip().upper().replace("QD", "QĐ"))
