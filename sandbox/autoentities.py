"""What Telegram does to every sent text after parsing: trim it and detect entities nobody marked up.

Telegram trims leading and trailing white space (entities shift with it) and marks URLs, e-mail
addresses, ``@mentions``, ``#hashtags`` and ``/commands`` on its own; a test that reads the stored
message must see the same text and entities a real chat would show.
"""

from __future__ import annotations

import re
from typing import Any

from sandbox.formatting import utf16_len

Entity = dict[str, Any]

_TLDS = "vn|com|net|org|gov|edu|info|io|me|ru|de|uk|app|dev"
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("url", re.compile(r"\bhttps?://[^\s<>\"]+[^\s<>\".,;:!?)\]]", re.IGNORECASE)),
    ("email", re.compile(r"\b[\w.+-]+@(?:[\w-]+\.)+[A-Za-z]{2,}\b")),
    (
        "url",
        re.compile(
            rf"(?<![\w@./])(?:[\w-]+\.)+(?:{_TLDS})\b(?:/[^\s<>\"]*[^\s<>\".,;:!?)\]])?", re.IGNORECASE
        ),
    ),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,31}\b")),
    ("hashtag", re.compile(r"(?<![\w#])#\w*[^\W\d_]\w*")),
    ("bot_command", re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z][A-Za-z0-9_]{3,31})?(?![\w/])")),
)
# Marked-up entities inside which Telegram detects nothing.
_OPAQUE = {"code", "pre", "text_link", "text_mention", "url", "email", "mention", "custom_emoji"}


def trim(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Strip leading/trailing white space; entities keep pointing at the same characters."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    shift = utf16_len(text[: len(text) - len(text.lstrip())])
    size = utf16_len(stripped)
    kept: list[Entity] = []
    for entity in entities:
        start = max(0, entity["offset"] - shift)
        end = min(size, entity["offset"] + entity["length"] - shift)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


def detect(text: str, entities: list[Entity]) -> list[Entity]:
    """``entities`` plus those Telegram finds by itself, sorted by offset."""
    taken = [(e["offset"], e["offset"] + e["length"]) for e in entities if e["type"] in _OPAQUE]
    found: list[Entity] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            start = utf16_len(text[: match.start()])
            end = start + utf16_len(match.group())
            if any(start < b and a < end for a, b in taken):
                continue
            taken.append((start, end))
            found.append({"type": kind, "offset": start, "length": end - start})
    result = entities + found
    result.sort(key=lambda e: (e["offset"], -e["length"]))
    return result
