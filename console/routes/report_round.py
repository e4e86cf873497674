"""One report round as an officer follows it: the status table of its target units (submitted, late,
missing) with «nhắc đơn vị chưa nộp», review (accept, or return with a comment), the roll-up with its
chart, and the XLSX/CSV downloads. The same service calls as api/reports.py and api/report_stats.py."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import LoaDep
from api.reports import XLSX
from common.errors import DomainError
from console import forms
from console.web import (
    PREFIX,
    ConsoleRoute,
    Officer,
    OfficerDep,
    PostingOfficerDep,
    SessionDep,
    redirect,
    render,
)
from directory import tree
from directory.models import OrgUnit, Role
from reports import rollup as rollups
from reports.chart import completeness_chart
from reports.exports import collect, export_csv, export_xlsx
from reports.models import SUBMISSION_STATUS_LABELS, ReportRound
from reports.notify import remind_missing, review_and_tell
from reports.services import form_of_round, get_round, get_submission, pending_review

REVIEW_PAGE = 20  # the oldest waiting first; the rest show up as these are done
NOTICES = {
    "accepted": "Đã chấp nhận báo cáo.",
    "returned": "Đã trả lại báo cáo kèm ý kiến.",
}


async def _round_and_unit(
    session: AsyncSession, officer: Officer, round_id: int, unit_id: int | None
) -> tuple[ReportRound, OrgUnit]:
    """As the API: the unit asked for (default: the round's root) must be in the officer's scope."""
    round_ = await get_round(session=session, round_id=round_id)
    unit = await tree.get_unit(session, unit_id=unit_id or round_.root_unit_id)
    officer.scope.require(Role.officer, unit.path)
    return round_, unit


def _parent_path(unit: OrgUnit) -> str:
    return unit.path.rsplit("/", 2)[0] + "/"


async def _page(
    request: Request,
    officer: Officer,
    session: AsyncSession,
    round_: ReportRound,
    unit: OrgUnit,
    *,
    notice: str = "",
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    data = await collect(session=session, round_=round_, root=unit)
    form = await form_of_round(session=session, round_=round_)
    values = {row.unit.id: row.values for row in data.rows}
    context = {
        "round": round_,
        "unit": unit,
        "rows": data.rows,
        "fields": form.fields,
        "children": await rollups.completeness(session=session, round_=round_, parent=unit),
        "total": await rollups.totals(session=session, round_=round_, root_path=unit.path),
        "rollup": await rollups.rollup(session=session, round_id=round_.id, form=form, root_path=unit.path),
        "labels": SUBMISSION_STATUS_LABELS,
        "reviewable": [
            (submission, unit_, values.get(unit_.id, {}))
            for submission, unit_ in await pending_review(
                session=session, round_id=round_.id, root_path=unit.path, limit=REVIEW_PAGE
            )
            if officer.scope.allows(Role.officer, _parent_path(unit_))
        ],
        "notice": notice,
        "error": error,
    }
    return render(request, "round.html", context, officer=officer, status=status)


def build_router() -> APIRouter:
    router = APIRouter(prefix="/reports", route_class=ConsoleRoute)

    @router.get("/rounds/{round_id}", response_class=HTMLResponse)
    async def page(
        request: Request,
        round_id: int,
        officer: OfficerDep,
        session: SessionDep,
        unit_id: int | None = None,
        notice: str = "",
    ) -> HTMLResponse:
        round_, unit = await _round_and_unit(session, officer, round_id, unit_id)
        return await _page(request, officer, session, round_, unit, notice=NOTICES.get(notice, ""))

    @router.get("/rounds/{round_id}/status", response_class=HTMLResponse)
    async def status_table(
        request: Request, round_id: int, officer: OfficerDep, session: SessionDep, unit_id: int | None = None
    ) -> HTMLResponse:
        """The status table alone, for the page to refresh itself while leaders reply."""
        round_, unit = await _round_and_unit(session, officer, round_id, unit_id)
        data = await collect(session=session, round_=round_, root=unit)
        context = {"round": round_, "unit": unit, "rows": data.rows, "labels": SUBMISSION_STATUS_LABELS}
        return render(request, "_round_status.html", context, officer=officer)

    @router.post("/rounds/{round_id}/remind", response_class=HTMLResponse)
    async def remind(
        request: Request,
        round_id: int,
        officer: PostingOfficerDep,
        session: SessionDep,
        loa: LoaDep,
        unit_id: int | None = None,
    ) -> HTMLResponse:
        round_, unit = await _round_and_unit(session, officer, round_id, unit_id)
        result = await remind_missing(session=session, round_=round_, root_path=unit.path, kind="manual")
        notice = f"Đã nhắc {result.get('sent', 0)} người của các đơn vị chưa nộp."
        if result.get("unreachable"):
            notice += f" {result['unreachable']} đơn vị chưa liên lạc được qua Loa."
        return await _page(request, officer, session, round_, unit, notice=notice)

    @router.post("/submissions/{submission_id}/review")
    async def review_submission(
        request: Request, submission_id: int, officer: PostingOfficerDep, session: SessionDep, loa: LoaDep
    ) -> Response:
        form = await request.form()
        accept = forms.text(form, "decision") == "accept"
        comment = forms.text(form, "comment")
        submission = await get_submission(session=session, submission_id=submission_id)
        unit = await tree.get_unit(session, unit_id=submission.unit_id)
        officer.scope.require(Role.officer, _parent_path(unit))
        back = forms.int_or_none(form, "unit_id")
        try:
            async with session.begin_nested():
                if not accept and not comment:
                    raise forms.FormInvalid("Ghi rõ ý kiến khi trả lại báo cáo.")
                await review_and_tell(
                    session=session,
                    submission_id=submission_id,
                    reviewer_id=officer.person_id,
                    accept=accept,
                    comment=comment or None,
                )
        except DomainError as exc:
            round_, root = await _round_and_unit(session, officer, submission.round_id, back)
            return await _page(request, officer, session, round_, root, error=exc.message, status=exc.status)
        target = f"{PREFIX}/reports/rounds/{submission.round_id}?unit_id={back or ''}"
        return redirect(f"{target}&notice={'accepted' if accept else 'returned'}")

    @router.get("/rounds/{round_id}/export.xlsx")
    async def xlsx(
        round_id: int, officer: OfficerDep, session: SessionDep, unit_id: int | None = None
    ) -> Response:
        round_, unit = await _round_and_unit(session, officer, round_id, unit_id)
        content = await export_xlsx(session=session, round_=round_, root=unit)
        headers = {"Content-Disposition": f'attachment; filename="bao-cao-{round_id}-{unit.id}.xlsx"'}
        return Response(content, media_type=XLSX, headers=headers)

    @router.get("/rounds/{round_id}/export.csv")
    async def csv(
        round_id: int, officer: OfficerDep, session: SessionDep, unit_id: int | None = None
    ) -> Response:
        round_, unit = await _round_and_unit(session, officer, round_id, unit_id)
        content = await export_csv(session=session, round_=round_, root=unit)
        headers = {"Content-Disposition": f'attachment; filename="bao-cao-{round_id}-{unit.id}.csv"'}
        return Response(content, media_type="text/csv; charset=utf-8", headers=headers)

    @router.get("/rounds/{round_id}/chart.png")
    async def chart(
        round_id: int, officer: OfficerDep, session: SessionDep, unit_id: int | None = None
    ) -> Response:
        round_, unit = await _round_and_unit(session, officer, round_id, unit_id)
        rows = await rollups.completeness(session=session, round_=round_, parent=unit)
        return Response(completeness_chart(rows, f"{round_.title} — {unit.name}"), media_type="image/png")

    return router
