"""The officer's home: open rounds by child unit, broadcasts being sent, items awaiting approval, new
petitions — all for the officer's own scope."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from archive.petition_reports import list_petitions, officer_view
from archive.petitions import PetitionStatus
from broadcasts.models import Status
from console import queries
from console.web import ConsoleRoute, OfficerDep, SessionDep, render
from reports import rollup
from reports.services import pending_review


def build_router() -> APIRouter:
    router = APIRouter(route_class=ConsoleRoute)

    @router.get("/", response_class=HTMLResponse)
    async def home(request: Request, officer: OfficerDep, session: SessionDep) -> HTMLResponse:
        scope = officer.scope
        rounds = []
        for view in await queries.rounds_in_scope(session, scope=scope, open_only=True, limit=10):
            rows = await rollup.completeness(session=session, round_=view.round, parent=view.unit)
            reviews = await pending_review(session=session, round_id=view.round.id, root_path=view.unit.path)
            rounds.append({"round": view.round, "unit": view.unit, "rows": rows, "reviews": reviews})
        sending = await queries.broadcasts_in_scope(
            session, scope=scope, statuses=[Status.sending, Status.scheduled], limit=20
        )
        approvals = await queries.awaiting_my_approval(session, scope=scope)
        petitions = [
            await officer_view(session, petition=p)
            for p in await list_petitions(session, scope=scope, status=PetitionStatus.new.value, limit=10)
        ]
        context = {"rounds": rounds, "sending": sending, "approvals": approvals, "petitions": petitions}
        return render(request, "home.html", context, officer=officer)

    return router
