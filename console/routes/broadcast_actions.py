"""One broadcast: its page (status, chat preview, progress, statistics, recipients) and the actions its
status allows — submit, approve or return, schedule (now, at a time, recurring), cancel, correct, recall."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import LoaDep
from broadcasts import aftercare, recurrence, schedules, service, stats
from broadcasts.config import BroadcastConfig
from broadcasts.content import Content, render_parts
from broadcasts.models import Broadcast, BroadcastSchedule, Status
from common.errors import DomainError
from console import forms
from console.broadcast_view import STATUS_LABELS, TARGET_LABELS, parts_view
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
from directory.models import OrgUnit, Role

RECIPIENTS_PAGE = 100
NOTICES = {
    "submitted": "Đã gửi tin đi duyệt (tin không cần duyệt thì được gửi theo lịch đã chọn).",
    "approved": "Đã duyệt tin.",
    "returned": "Đã trả lại tin cho người soạn.",
    "scheduled": "Đã đặt lịch gửi.",
    "cancelled": "Đã huỷ tin.",
    "corrected": "Đã đính chính tin đã gửi.",
    "recalled": "Đã thu hồi tin đã gửi.",
}


async def _visible(session: AsyncSession, officer: Officer, broadcast_id: int) -> Broadcast:
    b = await service.get(session, broadcast_id)
    await service.require_in_scope(session, officer.scope, b, Role.officer)
    return b


def progress_of(st: stats.Stats) -> dict[str, Any]:
    finished = st.status not in (Status.sending, Status.scheduled, Status.approved)
    done = st.done_count
    percent = 100 if finished or not st.total else 100 * done // st.total
    if st.status == Status.done:
        label = f"xong — đã gửi {st.by_outcome.get('sent', 0)}/{st.total}"
    elif finished:
        label = STATUS_LABELS.get(st.status, st.status)
    elif st.status != Status.sending:
        label = "đã hẹn giờ, chờ tới giờ gửi"
    else:
        label = f"đang gửi {done}/{st.total} ({percent}%)"
    return {
        "status": st.status,
        "done": done,
        "total": st.total,
        "percent": percent,
        "finished": finished,
        "label": label,
    }


async def _page(
    request: Request,
    officer: Officer,
    session: AsyncSession,
    b: Broadcast,
    *,
    error: str = "",
    notice: str = "",
    status_filter: str = "",
    status: int = 200,
) -> HTMLResponse:
    st = await stats.stats(session, broadcast_id=b.id)
    q = stats.recipients_query(b.id, status=status_filter or None)
    recipients = (await session.execute(q.limit(RECIPIENTS_PAGE))).all()
    recipient_total = await session.scalar(select(func.count()).select_from(q.subquery()))
    roots = list(await session.scalars(select(OrgUnit).where(OrgUnit.id.in_(b.audience.get("roots", [])))))
    sched = list(
        await session.scalars(select(BroadcastSchedule).where(BroadcastSchedule.template_id == b.id))
    )
    context = {
        "b": b,
        "status_label": STATUS_LABELS.get(b.status, b.status),
        "parts": parts_view(
            render_parts(Content.from_dict(b.content), ack_for=b.id if b.require_ack else None)
        ),
        "roots": roots,
        "targets": [TARGET_LABELS.get(t, t) for t in b.audience.get("targets", [])],
        "stats": st,
        "progress": progress_of(st),
        "outcome_labels": stats.OUTCOME_LABELS,
        "recipients": recipients,
        "recipient_total": int(recipient_total or 0),
        "status_filter": status_filter,
        "schedules": [(s, recurrence.describe(s.rule)) for s in sched],
        "may_approve": b.status == Status.submitted
        and b.author_id != officer.person_id
        and all(officer.scope.allows(Role.approver, u.path) for u in roots),
        "error": error,
        "notice": notice,
    }
    return render(request, "broadcast.html", context, officer=officer, status=status)


def build_router() -> APIRouter:
    router = APIRouter(prefix="/broadcasts", route_class=ConsoleRoute)

    @router.get("/{broadcast_id}", response_class=HTMLResponse)
    async def page(
        request: Request,
        broadcast_id: int,
        officer: OfficerDep,
        session: SessionDep,
        status: str = "",
        notice: str = "",
    ) -> HTMLResponse:
        b = await _visible(session, officer, broadcast_id)
        return await _page(request, officer, session, b, status_filter=status, notice=NOTICES.get(notice, ""))

    @router.get("/{broadcast_id}/progress.json")
    async def progress(broadcast_id: int, officer: OfficerDep, session: SessionDep) -> dict[str, Any]:
        b = await _visible(session, officer, broadcast_id)
        return progress_of(await stats.stats(session, broadcast_id=b.id, with_units=False))

    async def act(
        request: Request, officer: Officer, session: AsyncSession, broadcast_id: int, notice: str, action: Any
    ) -> Response:
        """Runs one service call in a savepoint: on a domain error the page shows why, nothing is kept."""
        b = await _visible(session, officer, broadcast_id)
        try:
            async with session.begin_nested():
                await action()
        except DomainError as exc:
            b = await service.get(session, broadcast_id)
            return await _page(request, officer, session, b, error=exc.message, status=exc.status)
        return redirect(f"{PREFIX}/broadcasts/{b.id}?notice={notice}")

    @router.post("/{broadcast_id}/submit")
    async def submit(
        request: Request, broadcast_id: int, officer: PostingOfficerDep, session: SessionDep, loa: LoaDep
    ) -> Response:
        config = BroadcastConfig.from_settings(loa.settings)

        async def run() -> None:
            b = await service.submit(session, scope=officer.scope, broadcast_id=broadcast_id, config=config)
            if b.status == Status.approved:
                await service.schedule(session, scope=officer.scope, broadcast_id=b.id, at=b.scheduled_at)

        return await act(request, officer, session, broadcast_id, "submitted", run)

    @router.post("/{broadcast_id}/approve")
    async def approve(
        request: Request, broadcast_id: int, officer: PostingOfficerDep, session: SessionDep
    ) -> Response:
        """«Duyệt và gửi»: out at the time asked for (or now); «Duyệt» alone leaves the schedule to the
        officer (e.g. a recurrence), as the API's approve does."""
        send = forms.text(await request.form(), "send") == "1"

        async def run() -> None:
            if send:
                await service.approve_and_schedule(session, scope=officer.scope, broadcast_id=broadcast_id)
            else:
                await service.approve(session, scope=officer.scope, broadcast_id=broadcast_id)

        return await act(request, officer, session, broadcast_id, "approved", run)

    @router.post("/{broadcast_id}/return")
    async def send_back(
        request: Request, broadcast_id: int, officer: PostingOfficerDep, session: SessionDep
    ) -> Response:
        note = forms.text(await request.form(), "note")

        async def run() -> None:
            if not note:
                raise forms.FormInvalid("Ghi rõ lý do trả lại để người soạn sửa.")
            await service.reject(session, scope=officer.scope, broadcast_id=broadcast_id, note=note)

        return await act(request, officer, session, broadcast_id, "returned", run)

    @router.post("/{broadcast_id}/schedule")
    async def schedule(
        request: Request, broadcast_id: int, officer: PostingOfficerDep, session: SessionDep, loa: LoaDep
    ) -> Response:
        form = await request.form()

        async def run() -> None:
            if forms.text(form, "when") == "recurring":
                await schedules.create_schedule(
                    session,
                    scope=officer.scope,
                    template_id=broadcast_id,
                    rule=forms.recurrence_rule(form),
                    tz=loa.settings.tz,
                )
                return
            at = forms.local_datetime(forms.text(form, "at"), loa.settings.tz)
            if forms.text(form, "when") == "at" and at is None:
                raise forms.FormInvalid("Chọn thời điểm gửi.")
            await service.schedule(session, scope=officer.scope, broadcast_id=broadcast_id, at=at)

        return await act(request, officer, session, broadcast_id, "scheduled", run)

    @router.post("/{broadcast_id}/cancel")
    async def cancel(
        request: Request, broadcast_id: int, officer: PostingOfficerDep, session: SessionDep
    ) -> Response:
        async def run() -> None:
            await service.cancel(session, scope=officer.scope, broadcast_id=broadcast_id)

        return await act(request, officer, session, broadcast_id, "cancelled", run)

    @router.post("/{broadcast_id}/correct")
    async def correct(
        request: Request, broadcast_id: int, officer: PostingOfficerDep, session: SessionDep
    ) -> Response:
        form = await request.form()

        async def run() -> None:
            await aftercare.correct(
                session, scope=officer.scope, broadcast_id=broadcast_id, content=forms.content(form)
            )

        return await act(request, officer, session, broadcast_id, "corrected", run)

    @router.post("/{broadcast_id}/recall")
    async def recall(
        request: Request, broadcast_id: int, officer: PostingOfficerDep, session: SessionDep, loa: LoaDep
    ) -> Response:
        config = BroadcastConfig.from_settings(loa.settings)

        async def run() -> None:
            await aftercare.recall(session, scope=officer.scope, broadcast_id=broadcast_id, config=config)

        return await act(request, officer, session, broadcast_id, "recalled", run)

    return router
