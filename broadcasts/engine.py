"""The delivery engine: claims batches of delivery records, sends them at the shared rate, writes
each outcome back.

Durability: a record is marked `sending` with this engine's claim token *before* it is sent (the
batch claim) and its outcome is written *after* (results are flushed every 100 ms). A process that
dies leaves its records in `sending`; once their lease passes any worker puts them back to
`pending`. So no recipient is lost, and duplicates are bounded by the records in flight.
Several engines share a broadcast: PostgreSQL claims with FOR UPDATE SKIP LOCKED, SQLite's single
writer makes the UPDATE … RETURNING claim atomic.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, bindparam, case, or_, select, update
from sqlalchemy.exc import IntegrityError

from broadcasts import service
from broadcasts.config import BroadcastConfig
from broadcasts.content import Content, Part, render_parts
from broadcasts.models import Broadcast, Delivery, Outcome, Status
from broadcasts.outcomes import Claimed, EngineStats, Result
from broadcasts.ratelimit import ChatSpacing, Pacer, wait
from broadcasts.transport import Blocked, Migrated, Permanent, RetryAfter, SendError, Transient, Transport
from directory import chats
from directory.models import Chat
from storage.base import utcnow
from storage.db import Database

log = logging.getLogger(__name__)
IsBusy = Callable[[int], Awaitable[bool]]


@dataclass
class _Job:
    parts: list[Part]
    paid: bool


_WRITE = (
    update(Delivery)
    .where(
        Delivery.id == bindparam("r_id"),
        Delivery.claim_token == bindparam("r_token"),
        Delivery.status == Outcome.sending,
    )
    .values(
        status=bindparam("r_status"),
        attempts=bindparam("r_attempts"),
        next_attempt_at=bindparam("r_next"),
        deferred_until=bindparam("r_deferred"),
        message_ids=bindparam("r_mids"),
        error=bindparam("r_error"),
        sent_at=bindparam("r_sent"),
        telegram_chat_id=bindparam("r_tg"),
        claim_token=None,
        updated_at=bindparam("r_now"),
    )
)


class Engine:
    def __init__(
        self,
        *,
        db: Database,
        transport: Transport,
        pacer: Pacer,
        config: BroadcastConfig,
        is_busy: IsBusy | None = None,
    ) -> None:
        self.db = db
        self.transport = transport
        self.pacer = pacer
        self.config = config
        self.is_busy = is_busy
        self.token = uuid.uuid4().hex[:16]
        self.stats = EngineStats()
        self.spacing = ChatSpacing(
            private_interval=config.private_chat_interval, group_interval=60.0 / config.group_per_min
        )
        self._jobs: dict[int, _Job] = {}
        self._queue: asyncio.Queue[Claimed] = asyncio.Queue()
        self._results: list[Result] = []
        self._in_flight: dict[int, int] = {}  # broadcast id → records claimed and not yet written

    # --- claiming -------------------------------------------------------------------------------
    async def recover_expired(self) -> int:
        """Records left `sending` by a dead worker go back to `pending` once their lease passed."""
        cutoff = utcnow() - timedelta(seconds=self.config.lease_seconds)
        count = await self._reopen(Delivery.status == Outcome.sending, Delivery.claimed_at < cutoff)
        self.stats.recovered += count
        return count

    async def _reopen(self, *where: ColumnElement[bool]) -> int:
        """Claimed records go back to `pending` — or to `cancelled` if their broadcast was cancelled."""
        cancelled = select(Broadcast.id).where(Broadcast.status == Status.cancelled).scalar_subquery()
        status = case(
            (Delivery.broadcast_id.in_(cancelled), Outcome.cancelled.value), else_=Outcome.pending.value
        )
        async with self.db.transaction() as s:
            result = await s.execute(
                update(Delivery)
                .where(*where)
                .values(status=status, claim_token=None, updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )
        return int(getattr(result, "rowcount", 0) or 0)

    async def claim(self, broadcast_id: int, limit: int) -> list[Claimed]:
        now = utcnow()
        due = (
            select(Delivery.id)
            .where(
                Delivery.broadcast_id == broadcast_id,
                Delivery.status.in_([Outcome.pending, Outcome.retrying]),
                or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now),
            )
            .order_by(Delivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        stmt = (
            update(Delivery)
            .where(Delivery.id.in_(due.scalar_subquery()))
            .values(status=Outcome.sending, claim_token=self.token, claimed_at=now, updated_at=now)
            .returning(
                Delivery.id,
                Delivery.broadcast_id,
                Delivery.chat_id,
                Delivery.telegram_chat_id,
                Delivery.chat_kind,
                Delivery.telegram_user_id,
                Delivery.attempts,
                Delivery.deferred_until,
                Delivery.message_ids,
            )
            .execution_options(synchronize_session=False)
        )
        async with self.db.transaction() as s:
            rows = (await s.execute(stmt)).all()
        claimed = sorted((Claimed(*row) for row in rows), key=lambda c: c.id)
        self._in_flight[broadcast_id] = self._in_flight.get(broadcast_id, 0) + len(claimed)
        return claimed

    async def _refresh_jobs(self) -> list[int]:
        async with self.db.transaction() as s:
            rows = (
                await s.execute(
                    select(Broadcast.id, Broadcast.content, Broadcast.require_ack, Broadcast.paid).where(
                        Broadcast.status == Status.sending
                    )
                )
            ).all()
        active: dict[int, _Job] = {}
        for bid, content, require_ack, paid in rows:
            job = self._jobs.get(bid)
            if job is None:
                parts = render_parts(Content.from_dict(content), ack_for=bid if require_ack else None)
                job = _Job(parts, bool(paid) or self.config.paid_broadcast)
            active[bid] = job
        self._jobs = active
        return list(active)

    # --- sending --------------------------------------------------------------------------------
    def _backoff(self, attempts: int) -> float:
        delay = min(self.config.backoff_cap, self.config.backoff_base * 2 ** (attempts - 1))
        return float(delay * (0.8 + 0.4 * random.random()))

    async def _busy_deferral(self, r: Claimed) -> Result | None:
        """A leader filling in a report form is not interrupted: the message waits (bounded)."""
        if self.is_busy is None or r.chat_kind != "private" or not r.telegram_user_id:
            return None
        now = utcnow()
        if r.deferred_until is not None and now >= r.deferred_until:
            return None
        if not await self.is_busy(r.telegram_user_id):
            return None
        until = r.deferred_until or now + timedelta(seconds=self.config.busy_timeout_seconds)
        nxt = min(until, now + timedelta(seconds=self.config.busy_recheck_seconds))
        self.stats.deferred += 1
        return Result(
            r,
            Outcome.retrying,
            r.attempts,
            next_attempt_at=nxt,
            deferred_until=until,
            message_ids=r.message_ids,
        )

    async def deliver(self, r: Claimed, job: _Job) -> Result:
        deferred = await self._busy_deferral(r)
        if deferred is not None:
            return deferred
        ids = list(r.message_ids or [])
        chat = r.telegram_chat_id
        migrated = False
        while len(ids) < len(job.parts):
            await wait(self.spacing.reserve(chat, r.chat_kind))
            await wait(await self.pacer.reserve())
            try:
                ids.append(await self.transport.send(chat, job.parts[len(ids)], paid=job.paid))
            except Migrated as exc:
                if migrated:
                    return self._final(r, Outcome.failed, exc, ids, chat)
                migrated, chat = True, exc.new_chat_id
                self.stats.migrated += 1
            except RetryAfter as exc:
                self.stats.retry_after += 1
                if not ids:  # a first message cannot have hit a per-chat limit: the bot is flooding
                    await self.pacer.penalise(exc.seconds)
                nxt = utcnow() + timedelta(seconds=exc.seconds)
                return Result(
                    r,
                    Outcome.retrying,
                    r.attempts,
                    next_attempt_at=nxt,
                    message_ids=ids,
                    error=exc.reason,
                    telegram_chat_id=chat,
                )
            except Transient as exc:
                attempts = r.attempts + 1
                if attempts >= self.config.max_attempts:
                    return self._final(r, Outcome.failed, exc, ids, chat, attempts)
                nxt = utcnow() + timedelta(seconds=self._backoff(attempts))
                return Result(
                    r,
                    Outcome.retrying,
                    attempts,
                    next_attempt_at=nxt,
                    message_ids=ids,
                    error=exc.reason,
                    telegram_chat_id=chat,
                )
            except Blocked as exc:
                return self._final(r, Outcome.blocked, exc, ids, chat)
            except Permanent as exc:
                return self._final(r, Outcome.failed, exc, ids, chat)
        return Result(
            r, Outcome.sent, r.attempts + 1, message_ids=ids, sent_at=utcnow(), telegram_chat_id=chat
        )

    @staticmethod
    def _final(
        r: Claimed, status: Outcome, exc: SendError, ids: list[int], chat: int, attempts: int | None = None
    ) -> Result:
        return Result(
            r,
            status,
            attempts if attempts is not None else r.attempts + 1,
            message_ids=ids or None,
            error=exc.reason,
            telegram_chat_id=chat,
        )

    async def _consume(self) -> None:
        while True:
            r = await self._queue.get()
            try:
                job = self._jobs.get(r.broadcast_id)
                if job is None:  # cancelled (or otherwise stopped) while queued
                    self._results.append(Result(r, Outcome.cancelled, r.attempts, message_ids=r.message_ids))
                    continue
                try:
                    result = await self.deliver(r, job)
                except Exception as exc:  # a bug must not lose the record: it is retried later
                    log.exception("delivery %s crashed", r.id)
                    result = Result(
                        r,
                        Outcome.retrying,
                        r.attempts + 1,
                        message_ids=r.message_ids,
                        next_attempt_at=utcnow() + timedelta(seconds=self.config.backoff_cap),
                        error=f"{type(exc).__name__}: {exc}"[:255],
                    )
                self._results.append(result)
            finally:
                self._queue.task_done()

    # --- writing outcomes -----------------------------------------------------------------------
    async def flush(self) -> int:
        if not self._results:
            return 0
        batch, self._results = self._results, []
        now = utcnow()
        params: list[dict[str, Any]] = []
        blocked: list[int] = []
        moved: dict[int, int] = {}
        for res in batch:
            r = res.record
            params.append(
                {
                    "r_id": r.id,
                    "r_token": self.token,
                    "r_status": res.status.value,
                    "r_attempts": res.attempts,
                    "r_next": res.next_attempt_at,
                    "r_deferred": res.deferred_until,
                    "r_mids": res.message_ids,
                    "r_error": res.error,
                    "r_sent": res.sent_at,
                    "r_tg": res.telegram_chat_id or r.telegram_chat_id,
                    "r_now": now,
                }
            )
            if res.status is Outcome.blocked:
                blocked.append(r.chat_id)
            if res.telegram_chat_id and res.telegram_chat_id != r.telegram_chat_id:
                moved[r.telegram_chat_id] = res.telegram_chat_id
        try:
            await self._write(params, blocked, moved, now)
        except Exception:
            self._results = batch + self._results  # written on the next flush; the records stay claimed
            raise
        for res in batch:
            self._count(res)
            r = res.record
            self._in_flight[r.broadcast_id] = self._in_flight.get(r.broadcast_id, 1) - 1
        return len(batch)

    async def _write(
        self, params: list[dict[str, Any]], blocked: list[int], moved: dict[int, int], now: datetime
    ) -> None:
        async with self.db.transaction() as s:
            await (await s.connection()).execute(_WRITE, params)  # Core executemany, one round trip
            if blocked:
                await s.execute(
                    update(Chat)
                    .where(Chat.id.in_(blocked))
                    .values(is_active=False, blocked_at=now)
                    .execution_options(synchronize_session=False)
                )
            for old_id, new_id in moved.items():
                try:
                    async with s.begin_nested():
                        await chats.migrate_group(s, old_chat_id=old_id, new_chat_id=new_id)
                except IntegrityError:  # the old row is still referenced; the next send migrates again
                    log.warning("could not record migration %s → %s", old_id, new_id)

    def _count(self, res: Result) -> None:
        name = res.status.value
        self.stats.by_outcome[name] = self.stats.by_outcome.get(name, 0) + 1
        if hasattr(self.stats, name) and name != "retry_after":
            setattr(self.stats, name, getattr(self.stats, name) + 1)

    async def _writer(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.1)
            try:
                await self.flush()
            except Exception:  # e.g. the database is briefly unavailable: try again on the next tick
                log.exception("writing delivery outcomes failed; retrying")

    async def release(self) -> int:
        """Gives back records claimed by this engine and not sent (a graceful stop)."""
        count = await self._reopen(Delivery.claim_token == self.token, Delivery.status == Outcome.sending)
        self.stats.released += count
        return count

    # --- the loop -------------------------------------------------------------------------------
    async def _produce(self, stop: asyncio.Event, *, until_idle: bool) -> None:
        loop = asyncio.get_running_loop()
        next_recover = 0.0
        while not stop.is_set():
            try:
                if loop.time() >= next_recover:
                    await self.recover_expired()
                    next_recover = loop.time() + self.config.lease_seconds / 2
                active, claimed_any, room = await self._claim_round()
            except Exception:  # the database hiccuped: nothing is lost, try again shortly
                log.exception("claiming deliveries failed; retrying")
                active, claimed_any, room = [0], False, 0
            if claimed_any and room > 0:
                continue
            if until_idle and not active:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    stop.wait(), self.config.idle_poll_seconds if not claimed_any else 0.05
                )

    async def _claim_round(self) -> tuple[list[int], bool, int]:
        """Claims work for every sending broadcast while there is room; finishes completed ones."""
        active = await self._refresh_jobs()
        claimed_any = False
        # claimed and not yet written back, wherever it is: this bounds duplicates after a crash
        room = self.config.batch_size * 2 - sum(self._in_flight.values())
        for bid in active:
            if room <= 0:
                break
            batch = await self.claim(bid, min(room, self.config.batch_size))
            for rec in batch:
                self._queue.put_nowait(rec)
            room -= len(batch)
            claimed_any = claimed_any or bool(batch)
            if not batch and self._in_flight.get(bid, 0) <= 0:
                async with self.db.transaction() as s:
                    await service.finish_if_complete(s, broadcast_id=bid)
        return active, claimed_any, room

    async def run(self, stop: asyncio.Event, *, until_idle: bool = False) -> EngineStats:
        """Deliver until `stop` is set (or, with `until_idle`, until no broadcast is sending)."""
        writer_stop = asyncio.Event()
        consumers = [asyncio.create_task(self._consume()) for _ in range(self.config.concurrency)]
        writer = asyncio.create_task(self._writer(writer_stop))
        try:
            await self._produce(stop, until_idle=until_idle)
        finally:
            while not self._queue.empty():  # queued but never started: handed back below
                self._queue.get_nowait()
                self._queue.task_done()
            with contextlib.suppress(TimeoutError):  # let sends already under way finish
                await asyncio.wait_for(self._queue.join(), timeout=10)
            for task in consumers:
                task.cancel()
            await asyncio.gather(*consumers, return_exceptions=True)
            writer_stop.set()
            await writer
            await self.flush()
            await self.release()
        return self.stats
