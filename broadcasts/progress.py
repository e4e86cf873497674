"""The one progress message an officer watches while a broadcast sends, and the summary at the end.

Several workers may run: each edit is claimed with a compare-and-set on `progress_at`, so the message
is edited at most once per interval; the summary is claimed by clearing `progress_chat_id`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from sqlalchemy import or_, select, update

from broadcasts import stats
from broadcasts.config import BroadcastConfig
from broadcasts.content import Part, PartKind
from broadcasts.models import Broadcast, Status
from outbox.transport import SendError, Transport
from storage.base import utcnow
from storage.db import Database

log = logging.getLogger(__name__)


class ProgressReporter:
    def __init__(self, *, db: Database, transport: Transport, config: BroadcastConfig) -> None:
        self.db, self.transport, self.config = db, transport, config

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
            if status == Status.sending:
                await self._update(bid, cutoff, now)
            else:
                await self._finish(bid)
        return len(rows)

    async def _update(self, bid: int, cutoff: object, now: object) -> None:
        async with self.db.transaction() as s:
            won = await s.execute(
                update(Broadcast)
                .where(
                    Broadcast.id == bid, or_(Broadcast.progress_at.is_(None), Broadcast.progress_at < cutoff)
                )
                .values(progress_at=now)
                .execution_options(synchronize_session=False)
            )
            if not getattr(won, "rowcount", 0):
                return
            b = await s.get(Broadcast, bid)
            assert b is not None
            st = await stats.stats(s, broadcast_id=bid, with_units=False)
            chat, message = b.progress_chat_id, b.progress_message_id
            text = stats.progress_text(b.title, st)
        if chat is None:
            return
        try:
            if message is None:
                mid = await self.transport.send(chat, Part(PartKind.text, text))
                async with self.db.transaction() as s:
                    await s.execute(
                        update(Broadcast).where(Broadcast.id == bid).values(progress_message_id=mid)
                    )
            else:
                await self.transport.edit(chat, message, Part(PartKind.text, text))
        except SendError as exc:
            log.info("progress of broadcast %s not shown: %s", bid, exc.reason)

    async def _finish(self, bid: int) -> None:
        async with self.db.transaction() as s:
            b = await s.get(Broadcast, bid, with_for_update=True)
            if b is None or b.progress_chat_id is None:
                return
            chat, message = b.progress_chat_id, b.progress_message_id
            b.progress_chat_id = None
            st = await stats.stats(s, broadcast_id=bid)
            title = b.title
        try:
            if message is not None:
                await self.transport.edit(chat, message, Part(PartKind.text, stats.progress_text(title, st)))
            await self.transport.send(chat, Part(PartKind.text, stats.summary_text(title, st)))
        except SendError as exc:
            log.info("summary of broadcast %s not shown: %s", bid, exc.reason)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.pass_once()
            except Exception:
                log.exception("progress pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), min(1.0, self.config.progress_interval))
