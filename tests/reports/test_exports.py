"""XLSX/CSV contents in the office layout, formula escaping, and the PNG chart."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from openpyxl import load_workbook

from reports.chart import completeness_chart
from reports.exports import collect, export_csv, export_xlsx, safe
from reports.rollup import completeness
from storage.db import Database
from tests.reports.test_rollup import filled


def test_formula_starts_are_escaped() -> None:
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert safe(text) == "'" + text
    assert safe("Công đoàn = tổ chức") == "Công đoàn = tổ chức"
    assert safe(-5) == -5  # numbers stay numbers


async def test_xlsx_office_layout_subtotals_and_missing_sheet(db: Database) -> None:
    async with db.transaction() as session:
        t, r = await filled(session)
        t.g["G5"].name = '=HYPERLINK("http://evil.example","bấm")'
        t.g["G4"].name = "@SUM(1+1)"
        await session.flush()
        content = await export_xlsx(session=session, round_=r, root=t.d1)
        whole = await export_xlsx(session=session, round_=r, root=t.p)
    head = load_workbook(io.BytesIO(content))["Tổng hợp"]
    assert (head["A1"].value, head["A2"].value) == ("CĐ P", "CĐ D1")  # issuing body and the unit, left
    right = [head.cell(row, 6).value for row in (1, 2, 3)]
    assert right[:2] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    assert str(right[2]).startswith("Ngày ") and " tháng " in str(right[2])
    wb = load_workbook(io.BytesIO(whole))
    assert wb.sheetnames == ["Tổng hợp", "Chưa nộp"]
    ws = wb["Tổng hợp"]
    rows = [list(row) for row in ws.iter_rows(values_only=True)]
    assert rows[3][0] == "BÁO CÁO TỔNG HỢP: BÁO CÁO CÔNG TÁC CÔNG ĐOÀN THÁNG 11/2026"
    assert "Hạn nộp: 23:59 20/11/2026" in rows[4][0]
    assert rows[6][:8] == [
        "STT",
        "Mã đơn vị",
        "Tên đơn vị",
        "Đơn vị cấp trên",
        "Khối",
        "Tình trạng",
        "Ngày nộp",
        "Số lần sửa",
    ]
    assert rows[6][8:] == [
        "Tổng số đoàn viên (người)",
        "Số đoàn viên kết nạp mới (người)",
        "Số người tham gia hoạt động (người)",
        "Tỷ lệ CNVCLĐ được tuyên truyền",
        "Có tổ chức hội nghị NLĐ",
    ]
    body = [(r[1], r[2], r[4], r[5], r[8], r[9], r[11], r[12]) for r in rows[7:16]]
    assert body == [
        ("G1", "CĐ G1", "Khối cơ quan", "Đúng hạn", 100, 10, 40, "Có"),
        ("G2", "CĐ G2", "Khối trường học", "Nộp muộn", 200, 20, 60, "Không"),
        (None, "Cộng: CĐ D1", None, "Đã nộp 2/2", 300, 30, 50, 1),
        ("G3", "CĐ G3", "Khối doanh nghiệp", "Đúng hạn", 1000, 5, None, None),
        ("G4", "@SUM(1+1)", "Khối cơ quan", "Chưa nộp", None, None, None, None),
        (None, "Cộng: CĐ S1", None, "Đã nộp 1/2", 1000, 5, None, None),
        ("G5", '=HYPERLINK("http://evil.example","bấm")', "Khối xã/phường", "Đúng hạn", 50, 7, 80, "Có"),
        (None, "Cộng: CĐ P", None, "Đã nộp 1/1", 50, 7, 80, 1),
        (None, "TỔNG CỘNG (CĐ P)", None, "Đã nộp 4/5", 1350, 42, 60, 2),
    ]
    # formulas typed as names are text cells, shown as typed, never run and with no stray apostrophe
    assert ws["C14"].data_type == "s" and ws["C12"].data_type == "s"
    # «Ngày nộp» is a real date cell in Việt Nam time; G3 corrected twice after its first revision
    assert rows[7][6] == datetime(2026, 11, 16, 10, 0) and ws["G8"].number_format == "dd/mm/yyyy hh:mm"
    assert rows[10][7] == 2
    # printable as it is: landscape, one page wide, header row on every page, panes frozen
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.page_setup.fitToHeight == 0 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$7:$7" and ws.freeze_panes == "D8"
    assert ws.column_dimensions["C"].width == len('=HYPERLINK("http://evil.example","bấm")') + 2  # fits
    signature = [c for row in rows[16:] for c in row if c]
    assert "NGƯỜI LẬP BIỂU" in signature and "TM. BAN THƯỜNG VỤ" in signature
    missing = [list(row) for row in wb["Chưa nộp"].iter_rows(values_only=True)]
    assert missing == [
        ["STT", "Mã đơn vị", "Tên đơn vị", "Đơn vị cấp trên", "Khối", "Chủ tịch CĐCS (đã đăng ký)"],
        [1, "G4", "@SUM(1+1)", "CĐ S1", "Khối cơ quan", "Chưa có"],
    ]


async def test_csv_has_one_row_per_unit_and_escapes_formulas(db: Database) -> None:
    async with db.transaction() as session:
        t, r = await filled(session)
        t.g["G1"].name = "-2+3"
        await session.flush()
        content = await export_csv(session=session, round_=r, root=t.d1)
    assert content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["STT", "Mã đơn vị", "Tên đơn vị"]
    assert [(x[1], x[2], x[5], x[8]) for x in rows[1:]] == [
        ("G1", "'-2+3", "Đúng hạn", "100"),
        ("G2", "CĐ G2", "Nộp muộn", "200"),
    ]


async def test_chart_is_a_png(db: Database) -> None:
    async with db.transaction() as session:
        t, r = await filled(session)
        rows = await completeness(session=session, round_=r, parent=t.p)
        data = await collect(session=session, round_=r, root=t.p)
    png = completeness_chart(rows, data.round_.title)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 2000
    assert completeness_chart([], "trống").startswith(b"\x89PNG")
