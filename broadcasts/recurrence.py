"""Recurrence rules, as pure functions: daily, weekly on chosen days, monthly on a day or on the Nth
weekday (a bulletin every first Monday). Times are wall-clock in the union's time zone.

A rule is a small dict stored with the schedule:
  {"kind": "daily", "time": "07:30"}
  {"kind": "weekly", "time": "07:30", "weekdays": [0, 3]}        # Monday = 0
  {"kind": "monthly_day", "time": "08:00", "day": 31}            # short months: the last day
  {"kind": "monthly_nth", "time": "08:00", "nth": 1, "weekday": 0}  # nth -1 = the last one
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from common.errors import DomainError

KINDS = ("daily", "weekly", "monthly_day", "monthly_nth")
WEEKDAY_NAMES = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")


class RuleError(DomainError, ValueError):
    status = 422
    code = "bad_rule"


def _time(rule: dict[str, Any]) -> time:
    try:
        hh, mm = str(rule.get("time", "08:00")).split(":")
        return time(int(hh), int(mm))
    except ValueError as exc:
        raise RuleError("Giờ gửi cần dạng HH:MM, ví dụ 07:30.") from exc


def validate(rule: dict[str, Any]) -> dict[str, Any]:
    kind = rule.get("kind")
    if kind not in KINDS:
        raise RuleError("Kiểu lặp lại không hợp lệ.")
    at = _time(rule)
    clean: dict[str, Any] = {"kind": kind, "time": at.strftime("%H:%M")}
    if kind == "weekly":
        days = sorted({int(d) for d in rule.get("weekdays", [])})
        if not days or not all(0 <= d <= 6 for d in days):
            raise RuleError("Cần chọn ít nhất một ngày trong tuần.")
        clean["weekdays"] = days
    elif kind == "monthly_day":
        day = int(rule.get("day", 0))
        if not 1 <= day <= 31:
            raise RuleError("Ngày trong tháng phải từ 1 đến 31.")
        clean["day"] = day
    elif kind == "monthly_nth":
        nth, weekday = int(rule.get("nth", 0)), int(rule.get("weekday", -1))
        if nth not in (1, 2, 3, 4, 5, -1) or not 0 <= weekday <= 6:
            raise RuleError("Cần chọn thứ mấy trong tháng (1–5 hoặc cuối) và ngày trong tuần.")
        clean.update(nth=nth, weekday=weekday)
    return clean


def nth_weekday(year: int, month: int, nth: int, weekday: int) -> date | None:
    """The `nth` given weekday of a month (nth -1: the last); None when the month has no 5th one."""
    days = [d for d in calendar.Calendar().itermonthdates(year, month) if d.month == month]
    matching = [d for d in days if d.weekday() == weekday]
    if nth == -1:
        return matching[-1]
    return matching[nth - 1] if nth <= len(matching) else None


def matches(rule: dict[str, Any], day: date) -> bool:
    kind = rule["kind"]
    if kind == "daily":
        return True
    if kind == "weekly":
        return day.weekday() in rule["weekdays"]
    if kind == "monthly_day":
        last = calendar.monthrange(day.year, day.month)[1]
        return day.day == min(int(rule["day"]), last)
    if kind == "monthly_nth":
        return nth_weekday(day.year, day.month, int(rule["nth"]), int(rule["weekday"])) == day
    raise RuleError("Kiểu lặp lại không hợp lệ.")


def next_after(rule: dict[str, Any], after: datetime, tz: ZoneInfo) -> datetime:
    """The first occurrence strictly after `after` (aware), as an aware UTC-comparable datetime."""
    rule = validate(rule)
    at = _time(rule)
    local = after.astimezone(tz)
    day = local.date()
    for _ in range(400):  # a rule that matches at all matches within about 13 months
        if matches(rule, day):
            candidate = datetime.combine(day, at, tzinfo=tz)
            if candidate > after:
                return candidate
        day += timedelta(days=1)
    raise RuleError("Quy tắc lặp lại không có lần gửi nào.")


def describe(rule: dict[str, Any]) -> str:
    """Vietnamese: `07:30 Thứ Hai đầu tiên hằng tháng`."""
    rule = validate(rule)
    t = rule["time"]
    if rule["kind"] == "daily":
        return f"{t} hằng ngày"
    if rule["kind"] == "weekly":
        return f"{t} " + ", ".join(WEEKDAY_NAMES[d] for d in rule["weekdays"]) + " hằng tuần"
    if rule["kind"] == "monthly_day":
        return f"{t} ngày {rule['day']} hằng tháng"
    nth = {1: "đầu tiên", 2: "thứ hai", 3: "thứ ba", 4: "thứ tư", 5: "thứ năm", -1: "cuối cùng"}[rule["nth"]]
    return f"{t} {WEEKDAY_NAMES[rule['weekday']]} {nth} hằng tháng"
