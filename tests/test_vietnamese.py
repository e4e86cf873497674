from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from common.vietnamese import fold, format_date, format_datetime, parse_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Chỉ thị 07-CT/TW", "chi thi 07-ct/tw"),
        ("Đoàn viên  Công đoàn", "doan vien cong doan"),
        ("LIÊN ĐOÀN LAO ĐỘNG", "lien doan lao dong"),
        ("khoảng 300", "khoang 300"),
    ],
)
def test_fold(text: str, expected: str) -> None:
    assert fold(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("25/7/2022", date(2022, 7, 25)),
        ("25-07-22", date(2022, 7, 25)),
        ("ngày 25 tháng 7 năm 2022", date(2022, 7, 25)),
        ("ngay 1 thang 12 nam 2025", date(2025, 12, 1)),
        ("31/2/2024", None),
        ("hôm qua", None),
    ],
)
def test_parse_date(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


def test_dates_are_shown_in_vietnam_time() -> None:
    late_utc = datetime(2026, 11, 20, 18, 30, tzinfo=UTC)  # 01:30 on the 21st in Hà Nội
    assert format_date(late_utc) == "21/11/2026"
    assert format_datetime(late_utc) == "01:30 21/11/2026"
