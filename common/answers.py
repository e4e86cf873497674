"""Typed answers where a button was offered: people type the label without diacritics (`tien luong`),
a part of it, its number in the list, or a yes/no in one of its everyday shapes (`có ạ`, `khong co`).

Pure functions, so every chat step that offers buttons can also accept the typed answer the same way.
"""

from __future__ import annotations

import re
import unicodedata

from common.vietnamese import fold

YES = frozenset(
    {"co", "x", "roi", "da", "yes", "y", "1", "dung", "ok", "vang",
     "co a", "da co", "co roi", "vang co", "co nhe"}
)  # fmt: skip
NO = frozenset(
    {"khong", "k", "ko", "kg", "kh", "chua", "no", "n", "0",
     "khong co", "chua co", "khong a", "ko co", "k co"}
)  # fmt: skip
_EMOJI_CATEGORIES = ("So", "Sk", "Cs")


def plain_label(label: str) -> str:
    """A button label without its emoji and diacritics: `🕶 Gửi ẩn danh` → `gui an danh`."""
    kept = "".join(ch for ch in label if unicodedata.category(ch) not in _EMOJI_CATEGORIES)
    return fold(re.sub(r"[^\w\s]", " ", kept))


def yes_no(text: str) -> bool | None:
    """True for yes, False for no, None when the text is neither."""
    word = fold(unicodedata.normalize("NFKC", text)).strip(" .!,")
    if word in YES:
        return True
    if word in NO:
        return False
    return None


def match_label(text: str, labels: list[str]) -> str | None:
    """The one label meant by `text`: equal without diacritics, its 1-based number, the only label starting
    with it, or the only label containing all its words. None when nothing or more than one fits."""
    wanted = plain_label(unicodedata.normalize("NFKC", text))
    if not wanted:
        return None
    plain = {label: plain_label(label) for label in labels}
    for label, folded in plain.items():
        if folded == wanted:
            return label
    if wanted.isdigit() and 1 <= int(wanted) <= len(labels):
        return labels[int(wanted) - 1]
    for test in (
        lambda folded: folded.startswith(wanted),
        lambda folded: all(word in folded.split() for word in wanted.split()),
    ):
        found = [label for label, folded in plain.items() if test(folded)]
        if len(found) == 1:
            return found[0]
    return None
