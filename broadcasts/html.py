"""Telegram HTML: sanitised to the tags Telegram accepts, and split at clean boundaries.

Text is parsed into *runs* (a piece of text plus the stack of tags open around it). Sanitising is
parse-then-render; splitting cuts the plain text and renders each slice, so tags opened before a
cut are closed at its end and reopened in the next part — a split never breaks a tag.
Limits count UTF-16 code units, as Telegram does.
"""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser

Run = tuple[str, tuple[str, ...]]

_SIMPLE = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "tg-spoiler", "code", "pre"}
_SAFE_SCHEMES = ("http://", "https://", "tg://", "mailto:")
_BLOCK_END = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "tr"}


def _open_tag(tag: str, attrs: dict[str, str | None]) -> str | None:
    """The canonical opening tag Telegram accepts, or None to drop the tag (keeping its text)."""
    if tag in _SIMPLE:
        if tag == "code" and (attrs.get("class") or "").startswith("language-"):
            return f'<code class="{escape(attrs["class"] or "")}">'
        return f"<{tag}>"
    if tag == "a":
        href = (attrs.get("href") or "").strip()
        if href.lower().startswith(_SAFE_SCHEMES):
            return f'<a href="{escape(href)}">'
        return None
    if tag == "span" and attrs.get("class") == "tg-spoiler":
        return '<span class="tg-spoiler">'
    if tag == "blockquote":
        return "<blockquote expandable>" if "expandable" in attrs else "<blockquote>"
    if tag == "tg-emoji" and (attrs.get("emoji-id") or "").isdigit():
        return f'<tg-emoji emoji-id="{attrs["emoji-id"]}">'
    return None


def _name(open_tag: str) -> str:
    return open_tag[1:].split(">", 1)[0].split(" ", 1)[0]


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.runs: list[Run] = []
        self.stack: list[tuple[str, str | None]] = []  # (source tag, kept opening tag or None)

    def _text(self, text: str) -> None:
        if text:
            kept = tuple(t for _, t in self.stack if t is not None)
            if self.runs and self.runs[-1][1] == kept:
                self.runs[-1] = (self.runs[-1][0] + text, kept)
            else:
                self.runs.append((text, kept))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._text("\n")
            return
        if tag == "li":
            self._text("• ")
        self.stack.append((tag, _open_tag(tag, dict(attrs))))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._text("\n")

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]  # closes anything left open inside it too
                break
        if tag in _BLOCK_END:
            self._text("\n\n")
        elif tag == "li":
            self._text("\n")

    def handle_data(self, data: str) -> None:
        self._text(data)


def parse(html: str) -> list[Run]:
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.runs


def render(runs: list[Run]) -> str:
    out: list[str] = []
    open_: list[str] = []
    for text, tags in runs:
        common = 0
        while common < min(len(open_), len(tags)) and open_[common] == tags[common]:
            common += 1
        for tag in reversed(open_[common:]):
            out.append(f"</{_name(tag)}>")
        out.extend(tags[common:])
        open_ = list(tags)
        out.append(escape(text, quote=False))
    out.extend(f"</{_name(tag)}>" for tag in reversed(open_))
    return "".join(out)


def sanitize(html: str) -> str:
    """Only Telegram's tags survive; text and attributes are escaped; every tag is closed."""
    return render(parse(html)).strip()


def plain(text: str) -> str:
    """User-supplied plain text made safe to embed in Telegram HTML."""
    return escape(text, quote=False)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def visible_len(html: str) -> int:
    return sum(utf16_len(t) for t, _ in parse(html))


_SENTENCE_END = re.compile(r"[.!?…;:][\"'”)»]*\s")


def _best_cut(window: str) -> int:
    """Where to end a part inside `window`: paragraph, line, sentence, word, else a hard cut."""
    floor = len(window) // 3
    for sep in ("\n\n", "\n"):
        at = window.rfind(sep)
        if at > floor:
            return at
    ends = [m.end() for m in _SENTENCE_END.finditer(window) if m.end() > floor]
    if ends:
        return ends[-1]
    at = max(window.rfind(" "), window.rfind("\t"))
    if at > floor:
        return at
    return len(window)


def _fit(text: str, start: int, limit: int) -> int:
    """The largest end such that text[start:end] is at most `limit` UTF-16 units."""
    units, end = 0, start
    while end < len(text):
        step = 2 if ord(text[end]) > 0xFFFF else 1
        if units + step > limit:
            break
        units += step
        end += 1
    return end


def _slice(runs: list[Run], start: int, end: int) -> list[Run]:
    out: list[Run] = []
    pos = 0
    for text, tags in runs:
        lo, hi = max(start, pos), min(end, pos + len(text))
        if lo < hi:
            out.append((text[lo - pos : hi - pos], tags))
        pos += len(text)
    return out


def split(html: str, limit: int, *, first_limit: int | None = None) -> list[str]:
    """Sanitised HTML cut into parts of at most `limit` visible UTF-16 units (`first_limit` for the
    first part, e.g. a 1024 caption followed by 4096 messages)."""
    runs = parse(html)
    text = "".join(t for t, _ in runs)
    parts: list[str] = []
    start = 0
    while True:
        while start < len(text) and text[start].isspace():
            start += 1
        if start >= len(text):
            break
        cap = first_limit if (first_limit is not None and not parts) else limit
        end = _fit(text, start, cap)
        if end < len(text):
            end = start + _best_cut(text[start:end])
        stop = end
        while stop > start and text[stop - 1].isspace():
            stop -= 1
        parts.append(render(_slice(runs, start, stop)))
        start = end
    return parts
