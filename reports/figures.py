"""Reading figures the way Vietnamese leaders type them on a phone.

Rules (all input is first folded: lower case, diacritics removed, so `khoảng` = `khoang`):
- `.` groups thousands and `,` is the decimal mark: `1.234` = 1234, `1.234.567` = 1234567,
  `1.234,5` = 1234.5, `1,5` = 1.5. A `.` followed by anything other than groups of exactly three
  digits (`1.5`, `12.75`) is read as a decimal point, the habit of English keyboards.
- Spaces between digit groups are ignored (`1 234` = 1234) when one value is read on its own.
- A unit word after the number is ignored: `12 người`, `5 đv`, `300 CĐCS`.
- `50%` is 50 (percentage fields hold the number of per cent).
- Estimates: `khoảng 300`, `tầm 300`, `gần 300`, `ước 300`, `~300`, `300 (ước tính)` are ACCEPTED as 300
  but flagged as an estimate; the confirmation shows «300 (ước tính)» and the flag is stored with
  the revision, so the officer sees which figures are not exact. Ranges (`200-300`, `200 đến 300`)
  are refused: an exact figure is asked for.
- Yes/no: `có`, `co`, `x`, `rồi`, `đã`, `yes`, `y`, `1` are yes; `không`, `khong`, `k`, `ko`, `chưa`,
  `no`, `n`, `0` are no.
- Choices are matched without diacritics or case: `giao duc` matches `Giáo dục`; a choice may also be
  picked by its number in the list (`2`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from common.errors import DomainError
from common.vietnamese import fold

ESTIMATE_WORDS = ("khoang", "tam", "gan", "uoc tinh", "uoc", "xap xi", "chung", "~", "≈")
ESTIMATE_SUFFIXES = ("(uoc tinh)", "uoc tinh", "(uoc)")
YES_WORDS = frozenset({"co", "x", "roi", "da", "yes", "y", "1", "dung", "ok"})
NO_WORDS = frozenset({"khong", "k", "ko", "kg", "chua", "no", "n", "0"})

_NUMBER = re.compile(r"^(?P<sign>[+-]?)(?P<digits>\d[\d., ]*\d|\d)(?P<pct>\s*%)?(?P<rest>.*)$")
_RANGE = re.compile(r"^\d[\d.,]*\s*(?:-|–|den|toi|~)\s*\d")
_THOUSANDS = re.compile(r"^\d{1,3}(?:\.\d{3})+$")
_SPACED = re.compile(r"^\d{1,3}(?: \d{3})+(?:,\d+)?$")


class NumberFormatError(DomainError, ValueError):
    """The text is not a figure; `reason` says why, in Vietnamese."""

    status = 422
    code = "bad_number"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ParsedNumber:
    value: Decimal
    estimate: bool = False
    percent: bool = False

    @property
    def is_integer(self) -> bool:
        return self.value == self.value.to_integral_value()


def strip_estimate(text: str) -> tuple[str, bool]:
    """Remove an estimate word before or after the figure; returns (rest, was_estimate)."""
    folded = fold(text)
    for word in ESTIMATE_WORDS:
        if folded.startswith(word) and (len(folded) == len(word) or not folded[len(word)].isalpha()):
            return folded[len(word) :].strip(), True
    for word in ESTIMATE_SUFFIXES:
        if folded.endswith(word):
            return folded[: -len(word)].strip(), True
    return folded, False


def _digits_to_decimal(digits: str) -> Decimal:
    if " " in digits:
        if not _SPACED.match(digits):
            raise NumberFormatError("có nhiều hơn một con số")
        digits = digits.replace(" ", "")
    if "," in digits:
        if digits.count(",") > 1:
            raise NumberFormatError("có nhiều hơn một dấu phẩy thập phân")
        whole, frac = digits.split(",")
        if whole and "." in whole and not _THOUSANDS.match(whole):
            raise NumberFormatError("dấu chấm phân cách hàng nghìn phải đứng trước từng nhóm 3 chữ số")
        digits = whole.replace(".", "") + "." + frac
        if "." in frac:
            raise NumberFormatError("dấu chấm không được đứng sau dấu phẩy thập phân")
    elif "." in digits:
        if _THOUSANDS.match(digits):
            digits = digits.replace(".", "")
        elif digits.count(".") > 1:
            raise NumberFormatError("dấu chấm phân cách hàng nghìn phải đứng trước từng nhóm 3 chữ số")
    try:
        return Decimal(digits)
    except InvalidOperation as exc:
        raise NumberFormatError("không phải là một con số") from exc


def parse_number(text: str) -> ParsedNumber:
    """Read one figure; raises NumberFormatError with a Vietnamese reason."""
    body, estimate = strip_estimate(text)
    if not body:
        raise NumberFormatError("chưa có con số")
    if _RANGE.match(body):
        raise NumberFormatError("là một khoảng, cần một con số cụ thể")
    match = _NUMBER.match(body)
    if match is None:
        raise NumberFormatError("không phải là một con số")
    rest = match["rest"].strip()
    if rest and (rest[0].isdigit() or (not any(ch.isalpha() for ch in rest) and rest not in {".", ")"})):
        raise NumberFormatError("không phải là một con số")
    if rest and any(ch.isdigit() for ch in rest):
        raise NumberFormatError("có nhiều hơn một con số")
    value = _digits_to_decimal(match["digits"])
    if match["sign"] == "-":
        value = -value
    return ParsedNumber(value=value, estimate=estimate, percent=bool(match["pct"]))


def parse_yes_no(text: str) -> bool | None:
    """True for yes, False for no, None when the text is neither."""
    word = fold(text).strip(" .!")
    if word in YES_WORDS:
        return True
    if word in NO_WORDS:
        return False
    return None


def match_choice(text: str, choices: list[str]) -> str | None:
    """The choice matching `text` without diacritics or case, or picked by its 1-based number."""
    wanted = fold(text).strip(" .")
    for choice in choices:
        if fold(choice) == wanted:
            return choice
    if wanted.isdigit() and 1 <= int(wanted) <= len(choices):
        return choices[int(wanted) - 1]
    prefixed = [c for c in choices if wanted and fold(c).startswith(wanted)]
    return prefixed[0] if len(prefixed) == 1 else None


def format_number(value: Decimal | float | int) -> str:
    """Vietnamese display: `1.234.567`, `1,5`."""
    dec = Decimal(str(value))
    if dec == dec.to_integral_value():
        return f"{int(dec):,}".replace(",", ".")
    whole, _, frac = f"{dec.normalize():f}".partition(".")
    return f"{int(whole):,}".replace(",", ".") + "," + frac
