from __future__ import annotations

from common.messages import split_message


def test_short_text_is_one_part() -> None:
    assert split_message("a\nb") == ["a\nb"]


def test_long_text_is_split_at_line_ends_under_the_limit() -> None:
    lines = [f"• <b>Công đoàn cơ sở số {i}</b>: nộp 1/1 (100%)" for i in range(300)]
    parts = split_message("\n".join(lines))
    assert len(parts) > 1 and all(len(p) <= 4096 for p in parts)
    assert "\n".join(parts).split("\n") == lines  # nothing lost, no line cut


def test_an_over_long_line_is_cut_at_a_space() -> None:
    parts = split_message("từ " * 3000, limit=100)
    assert all(len(p) <= 100 for p in parts) and all(not p.startswith(" ") for p in parts)
