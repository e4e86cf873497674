from __future__ import annotations

import pytest

from common.answers import match_label, plain_label, yes_no

CATEGORIES = [
    "Tiền lương, chế độ chính sách",
    "Việc làm, hợp đồng lao động",
    "An toàn, vệ sinh lao động",
    "Đời sống, phúc lợi",
    "Khác",
]


@pytest.mark.parametrize(
    ("typed", "label"),
    [
        ("tien luong", "Tiền lương, chế độ chính sách"),
        ("Tiền lương", "Tiền lương, chế độ chính sách"),
        ("TIEN LUONG, CHE DO CHINH SACH", "Tiền lương, chế độ chính sách"),
        ("2", "Việc làm, hợp đồng lao động"),
        ("viec lam", "Việc làm, hợp đồng lao động"),
        ("phuc loi", "Đời sống, phúc lợi"),
        ("khac", "Khác"),
        ("an toan", "An toàn, vệ sinh lao động"),
    ],
)
def test_typed_labels(typed: str, label: str) -> None:
    assert match_label(typed, CATEGORIES) == label


@pytest.mark.parametrize("typed", ["lao dong", "", "9", "luong thuong"])
def test_ambiguous_or_unknown_labels(typed: str) -> None:
    assert match_label(typed, CATEGORIES) is None


def test_emoji_are_left_out() -> None:
    assert plain_label("🕶 Gửi ẩn danh") == "gui an danh"
    assert match_label("an danh", ["👤 Gửi kèm họ tên", "🕶 Gửi ẩn danh"]) == "🕶 Gửi ẩn danh"
    assert match_label("ho ten", ["👤 Gửi kèm họ tên", "🕶 Gửi ẩn danh"]) == "👤 Gửi kèm họ tên"


@pytest.mark.parametrize(
    ("typed", "answer"),
    [("có", True), ("co", True), ("có ạ", True), ("Có.", True), ("ko", False), ("không có", False),
     ("khong co", False), ("chưa", False), ("có lẽ", None), ("", None)],
)  # fmt: skip
def test_yes_no(typed: str, answer: bool | None) -> None:
    assert yes_no(typed) is answer
