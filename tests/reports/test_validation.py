"""Every validation message names the field, says what was typed and what is expected."""

from __future__ import annotations

from decimal import Decimal

import pytest

from reports.forms import FieldSpec, Form, Rule, TemplateDefinitionError, check_definition
from reports.lines import parse_line
from reports.validation import display_value, validate

FORM = Form(
    template_id=1,
    code="TK",
    name="Báo cáo",
    version=1,
    fields=[
        FieldSpec.from_json({"key": "tt", "label": "Tổng số đoàn viên", "unit": "người"}),
        FieldSpec.from_json({"key": "kn", "label": "Kết nạp mới", "unit": "người"}),
        FieldSpec.from_json({"key": "tien", "label": "Kinh phí", "type": "decimal", "min": 0, "max": 1000}),
        FieldSpec.from_json({"key": "tl", "label": "Tỷ lệ tham gia", "type": "percent", "required": False}),
        FieldSpec.from_json({"key": "hd", "label": "Có hội nghị NLĐ", "type": "yes_no", "required": False}),
        FieldSpec.from_json(
            {
                "key": "nganh",
                "label": "Ngành",
                "type": "choice",
                "choices": ["Giáo dục", "Y tế"],
                "required": False,
            }
        ),
        FieldSpec.from_json({"key": "gc", "label": "Ghi chú", "type": "text", "required": False}),
    ],
    rules=[Rule.from_json({"kind": "le", "left": "kn", "right": "tt"})],
)
SUM_FORM = Form(
    template_id=2,
    code="GT",
    name="Giới tính",
    version=1,
    fields=[
        FieldSpec.from_json({"key": "nam", "label": "Nam"}),
        FieldSpec.from_json({"key": "nu", "label": "Nữ"}),
        FieldSpec.from_json({"key": "tong", "label": "Tổng"}),
    ],
    rules=[Rule.from_json({"kind": "sum_equals", "parts": ["nam", "nu"], "total": "tong"})],
)
GOOD = {"tt": "120", "kn": "12", "tien": "1,5"}


def only_message(raw: dict[str, str], form: Form = FORM) -> str:
    checked = validate(form, raw)
    assert len(checked.issues) == 1, checked.issues
    return checked.issues[0].message


def test_valid_reply_gives_typed_values() -> None:
    checked = validate(FORM, {**GOOD, "tl": "50%", "hd": "co", "nganh": "giao duc", "gc": "ổn"})
    assert checked.ok
    assert checked.values == {
        "tt": Decimal(120),
        "kn": Decimal(12),
        "tien": Decimal("1.5"),
        "tl": Decimal(50),
        "hd": True,
        "nganh": "Giáo dục",
        "gc": "ổn",
    }


def test_missing_required_field() -> None:
    msg = only_message({"tt": "120", "tien": "1"})
    assert msg == "«Kết nạp mới» (kn): chưa nhập — cần số nguyên từ 0 trở lên (người)."


def test_not_a_number() -> None:
    msg = only_message({**GOOD, "kn": "mười hai"})
    assert msg.startswith("«Kết nạp mới» (kn): «mười hai» là số viết bằng chữ — xin gõ bằng chữ số")
    assert msg.endswith("Cần số nguyên từ 0 trở lên (người).")


def test_fraction_in_an_integer_field() -> None:
    msg = only_message({**GOOD, "kn": "1,5"})
    assert msg == "«Kết nạp mới» (kn): đã nhập «1,5» có phần lẻ — cần số nguyên từ 0 trở lên (người)."


def test_negative_count_is_out_of_bounds() -> None:
    msg = only_message({**GOOD, "kn": "-2"})
    assert msg == "«Kết nạp mới» (kn): đã nhập «-2» nằm ngoài giới hạn — cần số nguyên từ 0 trở lên (người)."


def test_above_maximum() -> None:
    msg = only_message({**GOOD, "tien": "1.500"})
    assert msg == (
        "«Kinh phí» (tien): đã nhập «1.500» nằm ngoài giới hạn — "
        "cần một số (phần lẻ dùng dấu phẩy, ví dụ 1,5) từ 0 đến 1.000."
    )


def test_percent_over_100() -> None:
    msg = only_message({**GOOD, "tl": "120%"})
    assert (
        msg == "«Tỷ lệ tham gia» (tl): đã nhập «120%» nằm ngoài giới hạn — cần tỷ lệ phần trăm từ 0 đến 100."
    )


def test_percent_sign_in_a_count() -> None:
    msg = only_message({**GOOD, "kn": "5%"})
    assert msg == "«Kết nạp mới» (kn): đã nhập «5%» là tỷ lệ % — cần số nguyên từ 0 trở lên (người)."


def test_yes_no_not_understood() -> None:
    msg = only_message({**GOOD, "hd": "có lẽ"})
    assert msg == "«Có hội nghị NLĐ» (hd): đã nhập «có lẽ» — cần «có» hoặc «không»."


def test_choice_not_in_list() -> None:
    msg = only_message({**GOOD, "nganh": "Nông nghiệp"})
    assert msg == "«Ngành» (nganh): đã nhập «Nông nghiệp» — cần một trong: 1. Giáo dục, 2. Y tế."


def test_text_too_long() -> None:
    msg = only_message({**GOOD, "gc": "a" * 501})
    assert msg == "«Ghi chú» (gc): nội dung dài 501 ký tự — cần một đoạn chữ ngắn (tối đa 500 ký tự)."


def test_rule_less_or_equal() -> None:
    msg = only_message({**GOOD, "kn": "130"})
    assert msg == "«Kết nạp mới» (kn): đã nhập 130 — cần không lớn hơn «Tổng số đoàn viên» (tt) là 120."


def test_rule_parts_sum_to_total() -> None:
    msg = only_message({"nam": "10", "nu": "5", "tong": "16"}, SUM_FORM)
    assert msg == "«Tổng» (tong): đã nhập 16 — cần bằng tổng «Nam» (nam) + «Nữ» (nu) = 15."
    assert validate(SUM_FORM, {"nam": "10", "nu": "5", "tong": "15"}).ok


def test_all_issues_reported_at_once_and_nothing_typed_kept() -> None:
    checked = validate(FORM, {"tt": "abc", "kn": "", "tien": "x"})
    assert [i.field_key for i in checked.issues] == ["tt", "kn", "tien"]
    assert not checked.ok


def test_estimate_is_flagged_and_displayed() -> None:
    checked = validate(FORM, {**GOOD, "tt": "khoảng 300"})
    assert checked.ok and checked.estimates == ["tt"] and checked.values["tt"] == Decimal(300)
    spec = FORM.field("tt")
    assert spec is not None
    assert display_value(spec, "300", estimate=True) == "300 người (ước tính)"


# --- one-line replies --------------------------------------------------------------------------------


def test_line_by_position_with_units_and_estimates() -> None:
    raw, issues = parse_line(FORM, "1.234 người 12 khoảng 300 50% có 2 ghi chú dài")
    assert issues == []
    assert raw == {
        "tt": "1.234 người",
        "kn": "12",
        "tien": "khoảng 300",
        "tl": "50%",
        "hd": "có",
        "nganh": "2",
        "gc": "ghi chú dài",
    }
    checked = validate(FORM, raw)
    assert checked.ok and checked.estimates == ["tien"] and checked.values["nganh"] == "Y tế"


def test_line_by_position_with_semicolons_and_skips() -> None:
    raw, issues = parse_line(FORM, "120; 12; 1,5; -; không; Giáo dục; ghi chú dài")
    assert issues == []
    assert raw == {
        "tt": "120",
        "kn": "12",
        "tien": "1,5",
        "tl": "",
        "hd": "không",
        "nganh": "Giáo dục",
        "gc": "ghi chú dài",
    }
    assert validate(FORM, raw).ok


def test_line_by_code_in_any_order() -> None:
    raw, issues = parse_line(FORM, "kn=12 TT=120 tien = 1,5 gc=mọi việc ổn")
    assert issues == []
    assert raw == {"kn": "12", "tt": "120", "tien": "1,5", "gc": "mọi việc ổn"}


def test_line_unknown_code() -> None:
    _, issues = parse_line(FORM, "tt=120 kn=12 xx=5")
    assert [i.message for i in issues] == [
        "«xx» (giá trị «5») không phải tên chỉ tiêu của biểu mẫu — các chỉ tiêu: tt (Tổng số đoàn viên), "
        "kn (Kết nạp mới), tien (Kinh phí), tl (Tỷ lệ tham gia), hd (Có hội nghị NLĐ), nganh (Ngành), "
        "gc (Ghi chú)."
    ]


def test_line_repeated_code() -> None:
    _, issues = parse_line(FORM, "tt=120 tt=121")
    assert [i.message for i in issues] == [
        "«Tổng số đoàn viên» (tt) được nhập hai lần («120» và «121») — cần nhập mỗi chỉ tiêu một lần."
    ]


def test_line_text_before_the_first_code() -> None:
    _, issues = parse_line(FORM, "báo cáo tt=120")
    assert [i.message for i in issues] == [
        "«báo cáo» không phải tên chỉ tiêu của biểu mẫu — các chỉ tiêu: tt (Tổng số đoàn viên), "
        "kn (Kết nạp mới), tien (Kinh phí), tl (Tỷ lệ tham gia), hd (Có hội nghị NLĐ), nganh (Ngành), "
        "gc (Ghi chú)."
    ]


def test_line_too_many_values() -> None:
    _, issues = parse_line(SUM_FORM, "10 5 15 20")
    assert [i.message for i in issues] == [
        "Dòng có nhiều giá trị hơn số chỉ tiêu (3: nam, nu, tong); không biết đặt «20» vào đâu. "
        "Xin kiểm tra lại, hoặc ghi theo mã, ví dụ kn=12."
    ]


def test_line_too_few_values_names_the_missing_field() -> None:
    raw, issues = parse_line(SUM_FORM, "10 5")
    assert issues == []
    assert [i.message for i in validate(SUM_FORM, raw).issues] == [
        "«Tổng» (tong): chưa nhập — cần số nguyên từ 0 trở lên."
    ]


def test_bad_definitions_are_refused() -> None:
    spec = FieldSpec.from_json({"key": "a", "label": "A"})
    with pytest.raises(TemplateDefinitionError, match="trùng"):
        check_definition([spec, spec], [])
    with pytest.raises(TemplateDefinitionError, match="Ràng buộc"):
        check_definition([spec], [Rule.from_json({"kind": "le", "left": "a", "right": "b"})])
    with pytest.raises(TemplateDefinitionError, match="lựa chọn"):
        check_definition([FieldSpec.from_json({"key": "c", "label": "C", "type": "choice"})], [])
