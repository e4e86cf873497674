"""Vietnamese text habits: folding diacritics for matching, and dd/mm/yyyy dates in Asia/Ho_Chi_Minh."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case, strip diacritics (Đ/đ → d), collapse spaces: `Chỉ thị  07` → `chi thi 07`."""
    text = text.replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _SPACES.sub(" ", stripped).strip().lower()


def format_date(value: date | datetime, tz: ZoneInfo = VN_TZ) -> str:
    if isinstance(value, datetime):
        value = value.astimezone(tz).date()
    return value.strftime("%d/%m/%Y")


def format_datetime(value: datetime, tz: ZoneInfo = VN_TZ) -> str:
    return value.astimezone(tz).strftime("%H:%M %d/%m/%Y")


_DATE_NUMERIC = re.compile(r"^\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2,4})\s*$")
_DATE_WORDS = re.compile(r"^\s*(?:ngay\s+)?(\d{1,2})\s+thang\s+(\d{1,2})\s+nam\s+(\d{4})\s*$")


def parse_date(text: str) -> date | None:
    """Read `25/7/2022`, `25-07-22`, `25.7.2022` or `ngày 25 tháng 7 năm 2022`; None if not a date."""
    folded = fold(text)
    match = _DATE_NUMERIC.match(folded) or _DATE_WORDS.match(folded)
    if not match:
        return None
    day, month, year = (int(g) for g in match.groups())
    if year < 100:
        year += 2000
    try:
        return date(year, month, day)
    except ValueError:
        return None
