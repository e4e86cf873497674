"""Telegram-style HTML and buttons rendered for Zalo, which shows plain text only.

Zalo's `sendMessage` takes at most 2,000 characters: longer text is cut at paragraph, line or
sentence ends, never mid-word when avoidable. Buttons become numbered lines («Gõ 1 để …»); links
are written out since they open by themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser

TEXT_LIMIT = 2000


class _Plain(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._href: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.out.append("\n")
        elif tag == "a":
            self._href.append(dict(attrs).get("href"))
        elif tag == "li":
            self.out.append("• ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href:
            href = self._href.pop()
            if href and not href.startswith("tg://"):
                self.out.append(f" ({href})")
        elif tag in ("p", "blockquote", "pre", "li"):
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        self.out.append(data)


def html_to_text(html: str | None) -> str:
    if not html:
        return ""
    parser = _Plain()
    parser.feed(html)
    parser.close()
    return unescape("".join(parser.out)).strip()


_CUTS = (
    re.compile(r"\n\s*\n"),
    re.compile(r"\n"),
    re.compile(r"[.!?…;:][\"'”)»]*\s"),
    re.compile(r"\s"),
)


def _cut(window: str) -> int:
    """Where to end a part inside `window`: the last good boundary in its second half."""
    for pattern in _CUTS:
        ends = [m.end() for m in pattern.finditer(window) if m.end() >= len(window) // 2]
        if ends:
            return ends[-1]
    return len(window)


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        end = _cut(rest[:limit])
        part = rest[:end].strip()
        if part:
            parts.append(part)
        rest = rest[end:].strip()
    if rest or not parts:
        parts.append(rest)
    return parts


@dataclass(frozen=True)
class Choice:
    """One numbered option: pressing it sends `data` as a button press, or `text` as if typed."""

    label: str
    data: str | None = None
    text: str | None = None

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in {"label": self.label, "data": self.data, "text": self.text}.items() if v}


def choices_block(choices: list[Choice], links: list[tuple[str, str]], *, in_form: bool = False) -> str:
    """The lines that stand for a message's buttons. In a form, where a bare number is an answer,
    the choices are picked with «số N» instead."""
    lines: list[str] = [f"{label}: {url}" for label, url in links]
    if choices:
        say = "số " if in_form else ""
        if len(choices) == 1:
            lines.append(f"Gõ {say}1 để chọn «{choices[0].label}».")
        else:
            lines.append("Gõ số để chọn:" if not in_form else "Gõ «số N» để chọn:")
            lines.extend(f"{i}. {c.label}" for i, c in enumerate(choices, 1))
    return "\n".join(lines)


def with_choices(text: str, block: str, limit: int = TEXT_LIMIT) -> list[str]:
    """The parts of `text` with the choices at the end of the last part (or on their own)."""
    parts = split_text(text, limit) if text else []
    if not block:
        return parts or [""]
    if parts and len(parts[-1]) + 2 + len(block) <= limit:
        parts[-1] = f"{parts[-1]}\n\n{block}"
    else:
        parts.append(block)
    return parts
