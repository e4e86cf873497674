"""Times the way people write them in Vietnamese chats: `7h30`, `7g30`, `7:30`, `19h`, `sáng mai`,
`thứ hai tới`, `14/12`, `14-12-2026`, `7h30 14/12`, `7h30 sáng 14/12/2026`, in any order.

Pure: the caller passes `now` (aware, any zone); the answer is aware in Asia/Ho_Chi_Minh. Every word must
be understood: a word Loa does not know makes the whole text unreadable (None) rather than half-read.
A day without a clock time means 07:00 (or the part of day named: sáng 07:00, trưa 11:30, chiều 14:00,
tối 19:00), and the echo (`describe`) shows the person what was understood before anything is scheduled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from common.vietnamese import VN_TZ, fold

WEEKDAY_NAMES = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
_WEEKDAYS = {
    "thu hai": 0, "thu 2": 0, "t2": 0, "thu ba": 1, "thu 3": 1, "t3": 1, "thu tu": 2, "thu 4": 2, "t4": 2,
    "thu nam": 3, "thu 5": 3, "t5": 3, "thu sau": 4, "thu 6": 4, "t6": 4, "thu bay": 5, "thu 7": 5, "t7": 5,
    "chu nhat": 6, "cn": 6,
}  # fmt: skip
_PARTS = {
    "sang": time(7, 0),
    "trua": time(11, 30),
    "chieu": time(14, 0),
    "toi": time(19, 0),
    "dem": time(21, 0),
}
_RELATIVE = {"hom nay": 0, "nay": 0, "mai": 1, "ngay mai": 1, "ngay kia": 2, "mot": 2, "ngay mot": 2}
_FILLER = frozenset({"luc", "vao", "ngay", "gio", "hoi", "nam"})
_CLOCK = re.compile(r"^(\d{1,2})(?:(?:h|g|:|gio)(\d{2})?(?:p|phut)?|\s*(?:h|g|gio)\s*(\d{2})?)$")
_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?$")
DEFAULT_TIME = time(7, 0)


@dataclass
class _Read:
    clock: time | None = None
    part: str | None = None
    day: date | None = None


def _clock(token: str) -> time | None:
    match = _CLOCK.match(token)
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or match.group(3) or 0)
    return time(hour, minute) if hour < 24 and minute < 60 else None


def _date(token: str, today: date) -> date | None:
    match = _DATE.match(token)
    if not match:
        return None
    day, month = int(match.group(1)), int(match.group(2))
    year = int(match.group(3)) if match.group(3) else today.year
    year += 2000 if year < 100 else 0
    try:
        found = date(year, month, day)
    except ValueError:
        return None
    if not match.group(3) and found < today:
        found = found.replace(year=found.year + 1)
    return found


def _take(words: list[str], i: int, table: dict[str, int]) -> tuple[int, int] | None:
    """(value, words used) for the longest phrase of `table` starting at words[i]."""
    for size in (2, 1):
        phrase = " ".join(words[i : i + size])
        if len(words) - i >= size and phrase in table:
            return table[phrase], size
    return None


def _read(words: list[str], today: date) -> _Read | None:
    read = _Read()
    i = 0
    while i < len(words):
        word = words[i]
        if (clock := _clock(word)) is not None and read.clock is None:
            read.clock, i = clock, i + 1
        elif (
            i + 1 < len(words)
            and (clock := _clock(f"{word}{words[i + 1]}")) is not None
            and read.clock is None
        ):
            read.clock, i = clock, i + 2  # `7 gio`, `7 h`
        elif (day := _date(word, today)) is not None and read.day is None:
            read.day, i = day, i + 1
        elif (weekday := _take(words, i, _WEEKDAYS)) is not None and read.day is None:
            target, used = weekday
            i += used
            ahead = (target - today.weekday()) % 7 or 7  # the coming one, never today
            if words[i : i + 2] in (["tuan", "sau"], ["tuan", "toi"]):
                ahead, i = 7 - today.weekday() + target, i + 2  # in next week (weeks start on Monday)
            elif i < len(words) and words[i] in ("toi", "sau", "nay"):
                i += 1  # `thứ hai tới`: the coming Monday
            read.day = today + timedelta(days=ahead)
        elif (relative := _take(words, i, _RELATIVE)) is not None and read.day is None:
            read.day, i = today + timedelta(days=relative[0]), i + relative[1]
        elif word in _PARTS and read.part is None:
            read.part, i = word, i + 1
        elif word in _FILLER:
            i += 1
        else:
            return None
    return read if (read.clock or read.day or read.part) else None


def parse_when(text: str, *, now: datetime) -> datetime | None:
    """The moment meant by `text`, or None when any part of it is not understood."""
    local_now = now.astimezone(VN_TZ)
    words = fold(text).replace(",", " ").split()
    read = _read(words, local_now.date())
    if read is None:
        return None
    clock = read.clock or (_PARTS[read.part] if read.part else DEFAULT_TIME)
    if read.part in ("chieu", "toi", "dem") and read.clock is not None and clock.hour < 12:
        clock = clock.replace(hour=clock.hour + 12)
    if read.day is not None:
        return datetime.combine(read.day, clock, tzinfo=VN_TZ)
    moment = datetime.combine(local_now.date(), clock, tzinfo=VN_TZ)
    return moment if moment > local_now else moment + timedelta(days=1)


def describe(moment: datetime) -> str:
    """`07:30 thứ Hai 14/12/2026`."""
    local = moment.astimezone(VN_TZ)
    return f"{local:%H:%M} {WEEKDAY_NAMES[local.weekday()]} {local:%d/%m/%Y}"
