"""One line with every figure: by position (`12 5 300`) or by field code (`kn=12 tt=5 ntg=300`).

By position, words after a number are its unit (`12 người 5 300`), an estimate word belongs to the next
number (`khoảng 300`), `-` or `_` leaves an optional field empty, and `;` may separate values that
contain spaces (`12; 5; Giáo dục`).
"""

from __future__ import annotations

import re

from common.vietnamese import fold
from reports.forms import FieldSpec, FieldType, Form
from reports.numbers import ESTIMATE_WORDS, match_choice, parse_yes_no
from reports.validation import Issue

SKIP_MARKS = frozenset({"-", "_"})
_CODE = re.compile(r"(?:^|(?<=[\s,;]))([A-Za-z_][A-Za-z0-9_]*)\s*[=:]\s*")


def is_code_line(text: str) -> bool:
    return bool(_CODE.search(text))


def _by_code(form: Form, text: str) -> tuple[dict[str, str], list[Issue]]:
    raw: dict[str, str] = {}
    issues: list[Issue] = []
    matches = list(_CODE.finditer(text))
    if text[: matches[0].start()].strip():
        issues.append(
            Issue("", f"Phần «{text[: matches[0].start()].strip()}» không có mã chỉ tiêu đứng trước.")
        )
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        key, value = m.group(1).lower(), text[m.end() : end].strip(" ,;")
        if form.field(key) is None:
            codes = ", ".join(form.keys)
            issues.append(
                Issue(
                    key,
                    f"Mã «{m.group(1)}» (giá trị «{value}») không có trong biểu mẫu — "
                    f"cần một trong các mã: {codes}.",
                )
            )
        elif key in raw:
            issues.append(
                Issue(
                    key,
                    f"Mã «{key}» được nhập hai lần («{raw[key]}» và «{value}») — cần nhập mỗi mã một lần.",
                )
            )
        else:
            raw[key] = "" if value in SKIP_MARKS else value
    return raw, issues


def _accepts(spec: FieldSpec | None, token: str) -> bool:
    if spec is None:
        return False
    if spec.type is FieldType.yes_no:
        return parse_yes_no(token) is not None
    if spec.type is FieldType.choice:
        return match_choice(token, spec.choices) is not None
    return spec.type is FieldType.text


def _is_estimate_word(token: str) -> bool:
    return fold(token) in ESTIMATE_WORDS or fold(token) in {"xap", "uoc"}


def _by_position(form: Form, text: str) -> tuple[dict[str, str], list[Issue]]:
    if ";" in text:
        parts = [p.strip() for p in text.split(";")]
        if parts and parts[-1] == "":
            parts.pop()
        tokens_per_field = parts
    else:
        tokens = text.split()
        tokens_per_field = []
        pos = 0
        for i, spec in enumerate(form.fields):
            if pos >= len(tokens):
                break
            if spec.type is FieldType.text and i == len(form.fields) - 1:
                tokens_per_field.append(" ".join(tokens[pos:]))
                pos = len(tokens)
                break
            taken = [tokens[pos]]
            pos += 1
            if spec.is_numeric and spec.type is not FieldType.yes_no:
                while _is_estimate_word(taken[-1]) and pos < len(tokens):
                    taken.append(tokens[pos])
                    pos += 1
                nxt = form.fields[i + 1] if i + 1 < len(form.fields) else None
                while (
                    pos < len(tokens)
                    and not any(ch.isdigit() for ch in tokens[pos])
                    and tokens[pos] not in SKIP_MARKS
                    and not _is_estimate_word(tokens[pos])
                    and not _accepts(nxt, tokens[pos])
                ):
                    taken.append(tokens[pos])
                    pos += 1
            tokens_per_field.append(" ".join(taken))
        if pos < len(tokens):
            tokens_per_field.extend(tokens[pos:])
    raw: dict[str, str] = {}
    issues: list[Issue] = []
    for spec, value in zip(form.fields, tokens_per_field, strict=False):
        raw[spec.key] = "" if value in SKIP_MARKS else value
    extra = tokens_per_field[len(form.fields) :]
    if extra:
        issues.append(
            Issue(
                "",
                f"Thừa giá trị «{' '.join(extra)}» — biểu mẫu chỉ có {len(form.fields)} chỉ tiêu: "
                + ", ".join(f.key for f in form.fields)
                + ".",
            )
        )
    return raw, issues


def parse_line(form: Form, text: str) -> tuple[dict[str, str], list[Issue]]:
    """Raw values per field key, and the issues of the line itself (unknown codes, extra values)."""
    text = text.strip()
    if is_code_line(text):
        return _by_code(form, text)
    return _by_position(form, text)


def usage(form: Form) -> str:
    """How to reply in one line, with the form's own codes."""
    example_pos = " ".join(_example(f) for f in form.fields)
    example_code = " ".join(f"{f.key}={_example(f)}" for f in form.fields)
    return f"<code>{example_pos}</code>\nhoặc theo mã: <code>{example_code}</code>"


def _example(spec: FieldSpec) -> str:
    if spec.type is FieldType.yes_no:
        return "có"
    if spec.type is FieldType.choice:
        return fold(spec.choices[0]).replace(" ", "_") if " " in spec.choices[0] else spec.choices[0]
    if spec.type is FieldType.text:
        return "-"
    if spec.type is FieldType.percent:
        return "50%"
    return "12"
