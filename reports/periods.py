"""Reporting periods: which dates a period covers, its Vietnamese label, and scheduled opening dates."""

from __future__ import annotations

from calendar import monthrange
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from reports.models import PeriodKind

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
# The month of the period in which a scheduled round opens (the period's last month).
CLOSING_MONTHS = {
    PeriodKind.month: tuple(range(1, 13)),
    PeriodKind.quarter: (3, 6, 9, 12),
    PeriodKind.half_year: (6, 12),
    PeriodKind.year: (12,),
}


def period_bounds(kind: PeriodKind, day: date) -> tuple[date, date]:
    """The period of `kind` containing `day` (ad hoc: that day only)."""
    if kind is PeriodKind.month:
        return day.replace(day=1), day.replace(day=monthrange(day.year, day.month)[1])
    if kind is PeriodKind.quarter:
        first = 3 * ((day.month - 1) // 3) + 1
        return date(day.year, first, 1), date(day.year, first + 2, monthrange(day.year, first + 2)[1])
    if kind is PeriodKind.half_year:
        first = 1 if day.month <= 6 else 7
        return date(day.year, first, 1), date(day.year, first + 5, 30 if first == 1 else 31)
    if kind is PeriodKind.year:
        return date(day.year, 1, 1), date(day.year, 12, 31)
    return day, day


def period_label(kind: PeriodKind, start: date, end: date) -> str:
    if kind is PeriodKind.month:
        return f"tháng {start.month:02d}/{start.year}"
    if kind is PeriodKind.quarter:
        return f"quý {ROMAN[(start.month - 1) // 3 + 1]}/{start.year}"
    if kind is PeriodKind.half_year:
        return f"6 tháng {'đầu' if start.month == 1 else 'cuối'} năm {start.year}"
    if kind is PeriodKind.year:
        return f"năm {start.year}"
    return f"đột xuất {start.strftime('%d/%m/%Y')}" + (f"–{end.strftime('%d/%m/%Y')}" if end != start else "")


def end_of_day(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=tz)


def scheduled_dates(kind: PeriodKind, today: date, open_day: int, due_day: int) -> tuple[date, date] | None:
    """(open date, due date) if a scheduled round of `kind` should be open on `today`, else None.

    The round opens on `open_day` of the period's last month and is due on `due_day` (of the next
    month when `due_day` < `open_day`); it is opened late if the scheduler was down, until the due date.
    """
    for months_back in (0, 1):
        year, month = today.year, today.month - months_back
        if month == 0:
            year, month = year - 1, 12
        if kind is PeriodKind.ad_hoc or month not in CLOSING_MONTHS[kind]:
            continue
        opens = date(year, month, min(open_day, monthrange(year, month)[1]))
        due_year, due_month = (year, month) if due_day >= open_day else (year + month // 12, month % 12 + 1)
        due = date(due_year, due_month, min(due_day, monthrange(due_year, due_month)[1]))
        if opens <= today <= due:
            return opens, due
    return None
