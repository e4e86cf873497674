"""The sample archive shipped in the package, and the header reader that also reads users' own files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from archive.document_header import stated_date, stated_issuer, stated_kind, stated_number, stated_subject
from archive.document_numbers import DocumentKind
from archive.file_text import MAX_TEXT_CHARS, UnreadableFile, read_text
from archive.folder_import import describe
from archive.sample import sample_documents, sample_path
from tests.archive.helpers_files import write_docx, write_pdf


def test_sample_facts_agree_with_what_each_text_states() -> None:
    docs = sample_documents()
    assert [d.kind for d in docs] == [
        DocumentKind.report,
        DocumentKind.directive,
        DocumentKind.plan,
        DocumentKind.notice,
    ]
    report = docs[0]
    assert (report.number, report.issued_on) == ("178/BC-LĐLĐ", date(2022, 7, 25))
    for doc in docs:
        assert len(doc.body) > 900, doc.subject  # enough text for search to mean something
        assert stated_number(doc.body) == doc.number
        assert stated_date(doc.body) == doc.issued_on
        if doc.number or doc.kind is not DocumentKind.notice:  # the news item has no title line
            assert stated_kind(doc.body) == doc.kind
            assert stated_subject(doc.body) == doc.subject
    assert stated_issuer(report.body) == "LIÊN ĐOÀN LAO ĐỘNG TỈNH QUẢNG NAM"
    assert sample_path("chi-thi-thong-tin-bao-cao.txt").read_text(encoding="utf-8").strip() == docs[1].body


def test_header_only_counts_a_number_stated_in_the_header() -> None:
    body_cites = "KẾ HOẠCH\nVề việc học tập\n" + "Nội dung.\n" * 20 + "Số: 07-CT/TW\n"
    assert stated_number(body_cites) == ""
    assert stated_kind(body_cites) is DocumentKind.plan
    assert stated_number("Số: 178 /BC-LĐLĐ\nQuảng Nam, ngày 25 tháng 7 năm 2022") == "178/BC-LĐLĐ"
    assert stated_kind("Số: 112/LĐLĐ-VP\nV/v số liệu") is DocumentKind.letter  # no kind code: a công văn
    assert stated_subject("Số: 112/LĐLĐ-VP\nV/v số liệu") == "V/v số liệu"


def test_describe_falls_back_to_the_callers_kind_and_the_file_name() -> None:
    with pytest.raises(UnreadableFile, match="--kind"):
        describe("Một ghi chú", filename="ghi-chu.txt")
    new = describe("Một ghi chú", filename="ghi_chu-hop.txt", kind=DocumentKind.notice)
    assert (new.kind, new.number, new.subject, new.issuer) == (
        DocumentKind.notice,
        "",
        "ghi chu hop",
        "Chưa rõ cơ quan ban hành",
    )
    header = "Số: 45/KH-LĐLĐ\n\nKẾ HOẠCH\nTháng Công nhân"
    stated = describe(header, filename="x.txt", kind=DocumentKind.letter)
    assert (stated.kind, stated.issuer, stated.subject) == (DocumentKind.plan, "LĐLĐ", "Tháng Công nhân")


def test_read_text_of_docx_pdf_and_txt(tmp_path: Path) -> None:
    docx = write_docx(
        tmp_path / "a.docx",
        number="178 /BC-LĐLĐ",
        place_date="Quảng Nam, ngày 25 tháng 7 năm 2022",
        title="BÁO CÁO",
        subject="Sơ kết công tác thông tin cơ sở",
        body="Nội dung báo cáo.",
    )
    text = read_text(docx)
    assert (stated_number(text), stated_date(text), stated_kind(text), stated_subject(text)) == (
        "178/BC-LĐLĐ",
        date(2022, 7, 25),
        DocumentKind.report,
        "Sơ kết công tác thông tin cơ sở",
    )
    assert stated_issuer(text) == "LIÊN ĐOÀN LAO ĐỘNG TỈNH QUẢNG NAM"
    pdf = read_text(write_pdf(tmp_path / "b.pdf", ["Số: 9/TB-LĐLĐ", "THÔNG BÁO", "Lịch nghỉ lễ"]))
    assert stated_number(pdf) == "9/TB-LĐLĐ" and "Lịch nghỉ lễ" in pdf
    (tmp_path / "bom.txt").write_bytes("\ufeffKẾ HOẠCH\r\nNăm 2025".encode())
    assert read_text(tmp_path / "bom.txt") == "KẾ HOẠCH\nNăm 2025"


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("a.doc", b"x", "chỉ nhận tệp .txt, .docx hoặc .pdf"),
        ("a.txt", b"", "tệp rỗng"),
        ("a.txt", "Kế hoạch".encode()[:2] + b"\xff\xfe", "không ở mã UTF-8"),
        ("a.txt", b"   \n\n ", "không đọc được chữ"),
        ("a.docx", b"PK not really", "tệp hỏng"),
        ("a.txt", b"a" * (MAX_TEXT_CHARS + 1), "văn bản quá dài (tối đa 500.000 ký tự)"),
    ],
)
def test_read_text_refuses_with_a_reason(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(UnreadableFile, match=reason.replace("(", r"\(").replace(")", r"\)")):
        read_text(path)


def test_read_text_refuses_a_file_over_the_size_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("archive.file_text.MAX_FILE_BYTES", 10)
    path = tmp_path / "big.txt"
    path.write_text("KẾ HOẠCH 2025", encoding="utf-8")
    with pytest.raises(UnreadableFile, match="tệp quá lớn"):
        read_text(path)
