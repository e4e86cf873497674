from __future__ import annotations

from decimal import Decimal

import pytest

from reports.figures import FigureError, format_number, match_choice, parse_figure, parse_yes_no


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("1234", "1234"),
        ("1.234", "1234"),
        ("1.234.567", "1234567"),
        ("1,5", "1.5"),
        ("1.234,5", "1234.5"),
        ("12 người", "12"),
        ("12 nguoi", "12"),
        ("300 CĐCS", "300"),
        ("1 234", "1234"),
        ("50%", "50"),
        ("50 %", "50"),
        ("0", "0"),
        ("-3", "-3"),
        ("1.5", "1.5"),  # not a thousands group: read as a decimal point
        ("  7  ", "7"),
        ("300k", "300000"),
        ("2tr", "2000000"),
        ("2 triệu", "2000000"),
        ("1,5 tỷ", "1500000000"),
        ("１２３４", "1234"),
        ("1\u00a0234", "1234"),
        ("12người", "12"),
        ("5 buổi", "5"),
        ("7 lượt", "7"),
    ],
)
def test_numbers_are_read_the_vietnamese_way(typed: str, value: str) -> None:
    parsed = parse_figure(typed)
    assert parsed.value == Decimal(value)
    assert parsed.estimate is False


@pytest.mark.parametrize(
    "typed", ["khoảng 300", "khoang 300", "tầm 300", "gần 300", "~300", "300 (ước tính)"]
)
def test_estimates_are_accepted_and_flagged(typed: str) -> None:
    parsed = parse_figure(typed)
    assert parsed.value == Decimal(300)
    assert parsed.estimate is True


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("abc", "không phải là một con số"),
        ("", "chưa có con số"),
        ("khoảng", "chưa có con số"),
        ("200-300", "là một khoảng"),
        ("200 đến 300", "là một khoảng"),
        ("1,2,3", "nhiều hơn một dấu phẩy"),
        ("12 5", "nhiều hơn một con số"),
        ("12 người 5", "nhiều hơn một con số"),
        ("1.23.456", "nhóm 3 chữ số"),
        ("2oo", "«2oo» có chữ «o» lẫn trong số — có phải 200?"),
        ("1.2OO", "«1.2OO» có chữ «o» lẫn trong số — có phải 1.200?"),
        ("4O", "có phải 40?"),
        ("300x", "Loa không hiểu «x» sau số 300"),
        ("12 ng", "«ng» có thể là «người» hoặc «nghìn»"),
        ("1 tram", "«tram» là số viết bằng chữ — xin gõ bằng chữ số, ví dụ 100"),
        ("một trăm", "«một trăm» là số viết bằng chữ"),
    ],
)
def test_bad_numbers_say_why(typed: str, reason: str) -> None:
    with pytest.raises(FigureError) as info:
        parse_figure(typed)
    assert reason in info.value.reason


def test_percent_flag() -> None:
    assert parse_figure("50%").percent is True
    assert parse_figure("50").percent is False


@pytest.mark.parametrize("typed", ["có", "co", "Có", "x", "X", "rồi", "yes", "1"])
def test_yes(typed: str) -> None:
    assert parse_yes_no(typed) is True


@pytest.mark.parametrize("typed", ["không", "khong", "KHÔNG", "k", "ko", "chưa", "no", "0"])
def test_no(typed: str) -> None:
    assert parse_yes_no(typed) is False


def test_neither_yes_nor_no() -> None:
    assert parse_yes_no("có lẽ") is None


@pytest.mark.parametrize(("typed", "answer"), [("có ạ", True), ("khong co", False), ("không có", False)])
def test_yes_no_phrases(typed: str, answer: bool) -> None:
    assert parse_yes_no(typed) is answer


def test_field_unit_is_accepted() -> None:
    assert parse_figure("3 hội thảo", unit="hội thảo").value == Decimal(3)
    with pytest.raises(FigureError):
        parse_figure("3 hội thảo")


def test_choices_match_without_diacritics_or_case_or_by_number() -> None:
    choices = ["Giáo dục", "Y tế", "Doanh nghiệp"]
    assert match_choice("giao duc", choices) == "Giáo dục"
    assert match_choice("Y TE", choices) == "Y tế"
    assert match_choice("2", choices) == "Y tế"
    assert match_choice("doanh", choices) == "Doanh nghiệp"
    assert match_choice("nông nghiệp", choices) is None
    assert match_choice("9", choices) is None


def test_format_number() -> None:
    assert format_number(Decimal("1234567")) == "1.234.567"
    assert format_number(Decimal("1.5")) == "1,5"
    assert format_number(12.0) == "12"
