"""XLSX in the layout offices use, and CSV: one row per unit, one column per field, Vietnamese headers,
subtotal rows per parent unit, and a sheet of the units that have not submitted.

Every text cell starting with = + - @ (or a tab / carriage return) is prefixed with ' so that a spreadsheet
never runs it as a formula (CSV/formula injection).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.vietnamese import format_datetime
from directory.models import OrgUnit
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


def safe(value: Any) -> Any:
    """Neutralise text that a spreadsheet would read as a formula."""
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
    return ExportData(round_, form, root, rows)


def cell_value(spec: FieldSpec, value: Any) -> Any:
    if value is None:
        return None
    if spec.type is FieldType.yes_no:
        return "Có" if value else "Không"
    if spec.type is FieldType.integer and isinstance(value, float) and value.is_integer():
        return int(value)
    return safe(value) if isinstance(value, str) else value


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


def _unit_cells(index: int, row: UnitRow, form: Form) -> list[Any]:
    sub = row.submission
    return [
        index,
        safe(row.unit.code),
        safe(row.unit.name),
        safe(row.parent_name),
        safe(row.unit.block or ""),
        row.status,
        format_datetime(sub.last_submitted_at) if sub else "",
        max(sub.revision_count - 1, 0) if sub else "",
        *[cell_value(f, row.values.get(f.key)) for f in form.fields],
    ]


def to_xlsx(
    data: ExportData, missing_contacts: dict[int, str] | None = None, now: datetime | None = None
) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Tổng hợp"
    form = data.form
    cols = headers(form)
    ws.append([safe(f"BÁO CÁO TỔNG HỢP: {data.round_.title.upper()}")])
    ws.append(
        [
            safe(
                f"Đơn vị tổng hợp: {data.root.name} — Hạn nộp: {format_datetime(data.round_.deadline)} — "
                f"Xuất lúc: {format_datetime(now or utcnow())}"
            )
        ]
    )
    ws.append([])
    ws.append(cols)
    ws["A1"].font = Font(bold=True, size=13)
    for cell in ws[4]:
        cell.font, cell.fill = BOLD, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    groups: dict[str, list[UnitRow]] = defaultdict(list)
    for row in data.rows:
        groups[row.parent_name].append(row)
    index = 0
    for parent_name, rows in groups.items():
        for row in rows:
            index += 1
            ws.append(_unit_cells(index, row, form))
        _subtotal(ws, f"Cộng: {parent_name}", rows, form, len(cols))
    _subtotal(ws, f"TỔNG CỘNG ({data.root.name})", data.rows, form, len(cols))
    for i, title in enumerate(cols, 1):
        ws.column_dimensions[get_column_letter(i)].width = max(8, min(40, len(title) + 2))
    ws.freeze_panes = "D5"

    missing = wb.create_sheet("Chưa nộp")
    missing.append(
        ["STT", "Mã đơn vị", "Tên đơn vị", "Đơn vị cấp trên", "Khối", "Chủ tịch CĐCS (đã đăng ký)"]
    )
    for cell in missing[1]:
        cell.font, cell.fill = BOLD, HEADER_FILL
    contacts = missing_contacts or {}
    for n, row in enumerate((r for r in data.rows if r.submission is None), 1):
        missing.append(
            [
                n,
                safe(row.unit.code),
                safe(row.unit.name),
                safe(row.parent_name),
                safe(row.unit.block or ""),
                safe(contacts.get(row.unit.id, "Chưa có")),
            ]
        )
    for letter, width in zip("ABCDEF", (6, 16, 40, 40, 14, 40), strict=True):
        missing.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _subtotal(ws: Any, label: str, rows: list[UnitRow], form: Form, width: int) -> None:
    submitted = [r for r in rows if r.submission is not None]
    ws.append(
        [
            "",
            "",
            safe(label),
            "",
            "",
            f"Đã nộp {len(submitted)}/{len(rows)}",
            "",
            "",
            *[aggregate(f, submitted) for f in form.fields],
        ]
    )
    for cell in ws[ws.max_row][:width]:
        cell.font, cell.fill = BOLD, SUBTOTAL_FILL


def to_csv(data: ExportData) -> bytes:
    """One row per unit (no subtotal rows), UTF-8 with BOM so Excel shows Vietnamese correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers(data.form))
    for index, row in enumerate(data.rows, 1):
        writer.writerow(["" if v is None else v for v in _unit_cells(index, row, data.form)])
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
