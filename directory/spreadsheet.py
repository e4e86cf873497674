"""The office layout of the unit list, as XLSX or CSV: reading, writing, and the column names.

One row per unit: code, name, parent code, kind, block, member count, active, chair's name and phone.
Headers are matched without diacritics or case, so `Ma don vi` reads as `Mã đơn vị`. Cells that a
spreadsheet would run as a formula (= + - @) are written with a leading apostrophe and read back
without it, so an export round-trips and cannot inject formulas.
"""

from __future__ import annotations

import asyncio
import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from openpyxl import Workbook, load_workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from common.cells import strip_illegal
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
    value = strip_illegal(value)
    return "'" + value if value.startswith(FORMULA_START) else value


def unescape_cell(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_START) else value


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return unescape_cell(str(value).strip())


_CORRUPT = "Tệp XLSX bị hỏng hoặc không đầy đủ; xin lưu lại tệp bằng Excel rồi gửi lại."


@dataclass(frozen=True)
class ReadLimits:
    """What one import may cost. A sheet's declared dimension is never trusted: a few kilobytes can claim
    A1:XFD1048576, and padding every row to it once froze the whole process."""

    max_bytes: int = 20 * 1024 * 1024
    max_unpacked_bytes: int = 200 * 1024 * 1024  # a zip bomb stops here, before any XML is parsed
    max_rows: int = 200_000
    max_columns: int = 64


def _check_zip(data: bytes, limits: ReadLimits) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise ImportRejected(_CORRUPT, code="unreadable_file") from exc
    if unpacked > limits.max_unpacked_bytes:
        raise ImportRejected("Tệp XLSX quá lớn khi giải nén.", code="file_too_large")


def _read_xlsx(data: bytes, limits: ReadLimits) -> Iterable[tuple[int, list[str]]]:
    _check_zip(data, limits)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise ImportRejected(_CORRUPT, code="unreadable_file") from exc
    try:
        sheet = book.worksheets[0]
        if isinstance(sheet, ReadOnlyWorksheet):
            sheet.reset_dimensions()  # ignore the declared dimension; read what is there
        rows = sheet.iter_rows(max_row=limits.max_rows + 1, max_col=limits.max_columns, values_only=True)
        for number, row in enumerate(rows, start=1):
            yield number, [_cell_text(v) for v in row]
    except ImportRejected:
        raise
    except Exception as exc:  # a truncated or malformed sheet fails only while it is read
        raise ImportRejected(_CORRUPT, code="unreadable_file") from exc
    finally:
        book.close()


def _read_csv(data: bytes, limits: ReadLimits) -> Iterable[tuple[int, list[str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1258", errors="replace")
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    try:
        for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
            yield number, [_cell_text(v) for v in row[: limits.max_columns]]
    except csv.Error as exc:
        raise ImportRejected("Tệp CSV không đúng định dạng.", code="unreadable_file") from exc


async def read_table_off_loop(
    data: bytes, *, filename: str = "", limits: ReadLimits | None = None
) -> list[RawRow]:
    """`read_table` in a worker thread: parsing a large sheet must never stall the bot, API or scheduler."""
    return await asyncio.to_thread(read_table, data, filename=filename, limits=limits)


def read_table(
    data: bytes, *, filename: str = "", limit: int | None = None, limits: ReadLimits | None = None
) -> list[RawRow]:
    """Rows of an XLSX or CSV file in the office layout, keyed by field name. Blank rows are skipped."""
    limits = limits or ReadLimits()
    if limit is not None:
        limits = ReadLimits(limit, limits.max_unpacked_bytes, limits.max_rows, limits.max_columns)
    if len(data) > limits.max_bytes:
        raise ImportRejected("Tệp quá lớn.", code="file_too_large")
    is_xlsx = data[:2] == b"PK" or filename.lower().endswith(".xlsx")
    rows = _read_xlsx(data, limits) if is_xlsx else _read_csv(data, limits)
    index = _header_index()
    columns: list[str | None] | None = None
    result: list[RawRow] = []
    for number, cells in rows:
        if not any(cells):
            continue
        if number > limits.max_rows:
            raise ImportRejected(
                f"Tệp có quá nhiều dòng (tối đa {limits.max_rows:,}).".replace(",", "."), code="too_many_rows"
            )
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
