from __future__ import annotations

from common.chat_markdown import cut_words, to_chat_html


def test_headings_bold_lists_and_rules() -> None:
    md = "## **BÁO CÁO**\n\n**Sơ kết** 05 năm, *tóm tắt*\n\n- ý một\n* ý hai\n---\n"
    md += "| A | B |\n|---|---|\n| 1 | 2 |"
    assert to_chat_html(md) == (
        "<b>BÁO CÁO</b>\n\n<b>Sơ kết</b> 05 năm, <i>tóm tắt</i>\n\n• ý một\n• ý hai\nA · B\n1 · 2"
    )


def test_html_is_escaped_and_no_markup_is_left() -> None:
    assert to_chat_html("a < b & **c") == "a &lt; b &amp; c"
    assert "#" not in to_chat_html("### Phần thứ nhất") and "**" not in to_chat_html("**cắt dở")


def test_cut_at_a_word_boundary() -> None:
    assert cut_words("Công tác thông tin cơ sở", 12) == "Công tác…"
    assert cut_words("ngắn", 12) == "ngắn"
    cut = to_chat_html("**Sơ kết 05 năm triển khai thực hiện Chỉ thị**", 20)
    assert cut == "Sơ kết 05 năm…"
