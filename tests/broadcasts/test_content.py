from __future__ import annotations

import pytest

from archive.sample import sample_documents
from broadcasts import html
from broadcasts.content import (
    CAPTION_LIMIT,
    TEXT_LIMIT,
    Content,
    ContentError,
    PartKind,
    ack_callback,
    parse_ack_callback,
    render_parts,
)


def test_sanitize_keeps_telegram_tags_and_drops_the_rest() -> None:
    dirty = (
        "<p>Kính gửi <b>các CĐCS</b> <script>alert(1)</script><i>khẩn</i></p>"
        '<a href="javascript:x">xấu</a> <a href="https://ldld.vn?a=1&b=2">tốt</a> <font>chữ</font>'
    )
    clean = html.sanitize(dirty)
    assert "<script>" not in clean and "<font>" not in clean and "javascript" not in clean
    assert "<b>các CĐCS</b>" in clean and "<i>khẩn</i>" in clean
    assert '<a href="https://ldld.vn?a=1&amp;b=2">tốt</a>' in clean
    assert "alert(1)" in clean  # the text of a dropped tag stays, escaped


def test_sanitize_closes_unbalanced_tags_and_escapes_text() -> None:
    assert html.sanitize("<b>đậm <i>nghiêng") == "<b>đậm <i>nghiêng</i></b>"
    assert html.sanitize("a &lt; b & c") == "a &lt; b &amp; c"
    assert html.plain("<b>1 < 2</b>") == "&lt;b&gt;1 &lt; 2&lt;/b&gt;"


def test_split_respects_limit_and_keeps_tags_balanced() -> None:
    text = "\n\n".join(doc.body for doc in sample_documents())  # the whole sample archive, ~16,000 chars
    source = "<b>" + html.plain(text) + "</b>"
    parts = html.split(source, TEXT_LIMIT)
    assert len(parts) >= max(4, html.visible_len(source) // TEXT_LIMIT + 1)
    for part in parts:
        assert html.visible_len(part) <= TEXT_LIMIT
        assert part.startswith("<b>") and part.endswith("</b>")
        assert html.sanitize(part) == part  # balanced and canonical
    joined = " ".join("".join(t for t, _ in html.parse(p)) for p in parts)
    assert joined.split() == text.split()  # nothing lost, only whitespace at the cuts


def test_split_prefers_paragraphs_then_sentences_then_words() -> None:
    para = "Câu một. " * 30
    parts = html.split(para.strip() + "\n\n" + para.strip(), 400)
    assert all(p.endswith(".") for p in parts)  # never cut mid-sentence
    words = html.split("từ " * 100, 50)
    assert all(not p.endswith("t") and html.visible_len(p) <= 50 for p in words)
    assert html.split("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]  # no boundary: hard cut


def test_split_counts_utf16_units() -> None:
    emoji = "😀" * 10  # two UTF-16 units each
    parts = html.split(emoji, 5)
    assert all(html.utf16_len(p) <= 5 for p in parts) and "".join(parts) == emoji


def test_document_with_long_caption_becomes_caption_then_text_parts() -> None:
    body = html.plain(sample_documents()[1].body)  # the directive, ~3,300 chars: past a caption
    content = Content(
        kind=PartKind.document,
        html=body,
        media="FILEID",
        filename="chi-thi.pdf",
        buttons=[[{"text": "Xem trên cổng", "url": "https://ldld.vn/ct"}]],
    )
    content.validate()
    parts = render_parts(content, ack_for=123)
    assert parts[0].kind is PartKind.document and parts[0].media == "FILEID"
    assert html.visible_len(parts[0].html) <= CAPTION_LIMIT
    assert all(p.kind is PartKind.text for p in parts[1:]) and len(parts) >= 2
    assert parts[0].markup is None and parts[-1].markup is not None
    url_row, ack_row = parts[-1].markup
    assert url_row[0].url == "https://ldld.vn/ct" and ack_row[0].callback_data == ack_callback(123)


def test_ack_callback_fits_and_parses() -> None:
    data = ack_callback(2**62)
    assert len(data.encode()) <= 64 and parse_ack_callback(data) == 2**62
    assert parse_ack_callback("bc:ack:x") is None and parse_ack_callback("other") is None


def test_content_validation() -> None:
    with pytest.raises(ContentError):
        Content.from_dict({"kind": "text", "html": "<script></script>"})
    with pytest.raises(ContentError):
        Content.from_dict({"kind": "photo", "html": "ảnh"})
    with pytest.raises(ContentError):
        Content.from_dict({"html": "x", "buttons": [[{"text": "a", "url": "javascript:1"}]]})
    c = Content.from_dict(Content.from_plain("Tin <mới>").to_dict())
    assert c.html == "Tin &lt;mới&gt;"
