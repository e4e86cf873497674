"""Text bound for a spreadsheet cell: openpyxl refuses control characters (IllegalCharacterError), so one
stray character in a stored name would break every export that covers it. Stripped on the way out."""

from __future__ import annotations

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE


def strip_illegal(value: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", value)
