"""The petitions inbox: the scoped list with statistics, one petition, answer (the answer reaches the
sender in chat), forward one level up, close. The same calls as api/petitions.py."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from archive import petition_delivery as petition_service
from archive import petitions
from archive.petition_reports import list_petitions, officer_view, petition_stats
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

log = logging.getLogger(__name__)
NOTICES = {
    "answered": "Đã gửi câu trả lời tới người kiến nghị.",
    "answered_stored": "Đã lưu câu trả lời; người kiến nghị chưa liên lạc được qua chat.",
    "forwarded": "Đã chuyển kiến nghị lên cấp trên.",
    "closed": "Đã đóng kiến nghị.",
}


async def _visible(session: AsyncSession, officer: Officer, petition_id: int) -> Any:
    petition = await petitions.get_petition(session, petition_id=petition_id)
    if not petitions.may_view(officer.scope, petition):
        raise petitions.PetitionError("not_found", "Không tìm thấy kiến nghị.", 404)
    return petition


async def _page(
    request: Request,
    officer: Officer,
    session: AsyncSession,
    petition: Any,
    *,
    notice: str = "",
    error: str = "",
    answer: str = "",
    status: int = 200,
) -> HTMLResponse:
    context = {
        "p": await officer_view(session, petition=petition),
        "open": petition.status in petitions.OPEN,
        "notice": notice,
        "error": error,
        "answer": answer,
    }
    return render(request, "petition.html", context, officer=officer, status=status)


def build_router() -> APIRouter:
    router = APIRouter(prefix="/petitions", route_class=ConsoleRoute)

    @router.get("", response_class=HTMLResponse)
    async def inbox(
        request: Request, officer: OfficerDep, session: SessionDep, status: str = "", category: str = ""
    ) -> HTMLResponse:
        rows = await list_petitions(
            session, scope=officer.scope, status=status or None, category=category or None, limit=100
        )
        context = {
            "items": [await officer_view(session, petition=p) for p in rows],
            "stats": await petition_stats(session, scope=officer.scope),
            "statuses": petitions.STATUS_LABELS,
            "categories": petitions.CATEGORIES,
            "status": status,
            "category": category,
        }
        return render(request, "petitions.html", context, officer=officer)

    @router.get("/{petition_id}", response_class=HTMLResponse)
    async def page(
        request: Request, petition_id: int, officer: OfficerDep, session: SessionDep, notice: str = ""
    ) -> HTMLResponse:
        petition = await _visible(session, officer, petition_id)
        return await _page(request, officer, session, petition, notice=NOTICES.get(notice, ""))

    @router.post("/{petition_id}/answer")
    async def answer(
        request: Request, petition_id: int, officer: PostingOfficerDep, session: SessionDep
    ) -> Response:
        text = forms.text(await request.form(), "answer")
        petition = await _visible(session, officer, petition_id)
        try:
            async with session.begin_nested():
                petition, delivered = await petition_service.answer(
                    session,
                    scope=officer.scope,
                    petition_id=petition_id,
                    text_=text,
                    answered_by_id=officer.person_id,
                )
        except DomainError as exc:
            return await _page(
                request, officer, session, petition, error=exc.message, answer=text, status=exc.status
            )
        notice = "answered" if delivered else "answered_stored"
        return redirect(f"{PREFIX}/petitions/{petition_id}?notice={notice}")

    @router.post("/{petition_id}/forward")
    async def forward(
        request: Request, petition_id: int, officer: PostingOfficerDep, session: SessionDep
    ) -> Response:
        petition = await _visible(session, officer, petition_id)
        try:
            async with session.begin_nested():
                await petition_service.forward(session, scope=officer.scope, petition_id=petition_id)
        except DomainError as exc:
            return await _page(request, officer, session, petition, error=exc.message, status=exc.status)
        return redirect(f"{PREFIX}/petitions/{petition_id}?notice=forwarded")

    @router.post("/{petition_id}/close")
    async def close(
        request: Request, petition_id: int, officer: PostingOfficerDep, session: SessionDep
    ) -> Response:
        petition = await _visible(session, officer, petition_id)
        try:
            async with session.begin_nested():
                await petitions.close_petition(session, scope=officer.scope, petition_id=petition_id)
        except DomainError as exc:
            return await _page(request, officer, session, petition, error=exc.message, status=exc.status)
        return redirect(f"{PREFIX}/petitions/{petition_id}?notice=closed")

    return router
