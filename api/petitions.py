"""Admin API for petitions: the list an officer may see, one petition, answering (the answer reaches the
sender in chat), forwarding one level up, closing, and statistics by category and unit."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import ScopeDep, SessionDep
from api.errors import ApiError
from api.types import Id, Offset
from archive import petition_delivery as petition_service
from archive import petitions
from archive.petition_reports import list_petitions, officer_view, petition_stats

log = logging.getLogger(__name__)


class AnswerIn(BaseModel):
    answer: str = Field(min_length=1, max_length=4000)


def build_router() -> APIRouter:
    router = APIRouter(prefix="/petitions", tags=["petitions"])

    @router.get("")
    async def index(
        session: SessionDep,
        scope: ScopeDep,
        status: petitions.PetitionStatus | None = None,
        category: str | None = Query(default=None, max_length=64),
        limit: int = Query(default=50, ge=1, le=200),
        offset: Offset = 0,
    ) -> dict[str, Any]:
        rows = await list_petitions(
            session,
            scope=scope,
            status=status.value if status else None,
            category=category,
            limit=limit,
            offset=offset,
        )
        return {"items": [await officer_view(session, petition=p) for p in rows]}

    @router.get("/stats")
    async def stats(session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
        return await petition_stats(session, scope=scope)

    @router.get("/{petition_id}")
    async def read(petition_id: Id, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
        petition = await petitions.get_petition(session, petition_id=petition_id)
        if not petitions.may_view(scope, petition):
            raise ApiError(404, "not_found", "Không tìm thấy kiến nghị.")
        return await officer_view(session, petition=petition)

    @router.post("/{petition_id}/answer")
    async def answer(
        petition_id: Id, body: AnswerIn, session: SessionDep, scope: ScopeDep
    ) -> dict[str, Any]:
        petition, delivered = await petition_service.answer(
            session, scope=scope, petition_id=petition_id, text_=body.answer, answered_by_id=scope.person_id
        )
        return {**await officer_view(session, petition=petition), "delivered": delivered}

    @router.post("/{petition_id}/forward")
    async def forward(petition_id: Id, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
        routing, notified = await petition_service.forward(session, scope=scope, petition_id=petition_id)
        return {**await officer_view(session, petition=routing.petition), "notified": notified}

    @router.post("/{petition_id}/close")
    async def close(petition_id: Id, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
        petition = await petitions.close_petition(session, scope=scope, petition_id=petition_id)
        return await officer_view(session, petition=petition)

    return router
