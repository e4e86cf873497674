"""Admin API for reporting: templates, rounds, submissions with revisions, review, roll-up, completeness,
ranking and exports. Officers act on their subtree; leaders only on their own unit."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from api.deps import LoaDep, ScopeDep, SessionDep
from api.errors import ApiError
from api.types import Id, SaneAwareDateTime, SaneDate
from directory.access import AccessDenied, Scope
from directory.models import OrgUnit, Role, UnitKind
from directory.tree import is_within
from reports.forms import Aggregation, FieldType, RuleKind
from reports.models import PeriodKind, ReportRevision, ReportRound, ReportSubmission, ReportTemplate
from reports.notify import review_and_tell
from reports.scheduled import announce_round
from reports.services import (
    close_round,
    current_template,
    find_submission,
    get_round,
    get_submission,
    list_templates,
    open_round,
    publish_template,
    revisions,
    submit,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class FieldIn(BaseModel):
    """One indicator of a template; unknown keys are refused so a typo never silently drops a bound."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_]+$")
    label: str = Field(min_length=1, max_length=255)
    type: FieldType = FieldType.integer
    unit: str = Field(default="", max_length=32)
    required: bool = True
    min: Decimal | None = Field(default=None, ge=-(10**15), le=10**15)
    max: Decimal | None = Field(default=None, ge=-(10**15), le=10**15)
    choices: list[str] = Field(default_factory=list, max_length=50)
    aggregation: Aggregation | None = None


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: RuleKind
    left: str = Field(default="", max_length=32)
    right: str = Field(default="", max_length=32)
    parts: list[str] = Field(default_factory=list, max_length=50)
    total: str = Field(default="", max_length=32)


class TemplateIn(BaseModel):
    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_]+$")
    name: str = Field(min_length=1, max_length=255)
    fields: list[FieldIn] = Field(min_length=1, max_length=200)
    rules: list[RuleIn] = Field(default_factory=list, max_length=100)
    unit_id: Id | None = Field(default=None, description="The owning unit (new templates); None: your unit")


class RoundIn(BaseModel):
    template_code: str = Field(min_length=1, max_length=32)
    period_kind: PeriodKind
    deadline: SaneAwareDateTime
    root_unit_id: Id
    period_day: SaneDate | None = None
    target_kinds: list[UnitKind] = Field(default_factory=list, max_length=20)
    target_blocks: list[Annotated[str, Field(max_length=32)]] = Field(default_factory=list, max_length=100)
    reminder_offsets: list[Annotated[int, Field(ge=0, le=366)]] = Field(
        default_factory=lambda: [3, 1, 0], max_length=20
    )
    announce: bool = True


class SubmissionIn(BaseModel):
    unit_id: Id
    values: dict[
        Annotated[str, Field(max_length=32)],
        Annotated[str, Field(max_length=500)]
        | Annotated[int, Field(ge=-(10**15), le=10**15)]
        | float
        | bool
        | None,
    ] = Field(max_length=200)


class ReturnIn(BaseModel):
    comment: str = Field(min_length=1, max_length=2000)


def _typed(value: str | int | float | bool | None) -> str:
    """JSON numbers come with a decimal point; the reader expects the Vietnamese comma."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value).replace(".", ",")
    return value


def template_out(t: ReportTemplate) -> dict[str, Any]:
    return {
        "id": t.id,
        "code": t.code,
        "version": t.version,
        "name": t.name,
        "fields": t.fields,
        "rules": t.rules,
        "owner_unit_id": t.owner_unit_id,
    }


def round_out(r: ReportRound) -> dict[str, Any]:
    return {
        "id": r.id,
        "title": r.title,
        "template_id": r.template_id,
        "period_kind": r.period_kind,
        "period_start": r.period_start.isoformat(),
        "period_end": r.period_end.isoformat(),
        "root_unit_id": r.root_unit_id,
        "target_kinds": r.target_kinds,
        "target_blocks": r.target_blocks,
        "deadline": r.deadline.isoformat(),
        "status": r.status,
        "opened_at": r.opened_at.isoformat(),
        "closed_at": r.closed_at.isoformat() if r.closed_at else None,
        "reminder_offsets": r.reminder_offsets,
    }


def submission_out(s: ReportSubmission, history: list[ReportRevision]) -> dict[str, Any]:
    return {
        "id": s.id,
        "round_id": s.round_id,
        "unit_id": s.unit_id,
        "status": s.status,
        "is_late": s.is_late,
        "first_submitted_at": s.first_submitted_at.isoformat(),
        "last_submitted_at": s.last_submitted_at.isoformat(),
        "review_comment": s.review_comment,
        "revisions": [
            {
                "number": r.number,
                "values": r.values,
                "estimates": r.estimates,
                "submitted_at": r.submitted_at.isoformat(),
                "channel": r.channel,
                "is_late": r.is_late,
            }
            for r in history
        ],
        "latest": history[-1].values if history else None,
    }


async def _unit(session: SessionDep, unit_id: Id) -> OrgUnit:
    unit = await session.get(OrgUnit, unit_id)
    if unit is None:
        raise ApiError(404, "not_found", "Không có đơn vị này.")
    return unit


def _parent_path(unit: OrgUnit) -> str:
    return unit.path.rsplit("/", 2)[0] + "/"


async def _officer_unit(
    session: SessionDep, scope: Scope, round_: ReportRound, unit_id: Id | None
) -> OrgUnit:
    unit = await _unit(session, unit_id or round_.root_unit_id)
    scope.require(Role.officer, unit.path)
    return unit


def build_router() -> APIRouter:
    router = APIRouter(prefix="/reports", tags=["reports"])

    @router.get("/templates")
    async def get_templates(scope: ScopeDep, session: SessionDep) -> dict[str, Any]:
        if not scope.roots(Role.officer) and not scope.roots(Role.leader):
            raise AccessDenied()
        return {"items": [template_out(t) for t in await list_templates(session=session)]}

    @router.get("/templates/{code}")
    async def get_template(code: str, scope: ScopeDep, session: SessionDep) -> dict[str, Any]:
        if not scope.roots(Role.officer) and not scope.roots(Role.leader):
            raise AccessDenied()
        return template_out(await current_template(session=session, code=code))

    @router.post("/templates", status_code=201)
    async def put_template(body: TemplateIn, scope: ScopeDep, session: SessionDep) -> dict[str, Any]:
        if not scope.roots(Role.officer):
            raise AccessDenied()
        saved = await publish_template(
            session=session,
            scope=scope,
            code=body.code,
            name=body.name,
            fields=[f.model_dump(mode="json", exclude_none=True) for f in body.fields],
            rules=[r.model_dump(mode="json") for r in body.rules],
            owner_unit_id=body.unit_id,
        )
        return template_out(saved)

    @router.post("/rounds", status_code=201)
    async def post_round(body: RoundIn, scope: ScopeDep, session: SessionDep, loa: LoaDep) -> dict[str, Any]:
        root = await _unit(session, body.root_unit_id)
        scope.require(Role.officer, root.path)
        template = await current_template(session=session, code=body.template_code)
        round_ = await open_round(
            session=session,
            template_id=template.id,
            period_kind=body.period_kind,
            deadline=body.deadline,
            root_unit_id=root.id,
            period_day=body.period_day,
            target_kinds=[k.value for k in body.target_kinds],
            target_blocks=body.target_blocks,
            reminder_offsets=body.reminder_offsets,
            opened_by_id=scope.person_id,
        )
        announced = (
            await announce_round(session=session, round_=round_) if body.announce else None
        )
        return {**round_out(round_), "announced": announced}

    @router.get("/rounds")
    async def get_rounds(
        scope: ScopeDep, session: SessionDep, limit: int = Query(50, ge=1, le=500)
    ) -> dict[str, Any]:
        roots = scope.roots(Role.officer)
        if not roots:
            raise AccessDenied()
        rows = await session.execute(
            select(ReportRound, OrgUnit.path)
            .join(OrgUnit, OrgUnit.id == ReportRound.root_unit_id)
            .order_by(ReportRound.opened_at.desc())
            .limit(limit * 4)
        )
        visible = [
            r for r, path in rows.tuples() if any(is_within(path, p) or is_within(p, path) for p in roots)
        ]
        return {"items": [round_out(r) for r in visible[:limit]]}

    @router.get("/rounds/{round_id}")
    async def get_one_round(round_id: Id, scope: ScopeDep, session: SessionDep) -> dict[str, Any]:
        round_ = await get_round(session=session, round_id=round_id)
        root = await _unit(session, round_.root_unit_id)
        if not any(is_within(root.path, p) or is_within(p, root.path) for p in scope.roots(Role.member)):
            raise AccessDenied()
        return round_out(round_)

    @router.post("/rounds/{round_id}/close")
    async def post_close(round_id: Id, scope: ScopeDep, session: SessionDep) -> dict[str, Any]:
        round_ = await get_round(session=session, round_id=round_id)
        scope.require(Role.officer, (await _unit(session, round_.root_unit_id)).path)
        return round_out(await close_round(session=session, round_id=round_id))

    @router.post("/rounds/{round_id}/submissions", status_code=201)
    async def post_submission(
        round_id: Id, body: SubmissionIn, scope: ScopeDep, session: SessionDep
    ) -> dict[str, Any]:
        unit = await _unit(session, body.unit_id)
        if not (scope.allows(Role.leader, unit.path) or scope.allows(Role.officer, _parent_path(unit))):
            raise AccessDenied()
        result = await submit(
            session=session,
            round_id=round_id,
            unit_id=unit.id,
            raw={k: _typed(v) for k, v in body.values.items()},
            submitted_by_id=scope.person_id,
            channel="api",
        )
        history = await revisions(session=session, submission_id=result.submission.id)
        return submission_out(result.submission, history)

    @router.get("/rounds/{round_id}/submissions/{unit_id}")
    async def get_unit_submission(
        round_id: Id, unit_id: Id, scope: ScopeDep, session: SessionDep
    ) -> dict[str, Any]:
        unit = await _unit(session, unit_id)
        if not (scope.allows(Role.leader, unit.path) or scope.allows(Role.officer, unit.path)):
            raise AccessDenied()
        submission = await find_submission(session=session, round_id=round_id, unit_id=unit_id)
        if submission is None:
            raise ApiError(404, "not_submitted", "Đơn vị này chưa nộp báo cáo kỳ này.")
        return submission_out(submission, await revisions(session=session, submission_id=submission.id))

    async def _review(
        submission_id: Id, scope: Scope, session: SessionDep, loa: Any, accept: bool, comment: str | None
    ) -> dict[str, Any]:
        submission = await get_submission(session=session, submission_id=submission_id)
        unit = await _unit(session, submission.unit_id)
        scope.require(Role.officer, _parent_path(unit))
        done, notified = await review_and_tell(
            session=session,
            submission_id=submission_id,
            reviewer_id=scope.person_id,
            accept=accept,
            comment=comment,
        )
        history = await revisions(session=session, submission_id=done.id)
        return {**submission_out(done, history), "notified": notified}

    @router.post("/submissions/{submission_id}/accept")
    async def post_accept(
        submission_id: Id, scope: ScopeDep, session: SessionDep, loa: LoaDep
    ) -> dict[str, Any]:
        return await _review(submission_id, scope, session, loa, True, None)

    @router.post("/submissions/{submission_id}/return")
    async def post_return(
        submission_id: Id, body: ReturnIn, scope: ScopeDep, session: SessionDep, loa: LoaDep
    ) -> dict[str, Any]:
        return await _review(submission_id, scope, session, loa, False, body.comment)

    from api import report_stats

    router.include_router(report_stats.build_router())
    return router
