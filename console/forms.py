"""Reading the console's HTML forms into the plain dicts the domain services take. Only shape is checked
here (numbers, dates); every rule stays in the domain that owns it."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData

from common.errors import DomainError


class FormInvalid(DomainError):
    status = 422
    code = "bad_form"


def text(form: FormData, name: str, default: str = "") -> str:
    value = form.get(name, default)
    return value.strip() if isinstance(value, str) else default


def texts(form: FormData, name: str) -> list[str]:
    return [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]


def ints(form: FormData, name: str) -> list[int]:
    try:
        return [int(v) for v in texts(form, name)]
    except ValueError as exc:
        raise FormInvalid("Lựa chọn không hợp lệ.") from exc


def int_or_none(form: FormData, name: str) -> int | None:
    raw = text(form, name)
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise FormInvalid("Số không hợp lệ.") from exc


def codes(raw: str) -> list[str]:
    return [c.strip() for c in raw.replace(";", ",").replace("\n", ",").split(",") if c.strip()]


def local_datetime(raw: str, tz: ZoneInfo) -> datetime | None:
    """An <input type=datetime-local> value (`2026-12-05T07:30`) read as wall-clock time in `tz`."""
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=tz)
    except ValueError as exc:
        raise FormInvalid("Thời điểm không hợp lệ, ví dụ 05/12/2026 07:30.") from exc


def content(form: FormData) -> dict[str, Any]:
    return {"kind": "text", "html": text(form, "html"), "buttons": _buttons(form)}


def _buttons(form: FormData) -> list[list[dict[str, str]]]:
    label, url = text(form, "button_text"), text(form, "button_url")
    return [[{"text": label, "url": url}]] if label or url else []


def audience(form: FormData, *, exclude_units: list[int]) -> dict[str, Any]:
    return {
        "roots": ints(form, "roots"),
        "targets": texts(form, "targets") or ["group"],
        "blocks": texts(form, "blocks") or None,
        "unit_kinds": texts(form, "unit_kinds") or None,
        "exclude_units": exclude_units,
        "exclude_chats": [],
    }


def recurrence_rule(form: FormData) -> dict[str, Any]:
    kind = text(form, "rule_kind")
    rule: dict[str, Any] = {"kind": kind, "time": text(form, "rule_time") or "08:00"}
    if kind == "weekly":
        rule["weekdays"] = ints(form, "rule_weekdays")
    elif kind == "monthly_day":
        rule["day"] = int_or_none(form, "rule_day") or 0
    elif kind == "monthly_nth":
        rule["nth"] = int_or_none(form, "rule_nth") or 0
        rule["weekday"] = int_or_none(form, "rule_weekday")
        if rule["weekday"] is None:
            rule["weekday"] = -1
    return rule
