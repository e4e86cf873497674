"""Templates, rounds, submissions with revisions, and review. Async, keyword-only, flush never commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, delete, func, insert, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from directory import audit
from directory.access import AccessDenied, Scope
from directory.models import OrgUnit, Role
from directory.tree import in_subtree
from reports.errors import Conflict, InvalidReply, NotFound, NotTargeted, RoundClosed
from reports.forms import FieldSpec, Form, Rule, TemplateDefinitionError, check_definition
from reports.models import (
    PeriodKind,
    ReportRevision,
    ReportRound,
    ReportSubmission,
    ReportTarget,
    ReportTemplate,
    ReportValue,
    RoundStatus,
    SubmissionStatus,
)
from reports.periods import period_bounds, period_label
from reports.validation import Checked, Value, to_json_values, validate
from storage.base import utcnow

DEFAULT_REMINDER_OFFSETS = (3, 1, 0)


# --- templates -------------------------------------------------------------------------------------


async def save_template(
    *,
    session: AsyncSession,
    code: str,
    name: str,
    fields: Sequence[dict[str, Any]],
    rules: Sequence[dict[str, Any]] = (),
    created_by_id: int | None = None,
    owner_unit_id: int | None = None,
) -> ReportTemplate:
    """Create a template, or a new version of it when anything changed; past versions stay as they were.
    A new version keeps its template's owner (callers acting for a person use `publish_template`)."""
    specs, parsed_rules = _parse_definition(fields, rules)
    check_definition(specs, parsed_rules)
    fields_json = [s.to_json() for s in specs]
    rules_json = [r.to_json() for r in parsed_rules]
    code = code.strip().upper()
    current = await _current_or_none(session, code)
    if current is not None:
        if current.name == name and current.fields == fields_json and current.rules == rules_json:
            return current
        current.is_current = False
        owner_unit_id = current.owner_unit_id
    template = ReportTemplate(
        code=code,
        version=(current.version + 1) if current else 1,
        is_current=True,
        name=name,
        fields=fields_json,
        rules=rules_json,
        created_by_id=created_by_id,
        owner_unit_id=owner_unit_id,
    )
    session.add(template)
    await session.flush()
    return template


def _parse_definition(
    fields: Sequence[dict[str, Any]], rules: Sequence[dict[str, Any]]
) -> tuple[list[FieldSpec], list[Rule]]:
    """A malformed definition (a field `{}`, an unknown type) is the sender's mistake: a 422, never a 500."""
    try:
        return [FieldSpec.from_json(f) for f in fields], [Rule.from_json(r) for r in rules]
    except (KeyError, TypeError, ValueError, ArithmeticError, AttributeError) as exc:
        raise TemplateDefinitionError(
            "Định nghĩa biểu mẫu không hợp lệ: mỗi chỉ tiêu cần «key», «label» và kiểu đúng "
            "(integer, decimal, percent, yes_no, choice, text)."
        ) from exc


async def _current_or_none(session: AsyncSession, code: str) -> ReportTemplate | None:
    return await session.scalar(
        select(ReportTemplate).where(
            ReportTemplate.code == code.strip().upper(), ReportTemplate.is_current.is_(True)
        )
    )


async def _require_owner(session: AsyncSession, scope: Scope, owner_unit_id: int | None) -> str | None:
    """The owner's path, when the caller's officers cover it; a shared template (no owner) needs a root's
    admin. Raises AccessDenied otherwise."""
    if owner_unit_id is None:
        roots = (await session.scalars(select(OrgUnit.path).where(OrgUnit.parent_id.is_(None)))).all()
        if not any(scope.allows(Role.admin, path) for path in roots):
            raise AccessDenied("Biểu mẫu dùng chung chỉ quản trị mới được sửa; xin đặt mã biểu mẫu mới.")
        return None
    owner = await session.get(OrgUnit, owner_unit_id)
    if owner is None or not scope.allows(Role.officer, owner.path):
        raise AccessDenied("Biểu mẫu này thuộc đơn vị khác; xin đặt mã biểu mẫu mới.")
    return owner.path


async def publish_template(
    *,
    session: AsyncSession,
    scope: Scope,
    code: str,
    name: str,
    fields: Sequence[dict[str, Any]],
    rules: Sequence[dict[str, Any]] = (),
    owner_unit_id: int | None = None,
) -> ReportTemplate:
    """A template (or its new version) published by an officer: rounds across the tree may use a template,
    so only the subtree that owns it may change it. Audited."""
    current = await _current_or_none(session, code)
    if current is not None:
        if owner_unit_id is not None and owner_unit_id != current.owner_unit_id:
            raise Conflict(f"Mã biểu mẫu «{current.code}» đã thuộc đơn vị khác; xin đặt mã mới.")
        owner_path = await _require_owner(session, scope, current.owner_unit_id)
    else:
        if owner_unit_id is None:
            roots = scope.roots(Role.officer)
            if len(roots) != 1:
                raise Conflict("Xin chọn đơn vị sở hữu biểu mẫu (unit_id).")
            owner_unit_id = int(roots[0].strip("/").split("/")[-1])
        owner_path = await _require_owner(session, scope, owner_unit_id)
    saved = await save_template(
        session=session,
        code=code,
        name=name,
        fields=fields,
        rules=rules,
        created_by_id=scope.person_id,
        owner_unit_id=owner_unit_id,
    )
    if saved is not current:
        await audit.record(
            session,
            scope.actor,
            "template.version" if current is not None else "template.create",
            "report_template",
            saved.id,
            {"code": current.code, "version": current.version} if current is not None else None,
            {"code": saved.code, "version": saved.version, "owner_unit_id": saved.owner_unit_id},
            unit_path=owner_path,
        )
    return saved


async def current_template(*, session: AsyncSession, code: str) -> ReportTemplate:
    template = await _current_or_none(session, code)
    if template is None:
        raise NotFound(f"Không có biểu mẫu mã «{code}».")
    return template


async def list_templates(*, session: AsyncSession) -> list[ReportTemplate]:
    rows = await session.scalars(
        select(ReportTemplate).where(ReportTemplate.is_current.is_(True)).order_by(ReportTemplate.code)
    )
    return list(rows)


async def form_of_round(*, session: AsyncSession, round_: ReportRound) -> Form:
    template = await session.get(ReportTemplate, round_.template_id)
    assert template is not None
    return Form.of(template)


# --- rounds ----------------------------------------------------------------------------------------


async def open_round(
    *,
    session: AsyncSession,
    template_id: int,
    period_kind: PeriodKind,
    deadline: datetime,
    root_unit_id: int,
    period_day: date | None = None,
    target_kinds: Sequence[str] = (),
    target_blocks: Sequence[str] = (),
    reminder_offsets: Sequence[int] = DEFAULT_REMINDER_OFFSETS,
    opened_by_id: int | None = None,
    schedule_id: int | None = None,
    now: datetime | None = None,
) -> ReportRound:
    """Open a round and snapshot its target units (subtree × kinds × blocks) in one INSERT … SELECT."""
    now = now or utcnow()
    template = await session.get(ReportTemplate, template_id)
    root = await session.get(OrgUnit, root_unit_id)
    if template is None:
        raise NotFound("Không có biểu mẫu này.")
    if root is None:
        raise NotFound("Không có đơn vị này.")
    if deadline <= now:
        raise Conflict("Hạn nộp phải sau thời điểm mở kỳ báo cáo.")
    start, end = period_bounds(period_kind, period_day or deadline.date())
    round_ = ReportRound(
        template_id=template.id,
        title=f"{template.name} {period_label(period_kind, start, end)}",
        period_kind=period_kind.value,
        period_start=start,
        period_end=end,
        root_unit_id=root.id,
        target_kinds=list(target_kinds),
        target_blocks=list(target_blocks),
        opened_at=now,
        deadline=deadline,
        reminder_offsets=sorted(set(reminder_offsets), reverse=True),
        reminders_sent=[],
        opened_by_id=opened_by_id,
        schedule_id=schedule_id,
    )
    session.add(round_)
    await session.flush()
    conditions = [in_subtree(OrgUnit.path, root.path, dialect=session), OrgUnit.is_active.is_(True)]
    if target_kinds:
        conditions.append(OrgUnit.kind.in_(list(target_kinds)))
    if target_blocks:
        conditions.append(OrgUnit.block.in_(list(target_blocks)))
    await session.execute(
        insert(ReportTarget).from_select(
            ["round_id", "unit_id"], select(literal(round_.id), OrgUnit.id).where(*conditions)
        )
    )
    return round_


async def get_round(*, session: AsyncSession, round_id: int) -> ReportRound:
    round_ = await session.get(ReportRound, round_id)
    if round_ is None:
        raise NotFound("Không có kỳ báo cáo này.")
    return round_


async def close_round(*, session: AsyncSession, round_id: int, now: datetime | None = None) -> ReportRound:
    round_ = await get_round(session=session, round_id=round_id)
    if round_.status != RoundStatus.closed.value:
        round_.status = RoundStatus.closed.value
        round_.closed_at = now or utcnow()
        await session.flush()
    return round_


async def open_rounds_for_unit(
    *, session: AsyncSession, unit_id: int, template_code: str | None = None
) -> list[ReportRound]:
    query = (
        select(ReportRound)
        .join(ReportTarget, ReportTarget.round_id == ReportRound.id)
        .where(ReportTarget.unit_id == unit_id, ReportRound.status == RoundStatus.open.value)
        .order_by(ReportRound.opened_at.desc(), ReportRound.id.desc())
    )
    if template_code:
        query = query.join(ReportTemplate, ReportTemplate.id == ReportRound.template_id).where(
            ReportTemplate.code == template_code.strip().upper()
        )
    return list(await session.scalars(query))


async def current_round_for_subtree(*, session: AsyncSession, unit: OrgUnit) -> ReportRound | None:
    """The latest round covering `unit`'s subtree (opened at or above it, or inside it)."""
    root = OrgUnit.__table__.alias("root")
    return await session.scalar(
        select(ReportRound)
        .join(root, root.c.id == ReportRound.root_unit_id)
        .where(
            or_(
                in_subtree(literal(unit.path), root.c.path, dialect=session),
                in_subtree(root.c.path, unit.path, dialect=session),
            )
        )
        .order_by(ReportRound.opened_at.desc(), ReportRound.id.desc())
        .limit(1)
    )


async def is_target(*, session: AsyncSession, round_id: int, unit_id: int) -> bool:
    found = await session.scalar(
        select(func.count()).where(ReportTarget.round_id == round_id, ReportTarget.unit_id == unit_id)
    )
    return bool(found)


# --- submissions -----------------------------------------------------------------------------------


@dataclass
class Submitted:
    submission: ReportSubmission
    revision: ReportRevision
    form: Form
    checked: Checked


def _value_row(round_id: int, unit_id: int, key: str, value: Value) -> dict[str, Any]:
    """One `report_values` row; yes/no is stored as 1/0 so a sum counts the yes answers."""
    number = float(value) if isinstance(value, (bool, Decimal)) else None
    text = value if isinstance(value, str) else None
    return {
        "round_id": round_id,
        "unit_id": unit_id,
        "field_key": key,
        "num_value": number,
        "text_value": text,
    }


def check_reply(form: Form, raw: dict[str, str]) -> Checked:
    checked = validate(form, raw)
    if not checked.ok:
        raise InvalidReply(checked.issues)
    return checked


async def submit(
    *,
    session: AsyncSession,
    round_id: int,
    unit_id: int,
    raw: dict[str, str],
    submitted_by_id: int | None = None,
    channel: str = "api",
    now: datetime | None = None,
) -> Submitted:
    """Validate and store a reply as a new revision; the latest revision is the one that counts."""
    now = now or utcnow()
    round_ = await get_round(session=session, round_id=round_id)
    if round_.status == RoundStatus.closed.value:
        raise RoundClosed(f"Kỳ báo cáo «{round_.title}» đã khoá sổ, không nhận thêm số liệu.")
    if not await is_target(session=session, round_id=round_id, unit_id=unit_id):
        raise NotTargeted("Đơn vị này không thuộc diện báo cáo trong kỳ này.")
    form = await form_of_round(session=session, round_=round_)
    checked = check_reply(form, raw)
    late = now > round_.deadline
    submission = await session.scalar(
        select(ReportSubmission)
        .where(ReportSubmission.round_id == round_id, ReportSubmission.unit_id == unit_id)
        .with_for_update()
    )
    if submission is None:
        submission = ReportSubmission(
            round_id=round_id, unit_id=unit_id, first_submitted_at=now, is_late=late, revision_count=0
        )
        session.add(submission)
    submission.revision_count += 1
    submission.last_submitted_at = now
    submission.status = SubmissionStatus.submitted.value
    await session.flush()
    revision = ReportRevision(
        submission_id=submission.id,
        number=submission.revision_count,
        values=to_json_values(checked.values),
        estimates=checked.estimates,
        submitted_at=now,
        submitted_by_id=submitted_by_id,
        channel=channel,
        is_late=late,
    )
    session.add(revision)
    await session.execute(
        delete(ReportValue).where(and_(ReportValue.round_id == round_id, ReportValue.unit_id == unit_id))
    )
    rows = [_value_row(round_id, unit_id, k, v) for k, v in checked.values.items()]
    if rows:
        await session.execute(insert(ReportValue), rows)
    await session.flush()
    return Submitted(submission, revision, form, checked)


async def get_submission(*, session: AsyncSession, submission_id: int) -> ReportSubmission:
    submission = await session.get(ReportSubmission, submission_id)
    if submission is None:
        raise NotFound("Không có bản báo cáo này.")
    return submission


async def find_submission(*, session: AsyncSession, round_id: int, unit_id: int) -> ReportSubmission | None:
    return await session.scalar(
        select(ReportSubmission).where(
            ReportSubmission.round_id == round_id, ReportSubmission.unit_id == unit_id
        )
    )


async def revisions(*, session: AsyncSession, submission_id: int) -> list[ReportRevision]:
    rows = await session.scalars(
        select(ReportRevision)
        .where(ReportRevision.submission_id == submission_id)
        .order_by(ReportRevision.number)
    )
    return list(rows)


# --- review ----------------------------------------------------------------------------------------


async def review(
    *,
    session: AsyncSession,
    submission_id: int,
    reviewer_id: int | None,
    accept: bool,
    comment: str | None = None,
    now: datetime | None = None,
) -> ReportSubmission:
    """Accept a submission, or return it (trả lại) with a comment the leader will read."""
    submission = await get_submission(session=session, submission_id=submission_id)
    round_ = await get_round(session=session, round_id=submission.round_id)
    if round_.status == RoundStatus.closed.value:
        raise RoundClosed(f"Kỳ báo cáo «{round_.title}» đã khoá sổ.")
    if not accept and not (comment or "").strip():
        raise Conflict("Khi trả lại báo cáo, xin ghi rõ lý do để đơn vị sửa.")
    submission.status = (SubmissionStatus.accepted if accept else SubmissionStatus.returned).value
    submission.review_comment = (comment or "").strip() or None
    submission.reviewed_by_id = reviewer_id
    submission.reviewed_at = now or utcnow()
    await session.flush()
    return submission


async def pending_review(
    *, session: AsyncSession, round_id: int, root_path: str, limit: int = 10
) -> list[tuple[ReportSubmission, OrgUnit]]:
    """Submissions of the subtree waiting for review, oldest first."""
    rows = await session.execute(
        select(ReportSubmission, OrgUnit)
        .join(OrgUnit, OrgUnit.id == ReportSubmission.unit_id)
        .where(
            ReportSubmission.round_id == round_id,
            ReportSubmission.status == SubmissionStatus.submitted.value,
            in_subtree(OrgUnit.path, root_path, dialect=session),
        )
        .order_by(ReportSubmission.last_submitted_at, ReportSubmission.id)
        .limit(limit)
    )
    return [(s, u) for s, u in rows.tuples()]


async def latest_revision(*, session: AsyncSession, submission_id: int) -> ReportRevision | None:
    return await session.scalar(
        select(ReportRevision)
        .where(ReportRevision.submission_id == submission_id)
        .order_by(ReportRevision.number.desc())
        .limit(1)
    )
