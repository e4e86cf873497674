"""XLSX in the layout offices print, sign and stamp, and CSV: one row per unit, one column per field,
Vietnamese headers, subtotal rows per parent unit, and a sheet of the units that have not submitted.

The XLSX follows an administrative document: the issuing body on the left and «CỘNG HÒA XÃ HỘI CHỦ NGHĨA
VIỆT NAM — Độc lập - Tự do - Hạnh phúc» on the right, the title, period and deadline, then the table
(landscape A4, one page wide, header row repeated on every page, panes frozen, widths that fit the names),
and the date line and signature block (người lập biểu, TM. Ban Thường vụ). Blocks are shown by their
names, dates are real date cells.

Formula injection: in the XLSX every text is a typed text cell, never a formula, so nothing shows a stray
apostrophe; in the CSV (which has no types) text starting with = + - @ (or a tab / CR) is prefixed with '.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.cells import strip_illegal
from common.vietnamese import VN_TZ, format_datetime
from directory.models import Block, OrgUnit
from directory.tree import in_subtree
from reports.forms import Aggregation, FieldSpec, FieldType, Form
from reports.models import ReportRound, ReportSubmission, ReportTarget, ReportValue
from reports.recipients import leaders_of
from reports.services import form_of_round
from storage.base import utcnow

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOLD = Font(bold=True)
SUBTOTAL_FILL = PatternFill("solid", fgColor="FFF2CC")
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
THIN = Side(style="thin", color="808080")
GRID = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_ROW = 7
DATE_FORMAT = "dd/mm/yyyy hh:mm"
NAME_COLUMNS = {3: 45, 4: 35}  # Tên đơn vị, Đơn vị cấp trên: widest allowed before wrapping


def safe(value: Any) -> Any:
    """Neutralise text that a spreadsheet would read as a formula (or could not hold at all)."""
    if isinstance(value, str):
        value = strip_illegal(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@dataclass
class UnitRow:
    unit: OrgUnit
    parent_name: str
    submission: ReportSubmission | None
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        if self.submission is None:
            return "Chưa nộp"
        return "Nộp muộn" if self.submission.is_late else "Đúng hạn"


@dataclass
class ExportData:
    round_: ReportRound
    form: Form
    root: OrgUnit
    rows: list[UnitRow]
    blocks: dict[str, str] = field(default_factory=dict)  # code → name shown to people
    issuer: str = ""  # the body above the root, shown above it in the header block

    def block_name(self, code: str | None) -> str:
        return self.blocks.get(code, code) if code else ""


async def collect(*, session: AsyncSession, round_: ReportRound, root: OrgUnit) -> ExportData:
    """Target units of the subtree in tree order, with their latest values."""
    form = await form_of_round(session=session, round_=round_)
    parent = OrgUnit.__table__.alias("parent")
    result = await session.execute(
        select(OrgUnit, parent.c.name, ReportSubmission)
        .join(ReportTarget, ReportTarget.unit_id == OrgUnit.id)
        .outerjoin(parent, parent.c.id == OrgUnit.parent_id)
        .outerjoin(
            ReportSubmission,
            and_(ReportSubmission.round_id == ReportTarget.round_id, ReportSubmission.unit_id == OrgUnit.id),
        )
        .where(ReportTarget.round_id == round_.id, in_subtree(OrgUnit.path, root.path, dialect=session))
        .order_by(OrgUnit.path)
    )
    rows = [UnitRow(unit, parent_name or "", sub) for unit, parent_name, sub in result.tuples()]
    values: dict[int, dict[str, Any]] = defaultdict(dict)
    stored = await session.execute(
        select(ReportValue.unit_id, ReportValue.field_key, ReportValue.num_value, ReportValue.text_value)
        .join(OrgUnit, OrgUnit.id == ReportValue.unit_id)
        .where(ReportValue.round_id == round_.id, in_subtree(OrgUnit.path, root.path, dialect=session))
    )
    for unit_id, key, num, text in stored.tuples():
        values[unit_id][key] = num if num is not None else text
    for row in rows:
        row.values = values.get(row.unit.id, {})
    blocks = {code: name for code, name in (await session.execute(select(Block.code, Block.name))).tuples()}
    above = await session.get(OrgUnit, root.parent_id) if root.parent_id else None
    return ExportData(round_, form, root, rows, blocks, above.name if above else "")


def cell_value(spec: FieldSpec, value: Any, *, escape: bool = True) -> Any:
    if value is None:
        return None
    if spec.type is FieldType.yes_no:
        return "Có" if value else "Không"
    if spec.type is FieldType.integer and isinstance(value, float) and value.is_integer():
        return int(value)
    return safe(value) if isinstance(value, str) and escape else value


def aggregate(spec: FieldSpec, rows: list[UnitRow]) -> Any:
    numbers = [float(r.values[spec.key]) for r in rows if isinstance(r.values.get(spec.key), (int, float))]
    if not numbers or spec.aggregation is Aggregation.none:
        return None
    result = {
        Aggregation.sum: sum(numbers),
        Aggregation.avg: sum(numbers) / len(numbers),
        Aggregation.min: min(numbers),
        Aggregation.max: max(numbers),
    }[spec.aggregation]
    return int(result) if float(result).is_integer() else round(result, 2)


def headers(form: Form) -> list[str]:
    base = [
        "STT",
        "Mã đơn vị",
        "Tên đơn vị",
        "Đơn vị cấp trên",
        "Khối",
        "Tình trạng",
        "Ngày nộp",
        "Số lần sửa",
    ]
    return base + [f"{f.label} ({f.unit})" if f.unit else f.label for f in form.fields]


def _local(moment: datetime) -> datetime:
    """Spreadsheets have no time zones: the wall-clock time in Việt Nam, as a real date cell."""
    return moment.astimezone(VN_TZ).replace(tzinfo=None)


def _unit_cells(index: int, row: UnitRow, data: ExportData) -> list[Any]:
    sub = row.submission
    return [
        index,
        row.unit.code,
        row.unit.name,
        row.parent_name,
        data.block_name(row.unit.block),
        row.status,
        _local(sub.last_submitted_at) if sub else None,
        max(sub.revision_count - 1, 0) if sub else None,
        *[cell_value(f, row.values.get(f.key), escape=False) for f in data.form.fields],
    ]


def _put_row(ws: Worksheet, values: list[Any]) -> None:
    """Append a row; every text is a text cell (never a formula), every date a date cell."""
    ws.append([None] * len(values))
    for column, value in enumerate(values, 1):
        cell = ws.cell(ws.max_row, column)
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"
        elif isinstance(value, datetime):
            cell.number_format = DATE_FORMAT


def _merged(ws: Worksheet, row: int, first: int, last: int, text: str, *, bold: bool = False,
            size: int = 11, italic: bool = False, underline: bool = False) -> None:  # fmt: skip
    ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
    cell = ws.cell(row, first)
    cell.value = text
    cell.data_type = "s"
    cell.font = Font(bold=bold, size=size, italic=italic, underline="single" if underline else None)
    cell.alignment = CENTER


def _date_line(now: datetime) -> str:
    local = now.astimezone(VN_TZ)
    return f"Ngày {local:%d} tháng {local:%m} năm {local:%Y}"


def _header_block(ws: Worksheet, data: ExportData, width: int, now: datetime) -> None:
    left, right = max(3, width // 2 - 1), max(4, width // 2)
    _merged(ws, 1, 1, left, data.issuer.upper(), size=11)
    _merged(ws, 2, 1, left, data.root.name.upper(), bold=True)
    _merged(ws, 1, right, width, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True)
    _merged(ws, 2, right, width, "Độc lập - Tự do - Hạnh phúc", bold=True, underline=True)
    _merged(ws, 3, right, width, _date_line(now), italic=True)
    _merged(ws, 4, 1, width, f"BÁO CÁO TỔNG HỢP: {data.round_.title.upper()}", bold=True, size=13)
    _merged(
        ws,
        5,
        1,
        width,
        f"Đơn vị tổng hợp: {data.root.name} — Hạn nộp: {format_datetime(data.round_.deadline)} — "
        f"Số liệu tới: {format_datetime(now)}",
        italic=True,
    )


def _signature_block(ws: Worksheet, width: int, now: datetime) -> None:
    start = ws.max_row + 2
    left, right = max(3, width // 2 - 1), max(4, width // 2)
    _merged(ws, start, right, width, _date_line(now), italic=True)
    _merged(ws, start + 1, 1, left, "NGƯỜI LẬP BIỂU", bold=True)
    _merged(ws, start + 1, right, width, "TM. BAN THƯỜNG VỤ", bold=True)
    _merged(ws, start + 2, 1, left, "(Ký, ghi rõ họ tên)", italic=True)
    _merged(ws, start + 2, right, width, "(Ký tên, đóng dấu)", italic=True)


def _print_setup(ws: Worksheet, last_row: int, width: int) -> None:
    """Landscape A4, one page wide and as many long as needed, the header row on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.print_area = f"A1:{get_column_letter(width)}{last_row}"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    ws.freeze_panes = f"D{HEADER_ROW + 1}"


def _widths(ws: Worksheet, cols: list[str], data: ExportData) -> None:
    longest: dict[int, int] = {3: max((len(r.unit.name) for r in data.rows), default=10)}
    longest[4] = max((len(r.parent_name) for r in data.rows), default=10)
    for i, title in enumerate(cols, 1):
        if i in NAME_COLUMNS:
            width = min(NAME_COLUMNS[i], max(16, longest[i] + 2))
        elif i == 7:
            width = 17  # dd/mm/yyyy hh:mm
        else:
            width = max(8, min(18, len(title) // 2 + 3))  # headers wrap onto two lines
        ws.column_dimensions[get_column_letter(i)].width = width


def to_xlsx(
    data: ExportData, missing_contacts: dict[int, str] | None = None, now: datetime | None = None
) -> bytes:
    now = now or utcnow()
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Tổng hợp"
    form = data.form
    cols = headers(form)
    _header_block(ws, data, len(cols), now)
    ws.append([])
    _put_row(ws, cols)
    for cell in ws[HEADER_ROW]:
        cell.font, cell.fill, cell.alignment, cell.border = BOLD, HEADER_FILL, CENTER, GRID
    groups: dict[str, list[UnitRow]] = defaultdict(list)
    for row in data.rows:
        groups[row.parent_name].append(row)
    index = 0
    for parent_name, rows in groups.items():
        for row in rows:
            index += 1
            _put_row(ws, _unit_cells(index, row, data))
            _grid(ws, len(cols))
        _subtotal(ws, f"Cộng: {parent_name}", rows, form, len(cols))
    _subtotal(ws, f"TỔNG CỘNG ({data.root.name})", data.rows, form, len(cols))
    table_end = ws.max_row
    _signature_block(ws, len(cols), now)
    _widths(ws, cols, data)
    _print_setup(ws, max(table_end, ws.max_row), len(cols))

    missing = wb.create_sheet("Chưa nộp")
    _put_row(
        missing, ["STT", "Mã đơn vị", "Tên đơn vị", "Đơn vị cấp trên", "Khối", "Chủ tịch CĐCS (đã đăng ký)"]
    )
    for cell in missing[1]:
        cell.font, cell.fill = BOLD, HEADER_FILL
    contacts = missing_contacts or {}
    for n, row in enumerate((r for r in data.rows if r.submission is None), 1):
        _put_row(
            missing,
            [
                n,
                row.unit.code,
                row.unit.name,
                row.parent_name,
                data.block_name(row.unit.block),
                contacts.get(row.unit.id, "Chưa có"),
            ],
        )
    for letter, width in zip("ABCDEF", (6, 16, 40, 40, 18, 40), strict=True):
        missing.column_dimensions[letter].width = width
    missing.page_setup.orientation = "landscape"
    missing.print_title_rows = "1:1"
    missing.freeze_panes = "A2"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _grid(ws: Worksheet, width: int) -> None:
    for cell in ws[ws.max_row][:width]:
        cell.border = GRID
        if cell.column in NAME_COLUMNS:
            cell.alignment = Alignment(wrap_text=True, vertical="center")


def _subtotal(ws: Worksheet, label: str, rows: list[UnitRow], form: Form, width: int) -> None:
    submitted = [r for r in rows if r.submission is not None]
    _put_row(
        ws,
        [
            None,
            None,
            label,
            None,
            None,
            f"Đã nộp {len(submitted)}/{len(rows)}",
            None,
            None,
            *[aggregate(f, submitted) for f in form.fields],
        ],
    )
    _grid(ws, width)
    for cell in ws[ws.max_row][:width]:
        cell.font, cell.fill = BOLD, SUBTOTAL_FILL


def _csv_cells(index: int, row: UnitRow, data: ExportData) -> list[Any]:
    cells = _unit_cells(index, row, data)
    cells[6] = format_datetime(row.submission.last_submitted_at) if row.submission else ""
    return [safe(v) if isinstance(v, str) else ("" if v is None else v) for v in cells]


def to_csv(data: ExportData) -> bytes:
    """One row per unit (no subtotal rows), UTF-8 with BOM so Excel shows Vietnamese correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers(data.form))
    for index, row in enumerate(data.rows, 1):
        writer.writerow(_csv_cells(index, row, data))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


async def leader_contacts(*, session: AsyncSession, data: ExportData) -> dict[int, str]:
    missing = [r.unit.id for r in data.rows if r.submission is None]
    found = await leaders_of(session, unit_ids=missing)
    return {unit_id: ", ".join(p.full_name for p in people) for unit_id, people in found.items()}


async def export_xlsx(*, session: AsyncSession, round_: ReportRound, root: OrgUnit) -> bytes:
    data = await collect(session=session, round_=round_, root=root)
    return to_xlsx(data, await leader_contacts(session=session, data=data))


async def export_csv(*, session: AsyncSession, round_: ReportRound, root: OrgUnit) -> bytes:
    return to_csv(await collect(session=session, round_=round_, root=root))
