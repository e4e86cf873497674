"""Parse ``parse_mode`` text (HTML, MarkdownV2, legacy Markdown) into plain text + entities.

Offsets and lengths of entities are in UTF-16 code units, like Telegram's.  Errors raise
:class:`EntityParseError` whose message is the part after ``"Bad Request: can't parse entities: "``.
"""

from __future__ import annotations

from typing import Any

Entity = dict[str, Any]

ALLOWED_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}


class EntityParseError(ValueError):
    """The text could not be parsed in the requested parse mode."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, char_index: int) -> int:
    return len(text[:char_index].encode("utf-8"))


def _finish(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    kept = [e for e in entities if e["length"] > 0]
    kept.sort(key=lambda e: (e["offset"], -e["length"]))
    return text, kept


# --------------------------------------------------------------------------- HTML
#
# A port of TDLib's ``parse_html`` rules (the parser behind the Bot API): every ``<`` starts a tag,
# only ``&lt; &gt; &amp; &quot;`` and numeric references are decoded (``&nbsp;`` stays text), tag and
# attribute names are checked, and errors name the byte offset of the tag.

_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _decode_entity(source: str, i: int) -> tuple[str, int] | None:
    """Decode the reference at ``source[i] == "&"``; ``(text, next index)`` or ``None`` (left as text)."""
    n = len(source)
    j = i + 1
    if j < n and source[j] == "#":
        j += 1
        base = 10
        if j < n and source[j] in "xX":
            base = 16
            j += 1
        digits_start = j
        allowed = "0123456789abcdefABCDEF" if base == 16 else "0123456789"
        while j < n and source[j] in allowed:
            j += 1
        if j == digits_start:
            return None
        code = int(source[digits_start:j], base)
        if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        decoded = chr(code)
    else:
        while j < n and source[j].isascii() and source[j].isalpha():
            j += 1
        decoded_or_none = _NAMED_ENTITIES.get(source[i + 1 : j])
        if decoded_or_none is None:
            return None
        decoded = decoded_or_none
    if j < n and source[j] == ";":
        j += 1
    return decoded, j


class _HtmlParser:
    def __init__(self, source: str) -> None:
        self.src = source
        self.n = len(source)
        self.out: list[str] = []
        self.pos16 = 0
        self.stack: list[tuple[str, Entity]] = []
        self.entities: list[Entity] = []

    def byte(self, index: int) -> int:
        return _byte_offset(self.src, index)

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.pos16 += utf16_len(text)

    def parse(self) -> tuple[str, list[Entity]]:
        src, n = self.src, self.n
        i = 0
        while i < n:
            ch = src[i]
            if ch == "&":
                decoded = _decode_entity(src, i)
                if decoded is None:
                    self.emit("&")
                    i += 1
                else:
                    self.emit(decoded[0])
                    i = decoded[1]
            elif ch != "<":
                j = i
                while j < n and src[j] not in "&<":
                    j += 1
                self.emit(src[i:j])
                i = j
            elif i + 1 < n and src[i + 1] == "/":
                i = self.end_tag(i)
            else:
                i = self.start_tag(i)
        if self.stack:
            raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{self.stack[-1][0]}"')
        return _finish("".join(self.out), self.entities)

    def start_tag(self, begin: int) -> int:
        src, n = self.src, self.n
        i = begin + 1
        while i < n and not src[i].isspace() and src[i] not in ">/":
            i += 1
        if i >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {self.byte(begin)}")
        tag = src[begin + 1 : i].lower()
        kind = ALLOWED_HTML_TAGS.get(tag)
        if kind is None or src[i] == "/":
            raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {self.byte(begin)}')
        attributes, i = self.attributes(tag, begin, i)
        self.open(tag, kind, attributes, begin)
        return i + 1  # past ">"

    def attributes(self, tag: str, begin: int, i: int) -> tuple[dict[str, str], int]:
        src, n = self.src, self.n
        found: dict[str, str] = {}
        while True:
            while i < n and src[i].isspace():
                i += 1
            if i >= n:
                raise EntityParseError(f"Unclosed start tag at byte offset {self.byte(begin)}")
            if src[i] == ">":
                return found, i
            name_start = i
            while i < n and not src[i].isspace() and src[i] not in "=>":
                i += 1
            name = src[name_start:i].lower()
            if not name:
                raise EntityParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset {self.byte(begin)}'
                )
            while i < n and src[i].isspace():
                i += 1
            if i >= n:
                raise EntityParseError(f"Unclosed start tag at byte offset {self.byte(begin)}")
            if src[i] != "=":
                found[name] = ""  # a value-less attribute (``<blockquote expandable>``)
                continue
            i += 1
            while i < n and src[i].isspace():
                i += 1
            if i >= n:
                raise EntityParseError(f"Unclosed start tag at byte offset {self.byte(begin)}")
            if src[i] in "'\"":
                quote = src[i]
                i += 1
                value: list[str] = []
                while i < n and src[i] != quote:
                    if src[i] == "&":
                        decoded = _decode_entity(src, i)
                        if decoded is not None:
                            value.append(decoded[0])
                            i = decoded[1]
                            continue
                    value.append(src[i])
                    i += 1
                if i >= n:
                    raise EntityParseError(f"Unclosed start tag at byte offset {self.byte(begin)}")
                i += 1
                found[name] = "".join(value)
            else:
                token_start = i
                while i < n and ((src[i].isascii() and src[i].isalnum()) or src[i] in ".-"):
                    i += 1
                if i < n and not src[i].isspace() and src[i] != ">":
                    raise EntityParseError(
                        f"Unexpected end of name token at byte offset {self.byte(token_start)}"
                    )
                found[name] = src[token_start:i].lower()

    def open(self, tag: str, kind: str, attributes: dict[str, str], begin: int) -> None:
        if tag == "span" and attributes.get("class") != "tg-spoiler":
            raise EntityParseError(f'Unsupported start tag "span" at byte offset {self.byte(begin)}')
        entity: Entity = {"type": kind, "offset": self.pos16}
        if tag == "a":
            href = attributes.get("href", "")
            if href.startswith("tg://user?id="):
                user_id = href.split("=", 1)[1]
                entity["type"] = "text_mention"
                entity["user"] = {
                    "id": int(user_id) if user_id.isdigit() else 0,
                    "is_bot": False,
                    "first_name": "",
                }
            elif href:
                entity["url"] = href
            else:
                entity["type"] = ""
        elif tag == "blockquote" and "expandable" in attributes:
            entity["type"] = "expandable_blockquote"
        elif tag == "tg-emoji":
            emoji_id = attributes.get("emoji-id", "")
            if not emoji_id:
                raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {self.byte(begin)}')
            entity["custom_emoji_id"] = emoji_id
        elif tag == "code" and self.stack and self.stack[-1][0] == "pre":
            language = attributes.get("class", "")
            if language.startswith("language-"):
                self.stack[-1][1]["language"] = language[len("language-") :]
                entity["type"] = ""
        self.stack.append((tag, entity))

    def end_tag(self, begin: int) -> int:
        src, n = self.src, self.n
        if not self.stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {self.byte(begin)}")
        i = begin + 2
        while i < n and not src[i].isspace() and src[i] != ">":
            i += 1
        name = src[begin + 2 : i].lower()
        while i < n and src[i].isspace():
            i += 1
        if i >= n or src[i] != ">":
            raise EntityParseError(f"Unclosed end tag at byte offset {self.byte(begin)}")
        open_tag, entity = self.stack.pop()
        if name and name != open_tag:
            raise EntityParseError(
                f"Unmatched end tag at byte offset {self.byte(begin)}, "
                f'expected "</{open_tag}>", found "</{name}>"'
            )
        if entity["type"]:
            entity["length"] = self.pos16 - entity["offset"]
            self.entities.append(entity)
        return i + 1


def parse_html(source: str) -> tuple[str, list[Entity]]:
    return _HtmlParser(source).parse()


# --------------------------------------------------------------------------- MarkdownV2

_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}


class _MarkdownV2:
    def __init__(self, source: str) -> None:
        self.src = source
        self.i = 0
        self.out: list[str] = []
        self.pos16 = 0
        # (type, offset16, start byte offset)
        self.stack: list[tuple[str, int, int]] = []
        self.entities: list[Entity] = []
        self.quote: tuple[str, int] | None = None  # (type, offset16)

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.pos16 += utf16_len(text)

    def byte(self, index: int | None = None) -> int:
        return _byte_offset(self.src, self.i if index is None else index)

    def reserved(self, ch: str) -> EntityParseError:
        return EntityParseError(f"Character '{ch}' is reserved and must be escaped with the preceding '\\'")

    def close(self, kind: str, extra: Entity | None = None) -> None:
        _, offset, _ = self.stack.pop()
        entity: Entity = {"type": kind, "offset": offset, "length": self.pos16 - offset}
        if extra:
            entity.update(extra)
        self.entities.append(entity)

    def read_until(self, terminator: str, escapable: str, what: str, start_byte: int) -> str:
        """Read raw text until ``terminator``; inside only ``escapable`` chars may be escaped."""
        src = self.src
        buf: list[str] = []
        while True:
            if self.i >= len(src):
                raise EntityParseError(f"Can't find end of {what} entity at byte offset {start_byte}")
            if src.startswith(terminator, self.i):
                self.i += len(terminator)
                return "".join(buf)
            ch = src[self.i]
            if ch == "\\" and self.i + 1 < len(src) and 0 < ord(src[self.i + 1]) <= 126:
                buf.append(src[self.i + 1])
                self.i += 2
                continue
            buf.append(ch)
            self.i += 1

    def line_start(self) -> None:
        """Handle blockquote markers at the beginning of a line."""
        src = self.src
        if src.startswith("**>", self.i) and self.quote is None:
            self.quote = ("expandable_blockquote", self.pos16)
            self.i += 3
        elif src.startswith(">", self.i):
            if self.quote is None:
                self.quote = ("blockquote", self.pos16)
            self.i += 1
        elif self.quote is not None:
            self.end_quote(self.pos16 - 1)

    def end_quote(self, end16: int) -> None:
        if self.quote is not None:
            kind, offset = self.quote
            self.entities.append({"type": kind, "offset": offset, "length": max(0, end16 - offset)})
            self.quote = None

    def parse(self) -> tuple[str, list[Entity]]:
        src = self.src
        at_line_start = True
        while self.i < len(src):
            if at_line_start:
                at_line_start = False
                self.line_start()
                continue
            ch = src[self.i]
            if ch == "\n":
                self.emit(ch)
                self.i += 1
                at_line_start = True
                continue
            if ch == "\\" and self.i + 1 < len(src) and 0 < ord(src[self.i + 1]) <= 126:
                self.emit(src[self.i + 1])
                self.i += 2
                continue
            if ch not in _MDV2_RESERVED:
                self.emit(ch)
                self.i += 1
                continue
            self.reserved_char(ch)
        if self.stack:
            kind, _, start = self.stack[-1]
            raise EntityParseError(
                f"Can't find end of {_MDV2_NAMES.get(kind, kind)} entity at byte offset {start}"
            )
        self.end_quote(self.pos16)
        return _finish("".join(self.out), self.entities)

    def reserved_char(self, ch: str) -> None:
        src = self.src
        top = self.stack[-1][0] if self.stack else None
        nxt = src[self.i + 1] if self.i + 1 < len(src) else ""
        if ch == "_":
            if top == "underline" and nxt == "_":
                self.i += 2
                self.close("underline")
            elif top == "italic":
                self.i += 1
                self.close("italic")
            elif nxt == "_":
                self.stack.append(("underline", self.pos16, self.byte()))
                self.i += 2
            else:
                self.stack.append(("italic", self.pos16, self.byte()))
                self.i += 1
            return
        if ch in "*~":
            kind = "bold" if ch == "*" else "strikethrough"
            if top == kind:
                self.i += 1
                self.close(kind)
            else:
                self.stack.append((kind, self.pos16, self.byte()))
                self.i += 1
            return
        if ch == "|":
            if nxt != "|":
                raise self.reserved(ch)
            after = src[self.i + 2] if self.i + 2 < len(src) else "\n"
            if self.quote and self.quote[0] == "expandable_blockquote" and after == "\n" and top != "spoiler":
                self.i += 2
                self.end_quote(self.pos16)
                return
            if top == "spoiler":
                self.i += 2
                self.close("spoiler")
            else:
                self.stack.append(("spoiler", self.pos16, self.byte()))
                self.i += 2
            return
        if ch == "`":
            start = self.byte()
            if src.startswith("```", self.i):
                self.i += 3
                body = self.read_until("```", "`\\", "Pre", start)
                language = ""
                if "\n" in body:
                    first, rest = body.split("\n", 1)
                    if first and " " not in first:
                        language, body = first, rest
                offset = self.pos16
                self.emit(body)
                entity: Entity = {"type": "pre", "offset": offset, "length": self.pos16 - offset}
                if language:
                    entity["language"] = language
                self.entities.append(entity)
            else:
                self.i += 1
                body = self.read_until("`", "`\\", "Code", start)
                offset = self.pos16
                self.emit(body)
                self.entities.append({"type": "code", "offset": offset, "length": self.pos16 - offset})
            return
        if ch == "[":
            self.stack.append(("text_link", self.pos16, self.byte()))
            self.i += 1
            return
        if ch == "!" and nxt == "[":
            self.stack.append(("custom_emoji", self.pos16, self.byte()))
            self.i += 2
            return
        if ch == "]" and top in ("text_link", "custom_emoji"):
            assert top is not None
            start = self.stack[-1][2]
            self.i += 1
            if not src.startswith("(", self.i):
                if top == "custom_emoji":
                    raise EntityParseError(f"Can't find end of CustomEmoji entity at byte offset {start}")
                self.stack.pop()
                return
            self.i += 1
            url = self.read_until(")", ")\\", "TextUrl", start)
            if top == "custom_emoji":
                emoji_id = url.split("id=", 1)[1] if "id=" in url else ""
                self.close("custom_emoji", {"custom_emoji_id": emoji_id})
            elif url.startswith("tg://user?id="):
                user_id = url.split("=", 1)[1]
                user = {"id": int(user_id) if user_id.isdigit() else 0, "is_bot": False, "first_name": ""}
                self.close("text_mention", {"user": user})
            else:
                self.close("text_link", {"url": url})
            return
        raise self.reserved(ch)


def parse_markdown_v2(source: str) -> tuple[str, list[Entity]]:
    return _MarkdownV2(source).parse()


# --------------------------------------------------------------------------- legacy Markdown


def parse_markdown(source: str) -> tuple[str, list[Entity]]:
    """Legacy ``Markdown``: *bold*, _italic_, `code`, ```pre```, [text](url); no nesting."""
    out: list[str] = []
    entities: list[Entity] = []
    pos16 = 0
    i = 0
    n = len(source)

    def unclosed(start: int) -> EntityParseError:
        return EntityParseError(
            f"Can't find end of the entity starting at byte offset {_byte_offset(source, start)}"
        )

    while i < n:
        ch = source[i]
        if ch == "\\" and i + 1 < n and source[i + 1] in "_*`[":
            out.append(source[i + 1])
            pos16 += 1
            i += 2
            continue
        if ch in "*_":
            end = source.find(ch, i + 1)
            if end < 0:
                raise unclosed(i)
            body = source[i + 1 : end]
            entities.append(
                {"type": "bold" if ch == "*" else "italic", "offset": pos16, "length": utf16_len(body)}
            )
            out.append(body)
            pos16 += utf16_len(body)
            i = end + 1
            continue
        if ch == "`":
            fence = "```" if source.startswith("```", i) else "`"
            end = source.find(fence, i + len(fence))
            if end < 0:
                raise unclosed(i)
            body = source[i + len(fence) : end]
            entity: Entity = {"type": "pre" if fence == "```" else "code", "offset": pos16}
            if fence == "```" and "\n" in body:
                first, rest = body.split("\n", 1)
                if first and " " not in first:
                    entity["language"] = first
                    body = rest
            entity["length"] = utf16_len(body)
            entities.append(entity)
            out.append(body)
            pos16 += utf16_len(body)
            i = end + len(fence)
            continue
        if ch == "[":
            close = source.find("]", i + 1)
            if close < 0:
                raise unclosed(i)
            body = source[i + 1 : close]
            if source.startswith("(", close + 1):
                end = source.find(")", close + 2)
                if end < 0:
                    raise unclosed(i)
                url = source[close + 2 : end]
                entities.append({"type": "text_link", "offset": pos16, "length": utf16_len(body), "url": url})
                i = end + 1
            else:
                i = close + 1
            out.append(body)
            pos16 += utf16_len(body)
            continue
        out.append(ch)
        pos16 += utf16_len(ch)
        i += 1
    return _finish("".join(out), entities)


def parse_text(text: str, parse_mode: str | None) -> tuple[str, list[Entity]]:
    """Dispatch on ``parse_mode`` (case-insensitive); ``None``/empty leaves the text as is."""
    if not parse_mode:
        return text, []
    mode = parse_mode.lower()
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":
        return parse_markdown(text)
    raise ValueError(f"unsupported parse_mode {parse_mode!r}")
