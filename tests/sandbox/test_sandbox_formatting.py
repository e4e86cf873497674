"""Unit tests of the parse_mode parsers (no server)."""

from __future__ import annotations

import pytest

from sandbox.formatting import EntityParseError, parse_html, parse_markdown, parse_markdown_v2, utf16_len


def test_html_entities_and_utf16_offsets() -> None:
    text, entities = parse_html('😀 <b>Công <i>đoàn</i></b> &amp; <a href="https://congdoan.vn">link</a>')
    assert text == "😀 Công đoàn & link"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 9},
        {"type": "italic", "offset": 8, "length": 4},
        {"type": "text_link", "offset": 15, "length": 4, "url": "https://congdoan.vn"},
    ]
    assert utf16_len("😀") == 2


def test_html_pre_with_language_spoiler_and_blockquote() -> None:
    source = (
        '<pre><code class="language-python">x = 1</code></pre>'
        '<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler><blockquote expandable>q</blockquote>'
    )
    text, entities = parse_html(source)
    assert text == "x = 1stq"
    assert {"type": "pre", "offset": 0, "length": 5, "language": "python"} in entities
    assert [e["type"] for e in entities].count("spoiler") == 2
    assert {"type": "expandable_blockquote", "offset": 7, "length": 1} in entities


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("a <br/> b", 'Unsupported start tag "br" at byte offset 2'),
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("<span>x</span>", 'Unsupported start tag "span" at byte offset 0'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b><i>x</b></i>", "Unmatched end tag"),
    ],
)
def test_html_errors(source: str, message: str) -> None:
    with pytest.raises(EntityParseError, match=message):
        parse_html(source)


def test_markdown_v2_entities() -> None:
    text, entities = parse_markdown_v2(
        "*đậm* _nghiêng_ __gạch__ ~xoá~ ||ẩn|| `code` [liên kết](https://x.vn/a\\)b) 1\\.5"
    )
    assert text == "đậm nghiêng gạch xoá ẩn code liên kết 1.5"
    types = [e["type"] for e in entities]
    assert types == ["bold", "italic", "underline", "strikethrough", "spoiler", "code", "text_link"]
    assert entities[-1]["url"] == "https://x.vn/a)b"


def test_markdown_v2_pre_and_blockquote() -> None:
    text, entities = parse_markdown_v2("```python\nprint(1)\n```\n>trích\n>dẫn\nhết")
    assert text == "print(1)\n\ntrích\ndẫn\nhết"
    assert entities[0] == {"type": "pre", "offset": 0, "length": 9, "language": "python"}
    assert entities[1]["type"] == "blockquote"
    assert text[entities[1]["offset"] : entities[1]["offset"] + entities[1]["length"]] == "trích\ndẫn"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("Giá 1.5", "Character '.' is reserved"),
        ("a-b", "Character '-' is reserved"),
        ("(x)", "Character '\\(' is reserved"),
        ("*đậm", "Can't find end of Bold entity at byte offset 0"),
        ("x `code", "Can't find end of Code entity at byte offset 2"),
    ],
)
def test_markdown_v2_errors(source: str, message: str) -> None:
    with pytest.raises(EntityParseError, match=message):
        parse_markdown_v2(source)


def test_legacy_markdown() -> None:
    text, entities = parse_markdown("*b* _i_ `c` [t](https://a.b) 1.5-x")
    assert text == "b i c t 1.5-x"
    assert [e["type"] for e in entities] == ["bold", "italic", "code", "text_link"]
    with pytest.raises(EntityParseError, match="Can't find end of the entity starting at byte offset 0"):
        parse_markdown("*open")
