"""The one progress message an officer watches while a broadcast sends, and the summary at the end.

Both go through the outbox like every other message: the first progress message is queued once
(`progress_message_id = 0` marks it as requested until the engine records the real id), later updates are
queued as edits of it, at most once per `progress_interval` (a compare-and-set on `progress_at`, so
several workers never double them); the summary is claimed by clearing `progress_chat_id`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from broadcasts import stats
from broadcasts.config import BroadcastConfig
from broadcasts.models import Broadcast, Status
from outbox.models import Kind
from outbox.outcomes import Claimed
from outbox.parts import text
from outbox.service import enqueue
from storage.base import utcnow
from storage.db import Database

log = logging.getLogger(__name__)
REQUESTED = 0  # progress_message_id while the first progress message waits in the outbox


async def on_progress_sent(session: AsyncSession, record: Claimed, message_ids: list[int]) -> None:
    """The first progress message went out: later updates edit it."""
    bid = (record.ref or {}).get("broadcast_id")
    if bid is not None and (record.ref or {}).get("op", "send") == "send":
        await session.execute(
            update(Broadcast)
            .where(Broadcast.id == bid, Broadcast.progress_message_id == REQUESTED)
            .values(progress_message_id=message_ids[0])
        )


def _queue(
    session: AsyncSession, b: Broadcast, chat: int, body: str, *, kind: Kind, edit: int | None
) -> None:
    ref = {"broadcast_id": b.id} | ({"op": "edit", "targets": [edit]} if edit else {})
    enqueue(session, kind=kind, address=chat, parts=[text(body)], ref=ref)


class ProgressReporter:
    def __init__(self, *, db: Database, config: BroadcastConfig) -> None:
        self.db, self.config = db, config

    async def pass_once(self) -> int:
        now = utcnow()
        cutoff = now - timedelta(seconds=self.config.progress_interval)
        async with self.db.transaction() as s:
            rows = (
                await s.execute(
                    select(Broadcast.id, Broadcast.status).where(
                        Broadcast.progress_chat_id.is_not(None),
                        Broadcast.status.in_([Status.sending, Status.done, Status.failed, Status.cancelled]),
                        or_(Broadcast.progress_at.is_(None), Broadcast.progress_at < cutoff),
                    )
                )
            ).all()
        for bid, status in rows:
            async with self.db.transaction() as s:
                if status == Status.sending:
                    await self._update(s, bid, cutoff, now)
                else:
                    await self._finish(s, bid)
        return len(rows)

    async def _update(self, s: AsyncSession, bid: int, cutoff: datetime, now: datetime) -> None:
        won = await s.execute(
            update(Broadcast)
            .where(Broadcast.id == bid, or_(Broadcast.progress_at.is_(None), Broadcast.progress_at < cutoff))
            .values(progress_at=now)
            .execution_options(synchronize_session=False)
        )
        if not getattr(won, "rowcount", 0):
            return
        b = await s.get(Broadcast, bid)
        if b is None or b.progress_chat_id is None:
            return
        st = await stats.stats(s, broadcast_id=bid, with_units=False)
        body = stats.progress_text(b.title, st)
        if b.progress_message_id is None:
            b.progress_message_id = REQUESTED
            _queue(s, b, b.progress_chat_id, body, kind=Kind.broadcast_progress, edit=None)
        elif b.progress_message_id != REQUESTED:
            _queue(s, b, b.progress_chat_id, body, kind=Kind.broadcast_progress, edit=b.progress_message_id)

    async def _finish(self, s: AsyncSession, bid: int) -> None:
        b = await s.get(Broadcast, bid, with_for_update=True)
        if b is None or b.progress_chat_id is None:
            return
        chat, message = b.progress_chat_id, b.progress_message_id
        b.progress_chat_id = None
        st = await stats.stats(s, broadcast_id=bid)
        if message:
            _queue(s, b, chat, stats.progress_text(b.title, st), kind=Kind.broadcast_progress, edit=message)
        _queue(s, b, chat, stats.summary_text(b.title, st), kind=Kind.broadcast_summary, edit=None)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.pass_once()
            except Exception:
                log.exception("progress pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), min(1.0, self.config.progress_interval))
