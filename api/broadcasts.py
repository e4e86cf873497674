"""Admin API for broadcasts: compose, approve, schedule, cancel, correct, recall; audience preview,
statistics and per-recipient status. Every route checks the caller's scope over the audience."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from api.deps import LoaDep, ScopeDep, SessionDep
from api.errors import ApiError
from api.types import Id, Offset, SaneDateTime
from broadcasts import aftercare, audience, schedules, service, stats
from broadcasts.audience import AudienceSpec, Target
from broadcasts.config import BroadcastConfig
from broadcasts.content import PartKind
from broadcasts.models import Broadcast, BroadcastSchedule
from directory.access import Scope
from directory.models import Role, UnitKind


class AudienceIn(BaseModel):
    roots: list[Id] = Field(min_length=1, max_length=1000)
    targets: list[Target] = [Target.group]
    blocks: list[str] | None = Field(default=None, max_length=100)
    unit_kinds: list[UnitKind] | None = None
    exclude_units: list[Id] = Field(default=[], max_length=10_000)
    exclude_chats: list[Id] = Field(default=[], max_length=10_000)


class ButtonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=64)
    url: str = Field(min_length=1, max_length=2048, pattern=r"^(https?|tg)://")


class ContentIn(BaseModel):
    kind: PartKind = PartKind.text
    html: str = Field(default="", max_length=100_000)
    media: str | None = Field(default=None, max_length=2048)
    filename: str | None = Field(default=None, max_length=255)
    buttons: list[list[ButtonIn]] = Field(default=[], max_length=20)


class BroadcastIn(BaseModel):
    title: str = Field(min_length=1, max_length=255)
    content: ContentIn
    audience: AudienceIn
    document_id: Id | None = None
    require_ack: bool = False
    ack_deadline: SaneDateTime | None = None
    paid: bool = False


class BroadcastPatch(BaseModel):
    title: str | None = Field(default=None, min_length=1, max_length=255)
    content: ContentIn | None = None
    audience: AudienceIn | None = None
    document_id: Id | None = None
    require_ack: bool | None = None
    ack_deadline: SaneDateTime | None = None


class ScheduleIn(BaseModel):
    at: SaneDateTime | None = None


class RuleIn(BaseModel):
    rule: dict[str, Any]


class CorrectIn(BaseModel):
    content: ContentIn


def broadcast_out(b: Broadcast) -> dict[str, Any]:
    return {
        "id": b.id,
        "title": b.title,
        "status": b.status,
        "content": b.content,
        "audience": b.audience,
        "document_id": b.document_id,
        "require_ack": b.require_ack,
        "ack_deadline": b.ack_deadline,
        "requires_approval": b.requires_approval,
        "approved_by_id": b.approved_by_id,
        "scheduled_at": b.scheduled_at,
        "started_at": b.started_at,
        "finished_at": b.finished_at,
        "total": b.total,
        "skipped_inactive": b.skipped_inactive,
        "author_id": b.author_id,
        "schedule_id": b.schedule_id,
        "note": b.note,
    }


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ApiError(422, "naive_datetime", "Thời điểm cần có múi giờ, ví dụ 2026-05-01T07:00:00+07:00.")
    return value


async def _visible(session: Any, scope: Scope, broadcast_id: Id) -> Broadcast:
    b = await service.get(session, broadcast_id)
    await service.require_in_scope(session, scope, b, Role.officer)
    return b


def build_router() -> APIRouter:
    router = APIRouter(prefix="/broadcasts", tags=["broadcasts"])

    @router.post("", status_code=201)
    async def create(
        body: BroadcastIn,
        session: SessionDep,
        scope: ScopeDep,
        response: Response,
        idempotency_key: str | None = Header(default=None, max_length=100),
    ) -> dict[str, Any]:
        b, created = await service.create(
            session,
            scope=scope,
            title=body.title,
            content=body.content.model_dump(mode="json"),
            audience_spec=body.audience.model_dump(mode="json"),
            document_id=body.document_id,
            require_ack=body.require_ack,
            ack_deadline=_aware(body.ack_deadline),
            paid=body.paid,
            idempotency_key=idempotency_key,
        )
        if not created:
            response.status_code = 200
        return broadcast_out(b)

    @router.get("/{broadcast_id}")
    async def read(broadcast_id: Id, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
        return broadcast_out(await _visible(session, scope, broadcast_id))

    @router.patch("/{broadcast_id}")
    async def patch(
        broadcast_id: Id, body: BroadcastPatch, session: SessionDep, scope: ScopeDep
    ) -> dict[str, Any]:
        b = await service.update_draft(
            session,
            scope=scope,
            broadcast_id=broadcast_id,
            title=body.title,
            content=body.content.model_dump(mode="json") if body.content else None,
            audience_spec=body.audience.model_dump(mode="json") if body.audience else None,
            document_id=body.document_id,
            require_ack=body.require_ack,
            ack_deadline=_aware(body.ack_deadline),
        )
        return broadcast_out(b)

    @router.post("/{broadcast_id}/submit")
    async def submit(broadcast_id: Id, session: SessionDep, scope: ScopeDep, loa: LoaDep) -> dict[str, Any]:
        config = BroadcastConfig.from_settings(loa.settings)
        return broadcast_out(
            await service.submit(session, scope=scope, broadcast_id=broadcast_id, config=config)
        )

    @router.post("/{broadcast_id}/approve")
    async def approve(broadcast_id: Id, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
        return broadcast_out(await service.approve(session, scope=scope, broadcast_id=broadcast_id))

    @router.post("/{broadcast_id}/reject")
    async def reject(broadcast_id: Id, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
        return broadcast_out(await service.reject(session, scope=scope, broadcast_id=broadcast_id))

    @router.post("/{broadcast_id}/schedule")
    async def schedule(
        broadcast_id: Id, body: ScheduleIn, session: SessionDep, scope: ScopeDep
    ) -> dict[str, Any]:
        b = await service.schedule(session, scope=scope, broadcast_id=broadcast_id, at=_aware(body.at))
        return broadcast_out(b)

    @router.post("/{broadcast_id}/recurrence", status_code=201)
    async def recurrence(
        broadcast_id: Id, body: RuleIn, session: SessionDep, scope: ScopeDep, loa: LoaDep
    ) -> dict[str, Any]:
        sched = await schedules.create_schedule(
            session, scope=scope, template_id=broadcast_id, rule=body.rule, tz=loa.settings.tz
        )
        return {"id": sched.id, "rule": sched.rule, "state": sched.state, "next_run_at": sched.next_run_at}

    @router.get("/{broadcast_id}/recurrence")
    async def list_recurrence(broadcast_id: Id, session: SessionDep, scope: ScopeDep) -> list[dict[str, Any]]:
        await _visible(session, scope, broadcast_id)
        rows = await session.scalars(
            select(BroadcastSchedule).where(BroadcastSchedule.template_id == broadcast_id)
        )
        return [
            {
                "id": s.id,
                "rule": s.rule,
                "state": s.state,
                "next_run_at": s.next_run_at,
                "missed": s.missed_count,
            }
            for s in rows
        ]

    @router.post("/{broadcast_id}/cancel")
    async def cancel(broadcast_id: Id, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
        b, stopped = await service.cancel(session, scope=scope, broadcast_id=broadcast_id)
        return {**broadcast_out(b), "stopped": stopped}

    @router.post("/{broadcast_id}/correct")
    async def correct(
        broadcast_id: Id, body: CorrectIn, session: SessionDep, scope: ScopeDep
    ) -> dict[str, int]:
        return await aftercare.correct(
            session, scope=scope, broadcast_id=broadcast_id, content=body.content.model_dump(mode="json")
        )

    @router.post("/{broadcast_id}/recall")
    async def recall(broadcast_id: Id, session: SessionDep, scope: ScopeDep, loa: LoaDep) -> dict[str, int]:
        config = BroadcastConfig.from_settings(loa.settings)
        return await aftercare.recall(session, scope=scope, broadcast_id=broadcast_id, config=config)

    @router.post("/audience/preview")
    async def preview(body: AudienceIn, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
        spec = AudienceSpec.from_dict(body.model_dump(mode="json"))
        for unit in await audience.root_units(session, spec):
            scope.require(Role.officer, unit.path)
        p = await audience.preview(session, spec)
        return {
            "total": p.total,
            "skipped_inactive": p.skipped_inactive,
            "by_unit": [{"unit_id": u.unit_id, "name": u.name, "count": u.count} for u in p.by_unit],
        }

    @router.get("/{broadcast_id}/stats")
    async def statistics(broadcast_id: Id, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
        await _visible(session, scope, broadcast_id)
        return (await stats.stats(session, broadcast_id=broadcast_id)).as_dict()

    @router.get("/{broadcast_id}/recipients")
    async def recipients(
        broadcast_id: Id,
        session: SessionDep,
        scope: ScopeDep,
        status: str | None = Query(default=None, max_length=32),
        unit_id: Id | None = None,
        chat_kind: str | None = Query(default=None, max_length=32),
        limit: int = Query(default=100, ge=1, le=1000),
        offset: Offset = 0,
    ) -> dict[str, Any]:
        await _visible(session, scope, broadcast_id)
        q = stats.recipients_query(broadcast_id, status=status, unit_id=unit_id, chat_kind=chat_kind)
        total = await session.scalar(select(func.count()).select_from(q.subquery()))
        rows = (await session.execute(q.limit(limit).offset(offset))).all()
        items = [
            {
                "chat_id": d.chat_id,
                "channel": d.channel,
                "address": d.address,
                "chat_title": title,
                "chat_kind": d.chat_kind,
                "unit_id": d.unit_id,
                "unit_name": unit_name,
                "status": d.status,
                "attempts": d.attempts,
                "error": d.error,
                "sent_at": d.sent_at,
            }
            for d, title, unit_name in rows
        ]
        return {"total": int(total or 0), "items": items}

    return router
