"""The office layout of the unit list, as XLSX or CSV: reading, writing, and the column names.

One row per unit: code, name, parent code, kind, block, member count, active, chair's name and phone.
Headers are matched without diacritics or case, so `Ma don vi` reads as `Mã đơn vị`. Cells that a
spreadsheet would run as a formula (= + - @) are written with a leading apostrophe and read back
without it, so an export round-trips and cannot inject formulas.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from common.vietnamese import fold
from directory.errors import ImportRejected
from directory.models import UNIT_KIND_LABELS, Block, OrgUnit, Person, Role, RoleAssignment
from directory.people import display_phone
from directory.tree import subtree

Format = Literal["xlsx", "csv"]
MEDIA_TYPES: dict[str, str] = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}

# field → (header written on export, other spellings accepted on import)
COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "code": ("Mã đơn vị", ("ma", "ma dv")),
    "name": ("Tên đơn vị", ("ten", "ten dv")),
    "parent_code": ("Mã đơn vị cấp trên", ("ma cap tren", "ma dv cap tren", "don vi cap tren")),
    "kind": ("Loại", ("loai don vi", "loai hinh")),
    "block": ("Khối", ("khoi thi dua",)),
    "member_count": ("Số đoàn viên", ("so luong doan vien", "doan vien")),
    "active": ("Đang hoạt động", ("hoat dong", "trang thai")),
    "leader_name": ("Họ tên chủ tịch", ("chu tich", "ho va ten chu tich", "ten chu tich")),
    "leader_phone": ("Điện thoại", ("so dien thoai", "dien thoai chu tich", "sdt")),
}
REQUIRED = ("code", "name", "parent_code", "kind")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
YES, NO = "Có", "Không"


@dataclass(frozen=True)
class RawRow:
    number: int  # the row number the office sees in its spreadsheet
    values: dict[str, str]


def _header_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for field, (label, aliases) in COLUMNS.items():
        index[fold(label)] = field
        for alias in aliases:
            index[alias] = field
    return index


def escape_cell(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def unescape_cell(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_START) else value


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return unescape_cell(str(value).strip())


def _read_xlsx(data: bytes) -> Iterable[tuple[int, list[str]]]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise ImportRejected("Không đọc được tệp XLSX.", code="unreadable_file") from exc
    sheet = book.worksheets[0]
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        yield number, [_cell_text(v) for v in row]
    book.close()


def _read_csv(data: bytes) -> Iterable[tuple[int, list[str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1258", errors="replace")
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        yield number, [_cell_text(v) for v in row]


def read_table(data: bytes, *, filename: str = "", limit: int | None = None) -> list[RawRow]:
    """Rows of an XLSX or CSV file in the office layout, keyed by field name. Blank rows are skipped."""
    if limit is not None and len(data) > limit:
        raise ImportRejected("Tệp quá lớn.", code="file_too_large")
    is_xlsx = data[:2] == b"PK" or filename.lower().endswith(".xlsx")
    rows = _read_xlsx(data) if is_xlsx else _read_csv(data)
    index = _header_index()
    columns: list[str | None] | None = None
    result: list[RawRow] = []
    for number, cells in rows:
        if not any(cells):
            continue
        if columns is None:
            columns = [index.get(fold(c)) for c in cells]
            missing = [COLUMNS[f][0] for f in REQUIRED if f not in columns]
            if missing:
                raise ImportRejected(
                    f"Dòng tiêu đề (dòng {number}) thiếu cột: {', '.join(missing)}.",
                    code="missing_columns",
                    errors=[{"row": number, "column": None, "message": f"Thiếu cột {m}."} for m in missing],
                )
            continue
        values = {f: cells[i] if i < len(cells) else "" for i, f in enumerate(columns) if f is not None}
        result.append(RawRow(number, values))
    if columns is None:
        raise ImportRejected("Tệp không có dữ liệu.", code="empty_file")
    return result


def write_table(rows: Sequence[Sequence[Any]], *, fmt: Format) -> bytes:
    header = [label for label, _ in COLUMNS.values()]
    safe = [[escape_cell(v) if isinstance(v, str) else v for v in row] for row in rows]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(safe)
        return out.getvalue().encode("utf-8-sig")
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Đơn vị")
    sheet.append(header)
    for row in safe:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def export_rows(
    session: AsyncSession, *, root: OrgUnit, include_inactive: bool = False
) -> list[list[Any]]:
    units = await subtree(session, unit=root, include_inactive=include_inactive)
    ids = [u.id for u in units]
    codes = {u.id: u.code for u in units}
    if root.parent_id is not None:
        parent = await session.get(OrgUnit, root.parent_id)
        codes[root.parent_id] = parent.code if parent else ""
    blocks = {b.code: b.name for b in (await session.scalars(select(Block))).all()}
    leaders: dict[int, Person] = {}
    for start in range(0, len(ids), 500):
        rows = await session.execute(
            select(RoleAssignment.unit_id, Person)
            .join(Person, Person.id == RoleAssignment.person_id)
            .where(
                RoleAssignment.unit_id.in_(ids[start : start + 500]), RoleAssignment.role == Role.leader.value
            )
            .order_by(RoleAssignment.id)
        )
        for unit_id, person in rows.tuples():
            leaders.setdefault(unit_id, person)
    result: list[list[Any]] = []
    for unit in units:
        leader = leaders.get(unit.id)
        kind_label = next(
            (label for kind, label in UNIT_KIND_LABELS.items() if kind.value == unit.kind), unit.kind
        )
        result.append(
            [
                unit.code,
                unit.name,
                codes.get(unit.parent_id, "") if unit.parent_id is not None else "",
                kind_label,
                blocks.get(unit.block, unit.block) if unit.block else "",
                unit.member_count,
                YES if unit.is_active else NO,
                leader.full_name if leader else "",
                display_phone(leader.phone) if leader else "",
            ]
        )
    return result


async def export_units(
    session: AsyncSession, *, root: OrgUnit, fmt: Format = "xlsx", include_inactive: bool = False
) -> bytes:
    """The subtree under `root` in the office layout; importing it back changes nothing."""
    return write_table(await export_rows(session, root=root, include_inactive=include_inactive), fmt=fmt)
