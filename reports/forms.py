"""The shape of a template (biểu mẫu): typed fields, cross-field rules, and how each field aggregates.

Stored as JSON on `ReportTemplate`; read into these dataclasses. A template version never changes once
a round uses it: editing creates a new version (see services.save_template).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from common.errors import DomainError
from reports.models import ReportTemplate


class FieldType(StrEnum):
    integer = "integer"
    decimal = "decimal"
    percent = "percent"
    yes_no = "yes_no"
    choice = "choice"
    text = "text"


class Aggregation(StrEnum):
    sum = "sum"
    avg = "avg"
    min = "min"
    max = "max"
    none = "none"


class RuleKind(StrEnum):
    le = "le"  # left ≤ right, e.g. newly admitted ≤ total members
    sum_equals = "sum_equals"  # parts add up to the total


NUMERIC_TYPES = frozenset({FieldType.integer, FieldType.decimal, FieldType.percent, FieldType.yes_no})
TEXT_MAX = 500


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    type: FieldType = FieldType.integer
    unit: str = ""
    required: bool = True
    min: Decimal | None = None
    max: Decimal | None = None
    choices: list[str] = field(default_factory=list)
    aggregation: Aggregation = Aggregation.sum

    @property
    def is_numeric(self) -> bool:
        return self.type in NUMERIC_TYPES

    @property
    def bounds(self) -> tuple[Decimal | None, Decimal | None]:
        low, high = self.min, self.max
        if self.type is FieldType.percent:
            low = Decimal(0) if low is None else low
            high = Decimal(100) if high is None else high
        elif self.type is FieldType.integer and low is None:
            low = Decimal(0)
        return low, high

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["type"] = self.type.value
        data["aggregation"] = self.aggregation.value
        data["min"] = None if self.min is None else str(self.min)
        data["max"] = None if self.max is None else str(self.max)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FieldSpec:
        ftype = FieldType(data.get("type", "integer"))
        default_agg = Aggregation.sum if ftype in NUMERIC_TYPES else Aggregation.none
        if ftype is FieldType.percent:
            default_agg = Aggregation.avg
        return cls(
            key=str(data["key"]).strip().lower(),
            label=str(data["label"]).strip(),
            type=ftype,
            unit=str(data.get("unit") or ""),
            required=bool(data.get("required", True)),
            min=None if data.get("min") is None else Decimal(str(data["min"])),
            max=None if data.get("max") is None else Decimal(str(data["max"])),
            choices=[str(c) for c in data.get("choices") or []],
            aggregation=Aggregation(data.get("aggregation") or default_agg),
        )


@dataclass(frozen=True)
class Rule:
    kind: RuleKind
    left: str = ""
    right: str = ""
    parts: list[str] = field(default_factory=list)
    total: str = ""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["kind"] = self.kind.value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Rule:
        return cls(
            kind=RuleKind(data["kind"]),
            left=str(data.get("left") or ""),
            right=str(data.get("right") or ""),
            parts=[str(p) for p in data.get("parts") or []],
            total=str(data.get("total") or ""),
        )


@dataclass(frozen=True)
class Form:
    """One template version, ready to validate replies against."""

    template_id: int
    code: str
    name: str
    version: int
    fields: list[FieldSpec]
    rules: list[Rule]

    def field(self, key: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.key == key), None)

    @property
    def keys(self) -> list[str]:
        return [f.key for f in self.fields]

    @classmethod
    def of(cls, template: ReportTemplate) -> Form:
        return cls(
            template_id=template.id,
            code=template.code,
            name=template.name,
            version=template.version,
            fields=[FieldSpec.from_json(f) for f in template.fields],
            rules=[Rule.from_json(r) for r in template.rules],
        )


class TemplateDefinitionError(DomainError, ValueError):
    """A template definition that cannot be used (duplicate keys, rules naming unknown fields...)."""

    status = 422
    code = "bad_template"


def check_definition(fields: list[FieldSpec], rules: list[Rule]) -> None:
    keys = [f.key for f in fields]
    if not fields:
        raise TemplateDefinitionError("Biểu mẫu cần ít nhất một chỉ tiêu.")
    if len(set(keys)) != len(keys):
        raise TemplateDefinitionError("Mã chỉ tiêu bị trùng trong biểu mẫu.")
    for f in fields:
        if not f.key.replace("_", "").isalnum() or " " in f.key:
            raise TemplateDefinitionError(f"Mã chỉ tiêu «{f.key}» chỉ được gồm chữ, số và dấu gạch dưới.")
        if f.type is FieldType.choice and not f.choices:
            raise TemplateDefinitionError(f"Chỉ tiêu «{f.label}» kiểu lựa chọn cần danh sách lựa chọn.")
        if not f.is_numeric and f.aggregation not in (Aggregation.none,):
            raise TemplateDefinitionError(f"Chỉ tiêu «{f.label}» không phải số nên không thể cộng dồn.")
    numeric = {f.key for f in fields if f.is_numeric}
    for rule in rules:
        named = [rule.left, rule.right] if rule.kind is RuleKind.le else [*rule.parts, rule.total]
        unknown = [k for k in named if k not in numeric]
        if unknown or not all(named):
            raise TemplateDefinitionError(
                f"Ràng buộc nhắc tới chỉ tiêu không có hoặc không phải số: {unknown}"
            )
