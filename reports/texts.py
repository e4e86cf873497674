"""Chat texts of the reports domain (Vietnamese), kept out of the handlers."""

from __future__ import annotations

import re
from decimal import Decimal
from html import escape
from typing import Any

from common.vietnamese import format_datetime
from directory.models import OrgUnit
from reports.figures import format_number
from reports.forms import Form
from reports.models import ReportRound
from reports.rollup import Completeness
from reports.services import Submitted
from reports.validation import Issue, display_value, expected


def values_block(
    form: Form, values: dict[str, Any], estimates: list[str], typed: dict[str, str] | None = None
) -> str:
    """One line per field as understood; where the digits differ from what was typed (`2tr`), the typed
    text follows, so a misreading is seen at once."""
    lines = []
    for f in form.fields:
        value = values.get(f.key)
        shown = display_value(f, value, estimate=f.key in estimates)
        raw = (typed or {}).get(f.key, "").strip()
        hint = ""
        if raw and f.is_numeric and value is not None and not isinstance(value, bool):
            if re.sub(r"\D", "", raw) != re.sub(r"\D", "", format_number(Decimal(str(value)))):
                hint = f" ← đã gõ «{escape(raw)}»"
        lines.append(f"• {escape(f.label)}: <b>{escape(shown)}</b>{hint}")
    return "\n".join(lines)


def understood_text(form: Form, key: str, value: Any, *, estimate: bool = False, typed: str = "") -> str:
    """The echo after each answer of the guided form: «✔️ Đã hiểu: Tổng số đoàn viên: 1.240 người»."""
    spec = form.field(key)
    assert spec is not None
    return "✔️ Đã hiểu: " + values_block(
        Form(form.template_id, form.code, form.name, form.version, [spec], []),
        {key: value},
        [key] if estimate else [],
        {key: typed},
    ).removeprefix("• ")


def stored_text(
    result: Submitted, unit: OrgUnit, round_: ReportRound, typed: dict[str, str] | None = None
) -> str:
    rev = result.revision
    head = "✅ Đã nhận báo cáo" if rev.number == 1 else f"✅ Đã nhận bản sửa lần {rev.number - 1}"
    late = "\n⚠️ Nộp sau hạn: báo cáo vẫn được nhận và ghi là <b>nộp muộn</b>." if rev.is_late else ""
    estimate = (
        "\nℹ️ Các số có ghi «ước tính» được lưu kèm ghi chú là số ước tính; "
        "khi có số chính xác xin gửi lại để sửa."
        if rev.estimates
        else ""
    )
    return (
        f"{head} {escape(round_.title)} của <b>{escape(unit.name)}</b>.\nĐã hiểu:\n"
        f"{values_block(result.form, rev.values, rev.estimates, typed)}{late}{estimate}\n"
        "Muốn sửa, chỉ cần gửi lại; bản mới nhất sẽ được dùng."
    )


def issues_text(issues: list[Issue]) -> str:
    return (
        "❗ Chưa lưu báo cáo vì có giá trị chưa hợp lệ:\n"
        + "\n".join(f"• {escape(i.message)}" for i in issues)
        + "\nXin gửi lại cả dòng sau khi sửa."
    )


def question_text(form: Form, index: int, previous: str | None = None) -> str:
    spec = form.fields[index]
    optional = " <i>(không bắt buộc — có thể bỏ qua)</i>" if not spec.required else ""
    before = f"\nĐã nhập: <code>{escape(previous)}</code>" if previous else ""
    return (
        f"Câu {index + 1}/{len(form.fields)}: <b>{escape(spec.label)}</b>{optional}\n"
        f"Cần: {escape(expected(spec))}{before}"
    )


def summary_text(
    form: Form, values: dict[str, Any], estimates: list[str], typed: dict[str, str] | None = None
) -> str:
    return (
        "📋 <b>Xin kiểm tra lại trước khi gửi</b> — Loa đã hiểu:\n"
        f"{values_block(form, values, estimates, typed)}\n"
        "Bấm <b>✅ Gửi báo cáo</b> để lưu, hoặc <b>⬅️ Quay lại</b> để sửa."
    )


def percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "—"


def stats_text(
    round_: ReportRound,
    unit: OrgUnit,
    total: Completeness,
    rows: list[Completeness],
    missing: list[OrgUnit],
    limit: int = 30,
) -> str:
    lines = [
        f"📊 <b>{escape(round_.title)}</b> — {escape(unit.name)}",
        f"Hạn nộp: {format_datetime(round_.deadline)}"
        + (" (đã khoá sổ)" if round_.status == "closed" else ""),
        f"Đã nộp: <b>{total.submitted}/{total.expected}</b> ({percent(total.submitted, total.expected)}), "
        f"đúng hạn: <b>{total.on_time}/{total.expected}</b> ({percent(total.on_time, total.expected)})",
        "",
        "<b>Theo đơn vị trực thuộc:</b>",
    ]
    for r in rows:
        lines.append(
            f"• {escape(r.name)}: nộp {r.submitted}/{r.expected} ({percent(r.submitted, r.expected)}), "
            f"đúng hạn {r.on_time}/{r.expected} ({percent(r.on_time, r.expected)})"
        )
    if missing:
        lines += ["", f"<b>Chưa nộp ({len(missing)}):</b>"]
        lines += [f"• {escape(u.name)} ({escape(u.code)})" for u in missing[:limit]]
        if len(missing) > limit:
            lines.append(f"… và {len(missing) - limit} đơn vị khác (xem /xuatbaocao).")
    else:
        lines += ["", "Tất cả đơn vị đã nộp. 👏"]
    return "\n".join(lines)
