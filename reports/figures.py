"""Reading figures the way Vietnamese leaders type them on a phone, never dropping a character silently.

A figure is a number followed only by words Loa knows; anything else is refused with a reason that names
the exact token and, where it can, the fix. A wrong figure stored and confirmed is worse than a question.

Rules (input is first normalised: full-width digits, tabs and non-breaking spaces pasted from spreadsheets
become plain digits and spaces; then folded: lower case, no diacritics, so `khoảng` = `khoang`):
- `.` groups thousands and `,` is the decimal mark: `1.234` = 1234, `1.234,5` = 1234.5, `1,5` = 1.5.
  A `.` followed by anything other than groups of exactly three digits (`1.5`) is a decimal point.
- `1 234` (a space between groups of three) is 1234 when one value is read on its own.
- Multipliers: `k`, `nghìn`, `ngàn` (×1.000), `tr`, `triệu` (×1.000.000), `tỷ` (×1.000.000.000):
  `300k` = 300.000, `2tr` = 2.000.000, `1,5 tỷ` = 1.500.000.000.
- Unit words after the number are known words only: people and session words (`người`, `đv`, `lượt`,
  `buổi`…), the field's own unit, and `%` / `phần trăm` (percentage fields hold the number of per cent).
  `300x` is refused naming `x`; `ng` (người or nghìn?) is refused as ambiguous.
- A letter O among digits (`2oo`, `1.2OO`, `4O`) is a question, not a guess: «có phải 200?».
- Numbers in words (`một trăm`) are refused with the figure in digits to type instead.
- Estimates: `khoảng 300`, `tầm 300`, `gần 300`, `ước 300`, `~300`, `300 (ước tính)` are ACCEPTED as 300
  and flagged; ranges (`200-300`, `200 đến 300`) are refused: an exact figure is asked for.
- Yes/no accepts the usual variants (`có`, `co`, `có ạ`, `rồi`, `ko`, `không có`, `chưa`…).
- Choices are matched without diacritics or case, or by their number in the list (`2`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from common.answers import NO, YES
from common.errors import DomainError
from common.vietnamese import fold

ESTIMATE_WORDS = ("khoang", "tam", "gan", "uoc tinh", "uoc", "xap xi", "chung", "~", "≈")
ESTIMATE_SUFFIXES = ("(uoc tinh)", "uoc tinh", "(uoc)")
YES_WORDS = YES
NO_WORDS = NO
MULTIPLIERS: dict[str, Decimal] = {
    "k": Decimal(1000),
    "nghin": Decimal(1000),
    "ngan": Decimal(1000),
    "tr": Decimal(1_000_000),
    "trieu": Decimal(1_000_000),
    "ty": Decimal(1_000_000_000),
    "ti": Decimal(1_000_000_000),
}
UNIT_WORDS = frozenset(
    {
        "nguoi", "dv", "doan vien", "cdcs", "don vi", "dvi", "buoi", "luot", "lan", "cuoc", "hoi nghi",
        "nhom", "to", "ca", "cai", "nld", "cnvcld", "vien chuc", "lao dong", "dong", "vnd", "d", "hoc sinh",
        "thanh vien", "hs", "nam", "thang", "ngay", "tin", "bai", "van ban", "kien nghi", "lop", "khoa",
    }
)  # fmt: skip
PERCENT_WORDS = ("%", "phan tram")
NUMBER_WORDS: dict[str, int] = {
    "khong": 0, "mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "sau": 6, "bay": 7, "tam": 8,
    "chin": 9, "muoi": 10, "chuc": 10, "tram": 100,
}  # fmt: skip
AMBIGUOUS = {"ng": "«ng» có thể là «người» hoặc «nghìn» — xin ghi rõ"}

_LEAD = re.compile(r"^(?P<sign>[+-]?)(?P<digits>\d[\d.,]*)")
_SPACED_LEAD = re.compile(r"^(?P<sign>[+-]?)(?P<digits>\d{1,3}(?: \d{3})+(?:,\d+)?)(?![\d.,])")
_LETTER_O = re.compile(r"^[+-]?[\do][\d.,o]*$")
_RANGE = re.compile(r"^\d[\d.,]*\s*[a-z%]*\s*(?:-|–|den|toi|~)\s*\d")
_THOUSANDS = re.compile(r"^\d{1,3}(?:\.\d{3})+$")
_WORD = re.compile(r"^\S+")


class FigureError(DomainError, ValueError):
    """The text is not a figure; `reason` says why, in Vietnamese, naming the token at fault."""

    status = 422
    code = "bad_number"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Figure:
    value: Decimal
    estimate: bool = False
    percent: bool = False

    @property
    def is_integer(self) -> bool:
        return self.value == self.value.to_integral_value()


def normalise(text: str) -> str:
    """Full-width digits and letters, non-breaking and thin spaces, tabs → their plain forms (NFKC)."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"[\s\u00a0\u202f\u2007]+", " ", text).strip()


def strip_estimate(text: str) -> tuple[str, bool]:
    """Remove an estimate word before or after the figure; returns (folded rest, was_estimate)."""
    folded = fold(normalise(text))
    for word in ESTIMATE_WORDS:
        if folded.startswith(word) and (len(folded) == len(word) or not folded[len(word)].isalpha()):
            return folded[len(word) :].strip(), True
    for word in ESTIMATE_SUFFIXES:
        if folded.endswith(word):
            return folded[: -len(word)].strip(), True
    return folded, False


def _digits_to_decimal(digits: str) -> Decimal:
    shown = digits
    digits = digits.replace(" ", "")
    if "," in digits:
        if digits.count(",") > 1:
            raise FigureError(f"«{shown}» có nhiều hơn một dấu phẩy thập phân")
        whole, frac = digits.split(",")
        if "." in frac:
            raise FigureError(f"«{shown}»: dấu chấm không được đứng sau dấu phẩy thập phân")
        if whole and "." in whole and not _THOUSANDS.match(whole):
            raise FigureError(f"«{shown}»: dấu chấm phân cách hàng nghìn phải đứng trước từng nhóm 3 chữ số")
        if not frac:
            raise FigureError(f"«{shown}» kết thúc bằng dấu phẩy — xin bỏ dấu phẩy hoặc ghi phần lẻ")
        digits = whole.replace(".", "") + "." + frac
    elif "." in digits:
        if _THOUSANDS.match(digits):
            digits = digits.replace(".", "")
        elif digits.count(".") > 1:
            raise FigureError(f"«{shown}»: dấu chấm phân cách hàng nghìn phải đứng trước từng nhóm 3 chữ số")
        elif digits.endswith("."):
            digits = digits[:-1]
    try:
        return Decimal(digits)
    except InvalidOperation as exc:
        raise FigureError(f"«{shown}» không phải là một con số") from exc


def _letter_o(body: str, typed: str) -> None:
    """`2oo`, `1.2OO`, `4O`: ask rather than guess (the person may have meant something else)."""
    word = body.split(" ")[0]
    shown = next((w for w in typed.split() if w.lower() == word), word)
    if "o" in word and any(ch.isdigit() for ch in word) and _LETTER_O.match(word):
        try:
            meant = format_number(_digits_to_decimal(word.lstrip("+-").replace("o", "0")))
        except FigureError:
            meant = word.replace("o", "0")
        raise FigureError(
            f"«{shown}» có chữ «o» lẫn trong số — có phải {meant}? Xin gõ lại bằng chữ số 0, ví dụ {meant}"
        )


def _in_words(body: str, typed: str) -> None:
    words = body.split(" ")
    if words and words[0] in NUMBER_WORDS and words[0] not in ("khong",):
        example = NUMBER_WORDS[words[0]] if len(words) == 1 else 12
        raise FigureError(f"«{typed}» là số viết bằng chữ — xin gõ bằng chữ số, ví dụ {example}")


def _take(rest: str, phrases: tuple[str, ...] | frozenset[str] | dict[str, Decimal]) -> str | None:
    for phrase in sorted(phrases, key=len, reverse=True):
        if rest.startswith(phrase) and (len(rest) == len(phrase) or not rest[len(phrase)].isalnum()):
            return phrase
    return None


def _read_suffix(rest: str, value: Decimal, unit_words: frozenset[str], typed: str) -> tuple[Decimal, bool]:
    """Multiplier, percent and unit words after the number; anything unknown is refused by name."""
    percent = multiplied = False
    rest = rest.strip()
    while rest:
        if rest[0] in ".)":  # a full stop or the end of «(ước tính)»
            rest = rest[1:].strip()
            continue
        if (word := _take(rest, PERCENT_WORDS)) and not percent:
            percent = True
        elif (word := _take(rest, MULTIPLIERS)) and not multiplied and not percent:
            value *= MULTIPLIERS[word]
            multiplied = True
        elif word := _take(rest, unit_words):
            pass
        else:
            token = _WORD.match(rest)
            bad = token.group(0) if token else rest
            shown = next((w for w in typed.split() if fold(w) == bad), bad)
            if bad in AMBIGUOUS:
                raise FigureError(AMBIGUOUS[bad])
            if any(ch.isdigit() for ch in bad):
                raise FigureError(f"có nhiều hơn một con số (thừa «{shown}») — mỗi chỉ tiêu chỉ một số")
            if bad in NUMBER_WORDS and bad != "khong":
                suggestion = format_number(value * NUMBER_WORDS[bad]) if NUMBER_WORDS[bad] >= 10 else "12"
                raise FigureError(f"«{bad}» là số viết bằng chữ — xin gõ bằng chữ số, ví dụ {suggestion}")
            raise FigureError(
                f"Loa không hiểu «{shown}» sau số {format_number(value)} — xin chỉ gõ số, "
                f"ví dụ {format_number(value)}"
            )
        rest = rest[len(word) :].strip()
    return value, percent


def parse_figure(text: str, *, unit: str = "") -> Figure:
    """Read one figure; `unit` is the field's own unit word, also accepted after the number."""
    typed = normalise(text)
    body, estimate = strip_estimate(typed)
    if not body:
        raise FigureError(f"«{typed}» chưa có con số")
    if _RANGE.match(body):
        raise FigureError(f"«{typed}» là một khoảng — cần một con số cụ thể")
    _letter_o(body, typed)
    match = _SPACED_LEAD.match(body) or _LEAD.match(body)
    if match is None:
        _in_words(body, typed)
        raise FigureError(f"«{typed}» không phải là một con số")
    value = _digits_to_decimal(match["digits"])
    unit_words = UNIT_WORDS | ({fold(unit)} if unit else set())
    value, percent = _read_suffix(body[match.end() :], value, frozenset(unit_words), typed)
    if match["sign"] == "-":
        value = -value
    if value == value.to_integral_value():
        value = value.to_integral_value()  # `1,2k` is stored as 1200, not 1200.0
    return Figure(value=value, estimate=estimate, percent=percent)


def is_number_word(token: str) -> bool:
    """`một`, `trăm`…: a number written in words, which Loa asks to have in digits."""
    return fold(token) in NUMBER_WORDS and fold(token) != "khong"


def is_unit_word(token: str) -> bool:
    """A word that may follow a figure in a line of values (`12 người 5`)."""
    word = fold(normalise(token)).strip(".")
    return word in UNIT_WORDS or word in MULTIPLIERS or word in PERCENT_WORDS or word == "phan"


def parse_yes_no(text: str) -> bool | None:
    """True for yes, False for no, None when the text is neither."""
    word = fold(normalise(text)).strip(" .!,")
    if word in YES_WORDS:
        return True
    if word in NO_WORDS:
        return False
    return None


def match_choice(text: str, choices: list[str]) -> str | None:
    """The choice matching `text` without diacritics or case, or picked by its 1-based number."""
    wanted = fold(normalise(text)).strip(" .")
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
    sign = "-" if dec < 0 and whole == "-0" else ""
    return sign + f"{int(whole):,}".replace(",", ".") + "," + frac
