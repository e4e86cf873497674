"""One line with every figure: by position (`12 5 300`) or by field name (`kn=12`, `kn 12`, `kn12`,
`kn: 12`, or a label without diacritics: `ket nap 12, giam 2`).

By position, known unit words after a number belong to it (`12 người 5 300`), an estimate word belongs to
the next number (`khoảng 300`), `-` or `_` leaves an optional field empty, an optional field is passed
over when the value fits a later field instead (`1234 12 3 có`), and `;` or tabs (cells pasted from a
spreadsheet) separate values that contain spaces (`12; 5; Giáo dục`).
"""

from __future__ import annotations

import re

from common.vietnamese import fold
from reports.figures import (
    ESTIMATE_WORDS,
    is_number_word,
    is_unit_word,
    match_choice,
    normalise,
    parse_yes_no,
)
from reports.forms import FieldSpec, FieldType, Form
from reports.validation import Issue

SKIP_MARKS = frozenset({"-", "_"})
SEPARATORS = frozenset({",", ";"})
ASSIGN = frozenset({"=", ":"})
_TOKEN = re.compile(r"\d[\d.,]*\d%?(?![^\s=:;,])|[^\s=:;,]+|[=:;,]")
_GLUED_KEY = re.compile(r"^([a-z_]+?)(\d.*)$")
_SPACED_PAIR = re.compile(r"^\d{1,3}$")
_MAX_NAME_WORDS = 5
_EXPLICIT_CODE = re.compile(r"(?:^|(?<=[\s,;]))[A-Za-z_][A-Za-z0-9_]*\s*[=:]")


def _is_estimate_word(token: str) -> bool:
    return fold(token) in ESTIMATE_WORDS or fold(token) in {"xap", "uoc"}


def _label_words(spec: FieldSpec) -> list[str]:
    return fold(spec.label).split()


def _resolve(form: Form, tokens: list[str], i: int) -> tuple[FieldSpec, int] | None:
    """The field named at tokens[i:], by code or by a fragment of its label only one field has."""
    first = fold(tokens[i])
    spec = form.field(first)
    if spec is not None:
        return spec, i + 1
    if not first.isalpha() or _is_estimate_word(first) or parse_yes_no(first) is not None:
        return None
    words: list[str] = []
    for tok in tokens[i : i + _MAX_NAME_WORDS]:
        if not fold(tok).isalpha():
            break
        words.append(fold(tok))
    for size in range(len(words), 0, -1):
        phrase = words[:size]
        if size == 1 and len(phrase[0]) < 3:
            continue
        found = [f for f in form.fields if _contains(_label_words(f), phrase)]
        if len(found) == 1:
            return found[0], i + size
    return None


def _contains(words: list[str], phrase: list[str]) -> bool:
    return any(words[k : k + len(phrase)] == phrase for k in range(len(words) - len(phrase) + 1))


def _tokens(form: Form, text: str) -> list[str]:
    out: list[str] = []
    for tok in _TOKEN.findall(text):
        glued = _GLUED_KEY.match(fold(tok))
        if glued and form.field(glued.group(1)) is not None:
            out += [glued.group(1), tok[len(glued.group(1)) :]]
        else:
            out.append(tok)
    return out


def is_named_line(form: Form, text: str) -> bool:
    """Values given by name: the line starts with a field's code or label, or has any `code=` / `code:`."""
    tokens = _tokens(form, normalise(text))
    return bool(tokens) and (_resolve(form, tokens, 0) is not None or bool(_EXPLICIT_CODE.search(text)))


def _value_end(form: Form, spec: FieldSpec, tokens: list[str], j: int) -> int:
    """Where the value starting at tokens[j] ends: a separator, or the next field's name."""
    if spec.type is FieldType.yes_no:
        if j + 1 < len(tokens) and parse_yes_no(f"{tokens[j]} {tokens[j + 1]}") is not None:
            return j + 2
        return min(j + 1, len(tokens))
    k = j
    while k < len(tokens) and tokens[k] not in SEPARATORS:
        if k > j and k + 1 < len(tokens) and tokens[k + 1] in ASSIGN:
            break  # `xx=5`: the next name, known or not
        if k > j and spec.is_numeric and _unknown_name_before_value(tokens, k):
            break  # `kn 6 giam 2`: `giam` names a field this form does not have
        if k > j and spec.type is not FieldType.text and _resolve(form, tokens, k) is not None:
            if not (spec.is_numeric and (is_unit_word(tokens[k]) or _is_estimate_word(tokens[k - 1]))):
                break
        k += 1
    return k


def _unknown_name_before_value(tokens: list[str], k: int) -> bool:
    word = fold(tokens[k])
    return (
        word.isalpha()
        and not is_unit_word(word)
        and not _is_estimate_word(word)
        and not is_number_word(word)
        and k + 1 < len(tokens)
        and any(ch.isdigit() for ch in tokens[k + 1])
    )


def _by_name(form: Form, tokens: list[str]) -> tuple[dict[str, str], list[Issue]]:
    raw: dict[str, str] = {}
    issues: list[Issue] = []
    i = 0
    while i < len(tokens):
        if tokens[i] in SEPARATORS or tokens[i] in ASSIGN:
            i += 1
            continue
        named = _resolve(form, tokens, i)
        if named is None:
            end = i + 1
            while end < len(tokens) and tokens[end] not in SEPARATORS and _resolve(form, tokens, end) is None:
                end += 1
            issues.append(Issue("", _unknown_name(form, tokens[i:end])))
            i = end
            continue
        spec, j = named
        while j < len(tokens) and tokens[j] in ASSIGN:
            j += 1
        end = _value_end(form, spec, tokens, j)
        value = " ".join(tokens[j:end]).strip()
        if spec.key in raw:
            issues.append(
                Issue(
                    spec.key,
                    f"«{spec.label}» ({spec.key}) được nhập hai lần («{raw[spec.key]}» và «{value}») "
                    "— cần nhập mỗi chỉ tiêu một lần.",
                )
            )
        else:
            raw[spec.key] = "" if value in SKIP_MARKS else value
        i = end
    return raw, issues


def _unknown_name(form: Form, typed: list[str]) -> str:
    names = ", ".join(f"{f.key} ({f.label})" for f in form.fields)
    name = []
    for tok in typed:
        if not fold(tok).isalpha():
            break
        name.append(tok)
    if not name:
        return f"Phần «{' '.join(typed)}» không có tên chỉ tiêu đứng trước — các chỉ tiêu: {names}."
    value = " ".join(t for t in typed[len(name) :] if t not in ASSIGN)
    with_value = f" (giá trị «{value}»)" if value else ""
    return f"«{' '.join(name)}»{with_value} không phải tên chỉ tiêu của biểu mẫu — các chỉ tiêu: {names}."


def _fits(spec: FieldSpec, token: str) -> bool:
    if spec.type is FieldType.yes_no:
        return parse_yes_no(token) is not None
    if spec.type is FieldType.choice:
        return match_choice(token, spec.choices) is not None
    if spec.type is FieldType.text:
        return True
    return any(ch.isdigit() for ch in token) or _is_estimate_word(token) or token in SKIP_MARKS


def _split_words(text: str) -> list[str]:
    return [t for t in re.split(r",\s+|\s+", text.rstrip(",")) if t]


def _by_position(form: Form, tokens: list[str], *, cells: bool = False) -> tuple[dict[str, str], list[Issue]]:
    """`cells`: each token is one whole value (separated by `;` or tabs), never glued to another."""
    raw: dict[str, str] = {}
    pos = 0
    fields = form.fields
    for idx, spec in enumerate(fields):
        if pos >= len(tokens):
            break
        later = fields[idx + 1 :]
        tok = tokens[pos]
        if not spec.required and not _fits(spec, tok) and any(_fits(f, tok) for f in later):
            raw[spec.key] = ""
            continue
        if cells:
            taken, pos = [tok], pos + 1
        elif spec.type is FieldType.text and not later:
            taken, pos = tokens[pos:], len(tokens)
        elif spec.type is FieldType.yes_no:
            two = pos + 1 < len(tokens) and parse_yes_no(f"{tok} {tokens[pos + 1]}") is not None
            taken, pos = tokens[pos : pos + 1 + two], pos + 1 + two
        elif spec.type is FieldType.choice:
            size = next(
                (n for n in range(4, 0, -1) if match_choice(" ".join(tokens[pos : pos + n]), spec.choices)),
                1,
            )
            taken, pos = tokens[pos : pos + size], pos + size
        else:
            taken, pos = [tok], pos + 1
            while _is_estimate_word(taken[-1]) and pos < len(tokens):
                taken.append(tokens[pos])
                pos += 1
            while (
                pos < len(tokens)
                and not any(ch.isdigit() for ch in tokens[pos])
                and tokens[pos] not in SKIP_MARKS
                and not _is_estimate_word(tokens[pos])
                and (
                    is_number_word(taken[-1]) or not is_number_word(tokens[pos]) or fold(taken[-1]) == "phan"
                )
                and (is_unit_word(tokens[pos]) or not any(_fits(f, tokens[pos]) for f in later))
            ):
                taken.append(tokens[pos])
                pos += 1
        value = " ".join(taken)
        raw[spec.key] = "" if value in SKIP_MARKS else value
    issues = [] if pos >= len(tokens) else [Issue("", _extra(form, tokens, pos))]
    return raw, issues


def _extra(form: Form, tokens: list[str], pos: int) -> str:
    """Name the real problem: a number written with a space, or simply more values than fields."""
    for k in range(len(tokens) - 1):
        if _SPACED_PAIR.match(tokens[k]) and re.fullmatch(r"\d{3}", tokens[k + 1]):
            pair = f"{tokens[k]} {tokens[k + 1]}"
            return (
                f"Có vẻ «{pair}» là một số viết có dấu cách — xin viết liền "
                f"{tokens[k]}{tokens[k + 1]} hoặc {tokens[k]}.{tokens[k + 1]}."
            )
    count = len(form.fields)
    keys = ", ".join(f.key for f in form.fields)
    return (
        f"Dòng có nhiều giá trị hơn số chỉ tiêu ({count}: {keys}); không biết đặt «{' '.join(tokens[pos:])}» "
        "vào đâu. Xin kiểm tra lại, hoặc ghi theo mã, ví dụ kn=12."
    )


def parse_line(form: Form, text: str) -> tuple[dict[str, str], list[Issue]]:
    """Raw values per field key, and the issues of the line itself (unknown names, extra values)."""
    if "\t" in text.strip():
        cells = [normalise(c) for c in text.strip().split("\t")]
        return _by_position(form, [c if c else "-" for c in cells], cells=True)
    text = normalise(text)
    if is_named_line(form, text):
        return _by_name(form, _tokens(form, text))
    if ";" in text:
        parts = [p.strip() for p in text.split(";")]
        if parts and parts[-1] == "":
            parts.pop()
        return _by_position(form, [p if p else "-" for p in parts], cells=True)
    return _by_position(form, _split_words(text))


def usage(form: Form) -> str:
    """How to reply in one line, with the form's own codes."""
    example_pos = " ".join(_example(f) for f in form.fields)
    example_code = " ".join(f"{f.key} {_example(f)}" for f in form.fields)
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


def looks_like_figures(text: str) -> bool:
    """Mostly figures (`1234 12 3 co`, `kn 6 tt 120`), not a sentence with a number in it."""
    words = normalise(text).split()
    if not words or len(text) > 500 or words[0].startswith("/"):
        return False
    with_digits = sum(any(ch.isdigit() for ch in w) for w in words)
    return with_digits > 0 and "?" not in text and len(words) - with_digits <= 3 * with_digits + 2


def which_code(forms: list[Form], args: str) -> tuple[str | None, str]:
    """Split `/baocao` arguments into (form code or None, the line). The first word is a code only when it
    is one of the open forms' codes, or a word that no open form can read as a value or field name — then
    it is a wrong code, and the caller names the right ones."""
    first, _, rest = args.strip().partition(" ")
    if not first:
        return None, ""
    if any(fold(first) == fold(f.code) for f in forms):
        return first, rest.strip()
    word = fold(first)
    looks_like_code = re.fullmatch(r"[a-z][a-z0-9_]{0,15}", word) is not None and not any(
        ch.isdigit() for ch in word[:1]
    )
    if (
        looks_like_code
        and not _is_estimate_word(word)
        and parse_yes_no(word) is None
        and not is_unit_word(word)
        and not any(is_named_line(f, args) for f in forms)
    ):
        return first, rest.strip()
    return None, args.strip()
