"""Documents are stored as Markdown (`## **BÁO CÁO**`); a chat shows Telegram HTML. Headings become bold
lines, `**bold**` and `*italic*` their tags, list marks a bullet, table rows plain cells, and rules vanish,
so nobody reads raw `##` or `**` on a phone. Text is cut at a word boundary, never inside a tag."""

from __future__ import annotations

import re
from html import escape

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^(\s*)(?:[-*+]|\d+[.)])\s+(.*)$")
_RULE = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,})\s*$")
_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
_ITALIC = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")
_LEFTOVER = re.compile(r"\*\*|(?<![\w*])\*(?=\w)|(?<=\w)\*(?![\w*])")


def cut_words(text: str, limit: int) -> str:
    """At most `limit` characters, cut after a whole word, with «…» when something was left out."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–\n") + "…"


def _inline(line: str) -> str:
    line = escape(line, quote=False)
    line = _BOLD.sub(lambda m: f"<b>{m.group(1) or m.group(2)}</b>", line)
    line = _ITALIC.sub(lambda m: f"<i>{m.group(1)}</i>", line)
    return _LEFTOVER.sub("", line)


def _plain(text: str) -> str:
    return _LEFTOVER.sub("", _BOLD.sub(lambda m: m.group(1) or m.group(2), text))


def to_chat_html(markdown: str, limit: int | None = None) -> str:
    """Telegram HTML for a Markdown text, cut at a word boundary to about `limit` visible characters."""
    text = markdown.strip()
    if limit is not None:
        text = cut_words(text, limit)
    out: list[str] = []
    for raw in text.splitlines():
        if _RULE.match(raw) or _TABLE_SEPARATOR.match(raw):
            continue
        if heading := _HEADING.match(raw):
            out.append(f"<b>{escape(_plain(heading.group(1)), quote=False)}</b>")
        elif bullet := _BULLET.match(raw):
            out.append(f"{bullet.group(1)}• {_inline(bullet.group(2))}")
        elif raw.strip().startswith("|"):
            cells = [c.strip() for c in raw.strip().strip("|").split("|")]
            out.append(" · ".join(_inline(c) for c in cells if c))
        elif raw.lstrip().startswith(">"):
            out.append(f"<i>{_inline(raw.lstrip().lstrip('>').strip())}</i>")
        else:
            out.append(_inline(raw))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()
