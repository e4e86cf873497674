"""After sending: correct (edit the sent messages everywhere) or recall (delete them where the messenger
still allows, within 48 h). Both check and record the change in the request's transaction and queue one
outbox record per sent chat; the delivery engine does the edits and deletions at the shared rate, with
retries. A recalled chat's record is marked `recalled` once its messages are gone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from broadcasts import service
from broadcasts.config import BroadcastConfig
from broadcasts.content import Content, ContentError, render_parts
from broadcasts.errors import BroadcastError, InvalidState
from broadcasts.models import Status
from directory.access import Scope
from directory.models import Role
from outbox.models import Kind, OutboxMessage, Outcome
from outbox.outcomes import Claimed
from outbox.parts import Part, to_dict
from storage.base import utcnow

CHUNK = 1000


async def _sent_records(session: AsyncSession, broadcast_id: int) -> list[Any]:
    rows = await session.execute(
        select(
            OutboxMessage.id,
            OutboxMessage.channel,
            OutboxMessage.address,
            OutboxMessage.chat_kind,
            OutboxMessage.chat_id,
            OutboxMessage.unit_id,
            OutboxMessage.message_ids,
            OutboxMessage.sent_at,
        )
        .where(OutboxMessage.broadcast_id == broadcast_id, OutboxMessage.status == Outcome.sent)
        .order_by(OutboxMessage.id)
    )
    return list(rows.all())


async def _queue_all(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        await session.execute(insert(OutboxMessage), rows[start : start + CHUNK])


def _record(kind: Kind, r: Any, payload: list[dict[str, Any]], ref: dict[str, Any]) -> dict[str, Any]:
    now = utcnow()
    return {
        "kind": kind.value,
        "channel": r.channel,
        "address": r.address,
        "chat_kind": r.chat_kind,
        "chat_id": r.chat_id,
        "unit_id": r.unit_id,
        "payload": payload,
        "ref": ref,
        "status": Outcome.pending.value,
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
    }


async def correct(
    session: AsyncSession, *, scope: Scope, broadcast_id: int, content: dict[str, Any]
) -> dict[str, int]:
    """The broadcast's text and buttons change; every chat that got it gets an edit. {"queued": n}."""
    b = await service.get(session, broadcast_id, lock=True)
    await service.require_in_scope(session, scope, b, Role.officer)
    if b.status not in (Status.sending, Status.done, Status.cancelled):
        raise InvalidState("not_sent", "Tin chưa được gửi nên chưa có gì để sửa.")
    try:
        new = Content.from_dict(content)
    except ContentError as exc:
        raise BroadcastError("bad_content", exc.message) from exc
    if new.kind.value != b.content.get("kind") or new.media not in (None, b.content.get("media")):
        raise BroadcastError("bad_correction", "Chỉ sửa được chữ và nút, không đổi được loại tin hay tệp.")
    new.media, new.filename = b.content.get("media"), b.content.get("filename")
    b.content = new.to_dict()
    parts: list[Part] = render_parts(new, ack_for=b.id if b.require_ack else None)
    payload = [to_dict(p) for p in parts]
    rows = [
        _record(
            Kind.broadcast_correction,
            r,
            payload[: len(r.message_ids or [])],
            {"op": "edit", "targets": list(r.message_ids or [])[: len(payload)], "broadcast_id": b.id},
        )
        for r in await _sent_records(session, broadcast_id)
        if r.message_ids
    ]
    await _queue_all(session, rows)
    return {"queued": len(rows)}


async def recall(
    session: AsyncSession, *, scope: Scope, broadcast_id: int, config: BroadcastConfig
) -> dict[str, int]:
    """Sending stops; every message still young enough is deleted. {"queued": n, "too_old": k}."""
    b = await service.get(session, broadcast_id)
    await service.require_in_scope(session, scope, b, Role.officer)
    if b.status == Status.sending:
        await service.cancel(session, scope=scope, broadcast_id=broadcast_id)
    elif b.status not in (Status.done, Status.cancelled, Status.failed):
        raise InvalidState("not_sent", "Tin chưa được gửi nên không có gì để thu hồi.")
    oldest = utcnow() - timedelta(hours=config.recall_window_hours)
    rows, too_old = [], 0
    for r in await _sent_records(session, broadcast_id):
        if r.sent_at is None or r.sent_at < oldest:
            too_old += 1
            continue
        targets = list(r.message_ids or [])
        rows.append(
            _record(Kind.broadcast_recall, r, [], {"op": "delete", "targets": targets, "record_id": r.id})
        )
    await _queue_all(session, rows)
    return {"queued": len(rows), "too_old": too_old}


async def on_recalled(session: AsyncSession, record: Claimed, message_ids: list[int]) -> None:
    """The messages of one chat are gone: its broadcast record says so."""
    record_id = (record.ref or {}).get("record_id")
    if record_id is not None:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == record_id)
            .values(status=Outcome.recalled, updated_at=utcnow())
        )
