from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from broadcasts.recurrence import RuleError, describe, next_after, nth_weekday, validate
from common.vietnamese import VN_TZ


def vn(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VN_TZ)


def test_daily_is_strictly_after_and_in_local_time() -> None:
    rule = {"kind": "daily", "time": "07:30"}
    assert next_after(rule, vn(2026, 3, 2, 7, 0), VN_TZ) == vn(2026, 3, 2, 7, 30)
    assert next_after(rule, vn(2026, 3, 2, 7, 30), VN_TZ) == vn(2026, 3, 3, 7, 30)
    # 23:00 UTC on 1 March is already 06:00 on 2 March in Hà Nội
    assert next_after(rule, datetime(2026, 3, 1, 23, 0, tzinfo=UTC), VN_TZ) == vn(2026, 3, 2, 7, 30)


def test_weekly_on_chosen_days() -> None:
    rule = {"kind": "weekly", "time": "08:00", "weekdays": [0, 3]}  # Monday, Thursday
    assert next_after(rule, vn(2026, 3, 3, 9, 0), VN_TZ) == vn(2026, 3, 5, 8, 0)  # Tue → Thu
    assert next_after(rule, vn(2026, 3, 5, 8, 0), VN_TZ) == vn(2026, 3, 9, 8, 0)  # Thu → next Mon


def test_monthly_day_clamps_to_short_months() -> None:
    rule = {"kind": "monthly_day", "time": "08:00", "day": 31}
    assert next_after(rule, vn(2026, 1, 31, 9, 0), VN_TZ) == vn(2026, 2, 28, 8, 0)
    assert next_after(rule, vn(2028, 2, 1, 0, 0), VN_TZ) == vn(2028, 2, 29, 8, 0)  # leap year
    assert next_after(rule, vn(2026, 3, 1, 0, 0), VN_TZ) == vn(2026, 3, 31, 8, 0)


def test_nth_weekday() -> None:
    assert nth_weekday(2026, 6, 1, 0) == date(2026, 6, 1)  # June 2026 starts on a Monday
    assert nth_weekday(2026, 9, 1, 0) == date(2026, 9, 7)
    assert nth_weekday(2026, 2, 5, 0) is None  # February 2026 has four Mondays
    assert nth_weekday(2026, 3, 5, 0) == date(2026, 3, 30)
    assert nth_weekday(2026, 12, -1, 4) == date(2026, 12, 25)  # last Friday


def test_first_monday_bulletin_and_fifth_weekday_skips_short_months() -> None:
    first_monday = {"kind": "monthly_nth", "time": "07:00", "nth": 1, "weekday": 0}
    assert next_after(first_monday, vn(2026, 5, 4, 7, 0), VN_TZ) == vn(2026, 6, 1, 7, 0)
    assert next_after(first_monday, vn(2026, 6, 1, 6, 59), VN_TZ) == vn(2026, 6, 1, 7, 0)
    fifth_monday = {"kind": "monthly_nth", "time": "07:00", "nth": 5, "weekday": 0}
    assert next_after(fifth_monday, vn(2026, 3, 31, 0, 0), VN_TZ) == vn(2026, 6, 29, 7, 0)
    last_friday = {"kind": "monthly_nth", "time": "16:00", "nth": -1, "weekday": 4}
    assert next_after(last_friday, vn(2026, 12, 1, 0, 0), VN_TZ) == vn(2026, 12, 25, 16, 0)


def test_validation_and_description() -> None:
    for bad in (
        {"kind": "hourly"},
        {"kind": "weekly", "weekdays": []},
        {"kind": "daily", "time": "7h"},
        {"kind": "monthly_day", "day": 32},
        {"kind": "monthly_nth", "nth": 6, "weekday": 0},
    ):
        with pytest.raises(RuleError):
            validate(bad)
    assert describe({"kind": "monthly_nth", "time": "7:00", "nth": 1, "weekday": 0}) == (
        "07:00 Thứ Hai đầu tiên hằng tháng"
    )
    assert describe({"kind": "weekly", "time": "08:00", "weekdays": [4, 0]}) == (
        "08:00 Thứ Hai, Thứ Sáu hằng tuần"
    )
