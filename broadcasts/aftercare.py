"""After sending: correct (edit the sent messages everywhere) or recall (delete them where Telegram
still allows, within 48 h). Both pace themselves like the engine and report counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from broadcasts import service
from broadcasts.config import BroadcastConfig
from broadcasts.content import Content, ContentError, render_parts
from broadcasts.errors import BroadcastError, InvalidState
from broadcasts.models import Status
from directory.access import Scope
from directory.models import Role
from outbox.models import OutboxMessage, Outcome
from outbox.ratelimit import Pacer, wait
from outbox.transport import RetryAfter, SendError, Transport
from storage.base import utcnow
from storage.db import Database

CHUNK = 500


@dataclass
class AftercareResult:
    done: int = 0
    failed: int = 0
    too_old: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"done": self.done, "failed": self.failed, "too_old": self.too_old}


async def _sent_records(
    db: Database, broadcast_id: int, after_id: int
) -> list[tuple[int, int, list[int], Any]]:
    async with db.transaction() as s:
        rows = await s.execute(
            select(OutboxMessage.id, OutboxMessage.address, OutboxMessage.message_ids, OutboxMessage.sent_at)
            .where(
                OutboxMessage.broadcast_id == broadcast_id,
                OutboxMessage.status == Outcome.sent,
                OutboxMessage.id > after_id,
            )
            .order_by(OutboxMessage.id)
            .limit(CHUNK)
        )
        return [(i, c, list(m or []), t) for i, c, m, t in rows.tuples()]


async def _call(pacer: Pacer, action: Any) -> None:
    """One paced messenger call; a 429 is waited out once, then retried."""
    await wait(await pacer.reserve())
    try:
        await action()
    except RetryAfter as exc:
        await pacer.penalise(exc.seconds)
        await wait(exc.seconds)
        await action()


async def correct(
    db: Database,
    *,
    scope: Scope,
    broadcast_id: int,
    content: dict[str, Any],
    transport: Transport,
    pacer: Pacer,
) -> AftercareResult:
    async with db.transaction() as s:
        b = await service.get(s, broadcast_id, lock=True)
        await service.require_in_scope(s, scope, b, Role.officer)
        if b.status not in (Status.sending, Status.done, Status.cancelled):
            raise InvalidState("not_sent", "Tin chưa được gửi nên chưa có gì để sửa.")
        try:
            new = Content.from_dict(content)
        except ContentError as exc:
            raise BroadcastError("bad_content", exc.message) from exc
        if new.kind.value != b.content.get("kind") or new.media not in (None, b.content.get("media")):
            raise BroadcastError(
                "bad_correction", "Chỉ sửa được chữ và nút, không đổi được loại tin hay tệp."
            )
        new.media, new.filename = b.content.get("media"), b.content.get("filename")
        b.content = new.to_dict()
        parts = render_parts(new, ack_for=b.id if b.require_ack else None)
    result, after = AftercareResult(), 0
    while batch := await _sent_records(db, broadcast_id, after):
        for rid, chat, mids, _ in batch:
            after = rid
            try:
                for mid, part in zip(mids, parts, strict=False):
                    await _call(pacer, lambda c=chat, m=mid, p=part: transport.edit(c, m, p))
                result.done += 1
            except SendError:
                result.failed += 1
    return result


async def recall(
    db: Database,
    *,
    scope: Scope,
    broadcast_id: int,
    transport: Transport,
    pacer: Pacer,
    config: BroadcastConfig,
) -> AftercareResult:
    async with db.transaction() as s:
        b = await service.get(s, broadcast_id)
        await service.require_in_scope(s, scope, b, Role.officer)
        if b.status == Status.sending:
            await service.cancel(s, scope=scope, broadcast_id=broadcast_id)
        elif b.status not in (Status.done, Status.cancelled, Status.failed):
            raise InvalidState("not_sent", "Tin chưa được gửi nên không có gì để thu hồi.")
    oldest = utcnow() - timedelta(hours=config.recall_window_hours)
    result, after = AftercareResult(), 0
    while batch := await _sent_records(db, broadcast_id, after):
        recalled: list[int] = []
        for rid, chat, mids, sent_at in batch:
            after = rid
            if sent_at is None or sent_at < oldest:
                result.too_old += 1
                continue
            try:
                for mid in mids:
                    await _call(pacer, lambda c=chat, m=mid: transport.delete(c, m))
                recalled.append(rid)
                result.done += 1
            except SendError:
                result.failed += 1
        if recalled:
            async with db.transaction() as s:
                await s.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_(recalled))
                    .values(status=Outcome.recalled, updated_at=utcnow())
                    .execution_options(synchronize_session=False)
                )
    return result
