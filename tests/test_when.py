from __future__ import annotations

from datetime import datetime

import pytest

from common.vietnamese import VN_TZ
from common.when import describe, parse_when

NOW = datetime(2026, 12, 9, 10, 0, tzinfo=VN_TZ)  # 10:00 Wednesday 09/12/2026


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("7h30 14/12", "07:30 thứ Hai 14/12/2026"),
        ("7h30 sang 14/12/2026", "07:30 thứ Hai 14/12/2026"),
        ("7h30 sáng 14/12/2026", "07:30 thứ Hai 14/12/2026"),
        ("07:30 14/12/2026", "07:30 thứ Hai 14/12/2026"),
        ("14-12-2026 7g30", "07:30 thứ Hai 14/12/2026"),
        ("7:30 14.12.2026", "07:30 thứ Hai 14/12/2026"),
        ("14/12", "07:00 thứ Hai 14/12/2026"),
        ("7h30", "07:30 thứ Năm 10/12/2026"),  # 07:30 has passed today: tomorrow
        ("15h", "15:00 thứ Tư 09/12/2026"),
        ("3h chiều", "15:00 thứ Tư 09/12/2026"),
        ("7 giờ tối nay", "19:00 thứ Tư 09/12/2026"),
        ("sáng mai", "07:00 thứ Năm 10/12/2026"),
        ("8h sáng mai", "08:00 thứ Năm 10/12/2026"),
        ("thứ hai tới", "07:00 thứ Hai 14/12/2026"),
        ("thu 6 tuan sau 9h", "09:00 thứ Sáu 18/12/2026"),
        ("thứ sáu 9h", "09:00 thứ Sáu 11/12/2026"),
        ("chủ nhật", "07:00 Chủ nhật 13/12/2026"),
        ("lúc 7h30 ngày 14/12", "07:30 thứ Hai 14/12/2026"),
        ("5/1 8h", "08:00 thứ Ba 05/01/2027"),  # passed this year: next year
    ],
)
def test_times_people_write(typed: str, meant: str) -> None:
    when = parse_when(typed, now=NOW)
    assert when is not None and describe(when) == meant


@pytest.mark.parametrize("typed", ["", "mai nhé bạn", "25h", "7h70", "31/2", "7h30 14/12 xyz", "sớm"])
def test_unreadable_times_are_refused_whole(typed: str) -> None:
    assert parse_when(typed, now=NOW) is None
