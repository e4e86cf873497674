"""Validating a reply against a form. Every message names the field, what was typed and what is expected.

Nothing is stored unless `validate` returns no issues.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from reports.figures import FigureError, format_number, match_choice, parse_figure, parse_yes_no
from reports.forms import TEXT_MAX, FieldSpec, FieldType, Form, RuleKind

Value = Decimal | bool | str


@dataclass(frozen=True)
class Issue:
    field_key: str
    message: str


@dataclass
class Checked:
    """Typed values (only fields that were given), estimate flags, and issues found."""

    values: dict[str, Value] = field(default_factory=dict)
    estimates: list[str] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.issues


def expected(spec: FieldSpec) -> str:
    """What the field expects, in words: «số nguyên từ 0 trở lên (người)»."""
    unit = f" ({spec.unit})" if spec.unit else ""
    if spec.type is FieldType.yes_no:
        return "«có» hoặc «không»"
    if spec.type is FieldType.choice:
        return "một trong: " + ", ".join(f"{i}. {c}" for i, c in enumerate(spec.choices, 1))
    if spec.type is FieldType.text:
        return f"một đoạn chữ ngắn (tối đa {TEXT_MAX} ký tự)"
    kind = {
        FieldType.integer: "số nguyên",
        FieldType.decimal: "một số (phần lẻ dùng dấu phẩy, ví dụ 1,5)",
        FieldType.percent: "tỷ lệ phần trăm",
    }[spec.type]
    low, high = spec.bounds
    if low is not None and high is not None:
        return f"{kind} từ {format_number(low)} đến {format_number(high)}{unit}"
    if low is not None:
        return f"{kind} từ {format_number(low)} trở lên{unit}"
    if high is not None:
        return f"{kind} không quá {format_number(high)}{unit}"
    return f"{kind}{unit}"


_COMMA_THOUSANDS = re.compile(r"^\D*\d{1,3},\d{3}(?!\d)")


def _same_digits(typed: str, value: Decimal) -> bool:
    """The figure shows the digits typed (`1 234` → 1.234): no need to echo what it was read as."""
    return re.sub(r"\D", "", typed) == re.sub(r"\D", "", format_number(value))


def _name(spec: FieldSpec) -> str:
    return f"«{spec.label}» ({spec.key})"


def check_value(spec: FieldSpec, raw: str) -> tuple[Value | None, bool, str | None]:
    """One typed value: (value, is_estimate, error message or None)."""
    typed = raw.strip()
    shown = typed if len(typed) <= 60 else typed[:57] + "..."
    if spec.type is FieldType.text:
        if len(typed) > TEXT_MAX:
            return None, False, f"{_name(spec)}: nội dung dài {len(typed)} ký tự — cần {expected(spec)}."
        return typed, False, None
    if spec.type is FieldType.yes_no:
        answer = parse_yes_no(typed)
        if answer is None:
            return None, False, f"{_name(spec)}: đã nhập «{shown}» — cần {expected(spec)}."
        return answer, False, None
    if spec.type is FieldType.choice:
        choice = match_choice(typed, spec.choices)
        if choice is None:
            return None, False, f"{_name(spec)}: đã nhập «{shown}» — cần {expected(spec)}."
        return choice, False, None
    try:
        number = parse_figure(typed, unit=spec.unit)
    except FigureError as exc:
        return None, False, f"{_name(spec)}: {exc.reason}. Cần {expected(spec)}."
    understood = "" if _same_digits(typed, number.value) else f" (= {format_number(number.value)})"
    if number.percent and spec.type is not FieldType.percent:
        return None, False, f"{_name(spec)}: đã nhập «{shown}» là tỷ lệ % — cần {expected(spec)}."
    if spec.type is FieldType.integer and not number.is_integer:
        if _COMMA_THOUSANDS.search(typed):
            return (
                None,
                False,
                (
                    f"{_name(spec)}: đã nhập «{shown}» — dấu phẩy là phần lẻ; nếu là số nguyên, xin viết "
                    f"{format_number(number.value * 1000)} hoặc {int(number.value * 1000)}."
                ),
            )
        return None, False, f"{_name(spec)}: đã nhập «{shown}»{understood} có phần lẻ — cần {expected(spec)}."
    low, high = spec.bounds
    if (low is not None and number.value < low) or (high is not None and number.value > high):
        return (
            None,
            False,
            (f"{_name(spec)}: đã nhập «{shown}»{understood} nằm ngoài giới hạn — cần {expected(spec)}."),
        )
    return number.value, number.estimate, None


def _as_number(value: Value | None) -> Decimal | None:
    if isinstance(value, bool):
        return Decimal(int(value))
    return value if isinstance(value, Decimal) else None


def check_rules(form: Form, values: dict[str, Value]) -> list[Issue]:
    issues: list[Issue] = []
    for rule in form.rules:
        if rule.kind is RuleKind.le:
            left, right = _as_number(values.get(rule.left)), _as_number(values.get(rule.right))
            lspec, rspec = form.field(rule.left), form.field(rule.right)
            if left is None or right is None or lspec is None or rspec is None:
                continue
            if left > right:
                issues.append(
                    Issue(
                        rule.left,
                        f"{_name(lspec)}: đã nhập {format_number(left)} — cần không lớn hơn "
                        f"{_name(rspec)} là {format_number(right)}.",
                    )
                )
        elif rule.kind is RuleKind.sum_equals:
            parts = [_as_number(values.get(k)) for k in rule.parts]
            total = _as_number(values.get(rule.total))
            tspec = form.field(rule.total)
            if total is None or tspec is None or any(p is None for p in parts):
                continue
            got = sum((p for p in parts if p is not None), Decimal(0))
            if got != total:
                names = " + ".join(_name(s) for k in rule.parts if (s := form.field(k)) is not None)
                issues.append(
                    Issue(
                        rule.total,
                        f"{_name(tspec)}: đã nhập {format_number(total)} — cần bằng tổng {names} "
                        f"= {format_number(got)}.",
                    )
                )
    return issues


def validate(form: Form, raw: dict[str, str]) -> Checked:
    """Check every field of the form from raw typed text (absent or empty = not given)."""
    checked = Checked()
    for spec in form.fields:
        typed = (raw.get(spec.key) or "").strip()
        if not typed:
            if spec.required:
                checked.issues.append(Issue(spec.key, f"{_name(spec)}: chưa nhập — cần {expected(spec)}."))
            continue
        value, estimate, error = check_value(spec, typed)
        if error is not None:
            checked.issues.append(Issue(spec.key, error))
            continue
        assert value is not None
        checked.values[spec.key] = value
        if estimate:
            checked.estimates.append(spec.key)
    if not checked.issues:
        checked.issues.extend(check_rules(form, checked.values))
    return checked


def to_json_values(values: dict[str, Value]) -> dict[str, Any]:
    """JSON-safe values: numbers as strings of their exact decimal, yes/no as booleans."""
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in values.items()}


def display_value(spec: FieldSpec, value: Any, *, estimate: bool = False) -> str:
    if value is None or value == "":
        return "(bỏ trống)"
    if spec.type is FieldType.yes_no:
        text = "Có" if value in (True, "true", "1", 1) else "Không"
    elif spec.is_numeric:
        text = format_number(Decimal(str(value)))
        text += "%" if spec.type is FieldType.percent else (f" {spec.unit}" if spec.unit else "")
    else:
        text = str(value)
    return text + (" (ước tính)" if estimate else "")
