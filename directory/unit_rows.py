"""Reading unit rows of an import: one typed row per spreadsheet line, every problem collected."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from common.vietnamese import fold
from directory import people
from directory.errors import InvalidInput
from directory.models import UNIT_KIND_LABELS, UnitKind
from directory.spreadsheet import COLUMNS, RawRow

KIND_ALIASES: dict[UnitKind, tuple[str, ...]] = {
    UnitKind.confederation: ("tong ldld", "tong lien doan lao dong viet nam", "tld"),
    UnitKind.province_federation: ("ldld tinh", "ldld thanh pho", "lien doan lao dong tinh"),
    UnitKind.sector_union: ("cd nganh", "cong doan nganh", "cong doan tong cong ty"),
    UnitKind.district_federation: ("ldld huyen", "ldld quan", "ldld thi xa", "lien doan lao dong huyen"),
    UnitKind.grassroots_union: ("cdcs", "cong doan co so"),
    UnitKind.union_group: ("to cong doan", "cong doan bo phan"),
}
YES_WORDS = {"co", "x", "1", "true", "yes", "hoat dong", "dang hoat dong"}
NO_WORDS = {"khong", "0", "false", "no", "ngung", "ngung hoat dong", "da giai the"}


def _kind_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for kind in UnitKind:
        for name in (kind.value, kind.value.replace("_", " "), UNIT_KIND_LABELS[kind], *KIND_ALIASES[kind]):
            index[fold(name)] = kind.value
    return index


@dataclass
class UnitRow:
    number: int
    code: str
    name: str
    parent_code: str
    kind: str
    block: str | None
    member_count: int | None
    active: bool | None
    leader_name: str
    leader_phone: str | None


class RowErrors:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(self, row: int, column: str | None, message: str) -> None:
        label = COLUMNS[column][0] if column else None
        self.items.append({"row": row, "column": label, "message": message})


def parse_rows(raw: list[RawRow], blocks: dict[str, str], errors: RowErrors) -> list[UnitRow]:
    kinds = _kind_index()
    rows: list[UnitRow] = []
    for r in raw:
        v, n = r.values, r.number
        code, name = v.get("code", "").strip(), " ".join(v.get("name", "").split())
        if not code:
            errors.add(n, "code", "Thiếu mã đơn vị.")
        elif len(code) > 64:
            errors.add(n, "code", "Mã đơn vị dài quá 64 ký tự.")
        if not name:
            errors.add(n, "name", "Thiếu tên đơn vị.")
        kind = kinds.get(fold(v.get("kind", "")))
        if kind is None:
            errors.add(n, "kind", f"Loại đơn vị không hợp lệ: “{v.get('kind', '')}”.")
        block_text = fold(v.get("block", ""))
        block = blocks.get(block_text) if block_text else None
        if block_text and block is None:
            errors.add(n, "block", f"Khối không có trong danh mục: “{v.get('block', '')}”.")
        member_count = parse_count(v.get("member_count", ""), n, errors)
        active_text = fold(v.get("active", ""))
        active = True if active_text in YES_WORDS else False if active_text in NO_WORDS else None
        if active_text and active is None:
            errors.add(
                n, "active", f"Cột hoạt động chỉ nhận “Có” hoặc “Không”, không phải “{v.get('active')}”."
            )
        leader_name = " ".join(v.get("leader_name", "").split())
        phone: str | None = None
        try:
            phone = people.normalize_phone(v.get("leader_phone", ""))
        except InvalidInput:
            errors.add(n, "leader_phone", f"Số điện thoại không hợp lệ: “{v.get('leader_phone')}”.")
        if phone and not leader_name:
            errors.add(n, "leader_name", "Có số điện thoại nhưng thiếu họ tên chủ tịch.")
        rows.append(
            UnitRow(n, code, name, v.get("parent_code", "").strip(), kind or "", block, member_count,
                    active, leader_name, phone)
        )  # fmt: skip
    return rows


def parse_count(text: str, row: int, errors: RowErrors) -> int | None:
    cleaned = text.replace(".", "").replace(" ", "")
    if not cleaned:
        return None
    if not cleaned.isdigit():
        errors.add(row, "member_count", f"Số đoàn viên phải là số nguyên không âm, không phải “{text}”.")
        return None
    return int(cleaned)
