from __future__ import annotations

import pytest

from archive.document_numbers import DocumentKind, DocumentNumber, kind_from_text, parse_number


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("178/BC-LĐLĐ", DocumentNumber(178, "BC", "LĐLĐ")),
        ("Số: 178 /BC-LĐLĐ", DocumentNumber(178, "BC", "LĐLĐ")),
        ("07-CT/TW", DocumentNumber(7, "CT", "TW")),
        ("98-KH/TU", DocumentNumber(98, "KH", "TU")),
        ("98KH/TU", DocumentNumber(98, "KH", "TU")),
        ("52/2016/QĐ-TTg", DocumentNumber(52, "QĐ", "TTg", 2016)),
        ("05/ NQ- ĐCT", DocumentNumber(5, "NQ", "ĐCT")),
        ("173 - TB/TW", DocumentNumber(173, "TB", "TW")),
        ("241/KH-TLĐ", DocumentNumber(241, "KH", "TLĐ")),
        ("123/LĐLĐ-VP", DocumentNumber(123, None, "LĐLĐ-VP")),
    ],
)
def test_parse_number_shapes(raw: str, expected: DocumentNumber) -> None:
    assert parse_number(raw) == expected


@pytest.mark.parametrize("raw", ["", "Chỉ thị", "178", "BC-LĐLĐ", "abc/def", "12/ab-CD"])
def test_parse_number_refuses_what_is_not_a_number(raw: str) -> None:
    assert parse_number(raw) is None


def test_kind_of_parsed_number_and_typed_kinds() -> None:
    assert parse_number("07-CT/TW").kind is DocumentKind.directive  # type: ignore[union-attr]
    assert parse_number("123/LĐLĐ-VP").kind is None  # type: ignore[union-attr]
    assert kind_from_text("chi thi") is DocumentKind.directive
    assert kind_from_text("Kế hoạch") is DocumentKind.plan
    assert kind_from_text("qd") is DocumentKind.decision
    assert kind_from_text("tin") is None
