"""The delivery engine: claims outbox records, sends them at each messenger's rate, writes each outcome back.

Durability. A record is marked `sending` with this engine's claim token *before* it is sent and its outcome
is written *after* (results are flushed every 100 ms). Claims are leases the engine renews while it holds
the records (every `lease_seconds / 3`), so a long queue at a small share of the global rate is never
re-claimed by another worker. A record is only sent while the lease is known to be held; when the database
cannot be reached, renewals fail, sending pauses, and the outcomes already known are kept until it is
back. A process that dies stops renewing: once its leases lapse (seconds, not minutes) any worker puts its
records back to `pending`. Duplicates therefore happen only after a real crash or outage, and are bounded
by the sends that were in flight at that moment.

Several engines share the work: PostgreSQL claims with FOR UPDATE SKIP LOCKED; SQLite's single writer makes
the UPDATE … RETURNING claim atomic. Records of every kind go through here: a broadcast's recipients take
their parts from the broadcast, every other record carries its own (`payload`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, case, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from broadcasts import service
from broadcasts.config import BroadcastConfig
from broadcasts.content import Content, render_parts
from broadcasts.models import Broadcast, Status
from directory import chats
from directory.models import Chat
from outbox.models import Kind, OutboxMessage, Outcome
from outbox.outcomes import Claimed, EngineStats, Result
from outbox.parts import Part, PartKind, from_dict
from outbox.ratelimit import ChatSpacing, Pacer, wait
from outbox.transport import Blocked, Migrated, Permanent, RetryAfter, SendError, Transient, Transport
from storage.base import utcnow
from storage.db import Database

log = logging.getLogger(__name__)
IsBusy = Callable[[int], Awaitable[bool]]
OnSent = Callable[[AsyncSession, Claimed, list[int]], Awaitable[None]]
"""Records what a sent record means to its domain (e.g. the request a reply will answer), in the
transaction that writes the outcome."""

DEFAULT_CHANNEL = "telegram"
# what may wait while the person is in the middle of a form; an officer's own progress or an approval may not
DEFERRABLE = frozenset({Kind.broadcast, Kind.ack_reminder, Kind.report_request, Kind.report_reminder})


@dataclass
class _Job:
    parts: list[Part]
    paid: bool
    op: str = "send"  # or "edit" / "delete" the messages in `targets` (correct, recall, progress)
    targets: tuple[int, ...] = ()


_MINE_OR_REOPENED = or_(
    and_(OutboxMessage.claim_token == bindparam("r_token"), OutboxMessage.status == Outcome.sending),
    # reopened after this engine's lease lapsed (an outage), and nobody has claimed it since: still ours
    and_(
        OutboxMessage.claim_token.is_(None),
        or_(OutboxMessage.status == Outcome.pending, OutboxMessage.status == Outcome.retrying),
    ),
)

_WRITE = (
    update(OutboxMessage)
    .where(OutboxMessage.id == bindparam("r_id"), _MINE_OR_REOPENED)
    .values(
        status=bindparam("r_status"),
        attempts=bindparam("r_attempts"),
        next_attempt_at=bindparam("r_next"),
        deferred_until=bindparam("r_deferred"),
        message_ids=bindparam("r_mids"),
        error=bindparam("r_error"),
        sent_at=bindparam("r_sent"),
        address=bindparam("r_address"),
        claim_token=None,
        updated_at=bindparam("r_now"),
    )
)

_CLAIMED_COLUMNS = (
    OutboxMessage.id,
    OutboxMessage.kind,
    OutboxMessage.broadcast_id,
    OutboxMessage.chat_id,
    OutboxMessage.channel,
    OutboxMessage.address,
    OutboxMessage.chat_kind,
    OutboxMessage.user_id,
    OutboxMessage.attempts,
    OutboxMessage.deferred_until,
    OutboxMessage.message_ids,
    OutboxMessage.payload,
    OutboxMessage.ref,
)


class Engine:
    def __init__(
        self,
        *,
        db: Database,
        transport: Transport | Mapping[str, Transport],
        pacer: Pacer | Mapping[str, Pacer],
        config: BroadcastConfig,
        is_busy: IsBusy | None = None,
        on_sent: Mapping[str, OnSent] | None = None,
        on_outcome: Callable[[str, str, str], None] | None = None,
    ) -> None:
        self.db = db
        self.transports: dict[str, Transport] = (
            dict(transport) if isinstance(transport, Mapping) else {DEFAULT_CHANNEL: transport}
        )
        self.pacers: dict[str, Pacer] = (
            dict(pacer) if isinstance(pacer, Mapping) else {DEFAULT_CHANNEL: pacer}
        )
        self.config = config
        self.is_busy = is_busy
        self.on_sent = dict(on_sent or {})
        self.on_outcome = on_outcome  # (kind, channel, outcome) of each record written back: metrics
        self.token = uuid.uuid4().hex[:16]
        self.stats = EngineStats()
        self.spacing = ChatSpacing(
            private_interval=config.private_chat_interval, group_interval=60.0 / config.group_per_min
        )
        self._jobs: dict[int, _Job] = {}
        self._queue: asyncio.Queue[Claimed] = asyncio.Queue()
        self._results: list[Result] = []
        self._owned: dict[int, Claimed] = {}  # claimed by this engine and not yet written back
        self._lease_until = 0.0  # loop time until which every owned record is surely still ours
        self._db_ok = True
        self._db_back = asyncio.Event()
        self._db_back.set()
        self._wake_writer = asyncio.Event()
        self._unsettled = asyncio.Semaphore(config.concurrency)

    # --- leases ---------------------------------------------------------------------------------
    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    def _lease_from(self, started: float) -> None:
        """A claim or renewal that began at `started` holds the lease until then + lease (less a margin)."""
        self._lease_until = max(self._lease_until, started + self.config.lease_seconds * 0.75)

    def holds_lease(self) -> bool:
        return self._now() < self._lease_until

    async def may_send(self) -> bool:
        """True while the lease is surely held and the database answers. While it does not, sending
        pauses; if the lease lapses meanwhile, the record is let go unsent (another worker may own it)."""
        if not self._db_ok:
            remaining = self._lease_until - self._now()
            if remaining <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._db_back.wait(), remaining)
        return self.holds_lease()

    async def renew(self) -> int:
        """Extends the lease of every record this engine still holds."""
        ids = list(self._owned)
        started = self._now()
        if not ids:
            self._lease_from(started)
            return 0
        renewed = 0
        async with self.db.transaction() as s:
            for i in range(0, len(ids), 500):
                result = await s.execute(
                    update(OutboxMessage)
                    .where(
                        OutboxMessage.id.in_(ids[i : i + 500]),
                        OutboxMessage.claim_token == self.token,
                        OutboxMessage.status == Outcome.sending,
                    )
                    .values(claimed_at=utcnow())
                    .execution_options(synchronize_session=False)
                )
                renewed += int(getattr(result, "rowcount", 0) or 0)
        self._lease_from(started)
        self.stats.renewed += renewed
        return renewed

    async def _renewer(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.config.lease_seconds / 3)
            try:
                await self.renew()
                self._healthy()
            except Exception as exc:
                self._unhealthy("renewing leases", exc)

    def _healthy(self) -> None:
        if not self._db_ok:
            log.warning("database reachable again; sending resumes")
        self._db_ok = True
        self._db_back.set()

    def _unhealthy(self, doing: str, exc: Exception) -> None:
        if self._db_ok:
            log.debug("database operation failed", exc_info=exc)
            log.warning(
                "%s failed (%s); sending pauses until the database answers", doing, type(exc).__name__
            )
        self._db_ok = False
        self._db_back.clear()

    # --- claiming -------------------------------------------------------------------------------
    async def recover_expired(self) -> int:
        """Records left `sending` by a dead worker go back to `pending` once their lease lapsed."""
        cutoff = utcnow() - timedelta(seconds=self.config.lease_seconds)
        count = await self._reopen(OutboxMessage.status == Outcome.sending, OutboxMessage.claimed_at < cutoff)
        self.stats.recovered += count
        return count

    async def _reopen(self, *where: ColumnElement[bool]) -> int:
        """Claimed records go back to `pending` — or to `cancelled` if their broadcast was cancelled."""
        cancelled = select(Broadcast.id).where(Broadcast.status == Status.cancelled).scalar_subquery()
        status = case(
            (OutboxMessage.broadcast_id.in_(cancelled), Outcome.cancelled.value), else_=Outcome.pending.value
        )
        async with self.db.transaction() as s:
            result = await s.execute(
                update(OutboxMessage)
                .where(*where)
                .values(status=status, claim_token=None, updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )
        return int(getattr(result, "rowcount", 0) or 0)

    async def claim(self, broadcast_id: int | None, limit: int) -> list[Claimed]:
        """Claims due records of one broadcast, or (`None`) of every other kind."""
        now = utcnow()
        which = (
            OutboxMessage.broadcast_id.is_(None)
            if broadcast_id is None
            else OutboxMessage.broadcast_id == broadcast_id
        )
        due = (
            select(OutboxMessage.id)
            .where(
                which,
                OutboxMessage.status.in_([Outcome.pending, Outcome.retrying]),
                or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        stmt = (
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(due.scalar_subquery()))
            .values(status=Outcome.sending, claim_token=self.token, claimed_at=now, updated_at=now)
            .returning(*_CLAIMED_COLUMNS)
            .execution_options(synchronize_session=False)
        )
        started = self._now()
        async with self.db.transaction() as s:
            rows = (await s.execute(stmt)).all()
        claimed = sorted((Claimed(*row) for row in rows), key=lambda c: c.id)
        if claimed:
            if not self._owned:
                self._lease_until = 0.0
            self._lease_from(started)
        for c in claimed:
            self._owned[c.id] = c
        return claimed

    def _in_flight(self, broadcast_id: int) -> int:
        return sum(1 for c in self._owned.values() if c.broadcast_id == broadcast_id)

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
        if self.is_busy is None or r.chat_kind != "private" or not r.user_id or r.kind not in DEFERRABLE:
            return None
        now = utcnow()
        if r.deferred_until is not None and now >= r.deferred_until:
            return None
        if not await self.is_busy(r.user_id):
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

    async def deliver(self, r: Claimed, job: _Job) -> Result | None:
        """Sends what is left of one record; None when the lease was lost before a part went out."""
        deferred = await self._busy_deferral(r)
        if deferred is not None:
            return deferred
        transport = self.transports.get(r.channel)
        pacer = self.pacers.get(r.channel) or self.pacers[DEFAULT_CHANNEL]
        if transport is None:
            return self._final(r, Outcome.failed, Permanent(f"no transport for {r.channel}"), [], r.address)
        ids = list(r.message_ids or [])
        chat = r.address
        migrated = False
        while len(ids) < len(job.parts):
            await wait(self.spacing.reserve(chat, r.chat_kind))
            await wait(await pacer.reserve())
            if not await self.may_send():  # another worker may own it by now: never send what is not ours
                if ids:  # what went out is written; the rest is sent by whoever holds it next
                    return Result(r, Outcome.retrying, r.attempts, message_ids=ids, address=chat)
                return None
            try:
                ids.append(await self._perform(transport, chat, job, len(ids)))
            except Migrated as exc:
                if migrated:
                    return self._final(r, Outcome.failed, exc, ids, chat)
                migrated, chat = True, exc.new_chat_id
                self.stats.migrated += 1
            except RetryAfter as exc:
                self.stats.retry_after += 1
                if not ids:  # a first message cannot have hit a per-chat limit: the bot is flooding
                    await pacer.penalise(exc.seconds)
                nxt = utcnow() + timedelta(seconds=exc.seconds)
                return Result(
                    r,
                    Outcome.retrying,
                    r.attempts,
                    next_attempt_at=nxt,
                    message_ids=ids,
                    error=exc.reason,
                    address=chat,
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
                    address=chat,
                )
            except Blocked as exc:
                return self._final(r, Outcome.blocked, exc, ids, chat)
            except Permanent as exc:
                return self._final(r, Outcome.failed, exc, ids, chat)
        return Result(r, Outcome.sent, r.attempts + 1, message_ids=ids, sent_at=utcnow(), address=chat)

    @staticmethod
    async def _perform(transport: Transport, chat: int, job: _Job, index: int) -> int:
        part = job.parts[index]
        if job.op == "edit":
            await transport.edit(chat, job.targets[index], part)
            return job.targets[index]
        if job.op == "delete":
            await transport.delete(chat, job.targets[index])
            return job.targets[index]
        return await transport.send(chat, part, paid=job.paid)

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
            address=chat,
        )

    def _job_of(self, r: Claimed) -> _Job | None:
        if r.broadcast_id is not None:
            return self._jobs.get(r.broadcast_id)
        ref = r.ref or {}
        op = ref.get("op", "send")
        targets = tuple(int(t) for t in ref.get("targets", ()))
        parts = [from_dict(p) for p in r.payload or []]
        if op == "delete":
            parts = [Part(PartKind.text, "")] * len(targets)
        return _Job(parts[: len(targets)] if op == "edit" else parts, False, op, targets)

    async def _consume(self) -> None:
        while True:
            r = await self._queue.get()
            # a permit per record from before its send until its outcome is written: what a crash can
            # duplicate (sent, not yet written) never exceeds the engine's concurrency
            await self._unsettled.acquire()
            settled_here = True
            try:
                if not await self.may_send():
                    self._forget(r)
                    continue
                job = self._job_of(r)
                if job is None:  # cancelled (or otherwise stopped) while queued
                    self._settle_later(Result(r, Outcome.cancelled, r.attempts, message_ids=r.message_ids))
                    settled_here = False
                    continue
                try:
                    result = await self.deliver(r, job)
                except Exception as exc:  # a bug must not lose the record: it is retried later
                    log.exception("outbox record %s crashed", r.id)
                    result = Result(
                        r,
                        Outcome.retrying,
                        r.attempts + 1,
                        message_ids=r.message_ids,
                        next_attempt_at=utcnow() + timedelta(seconds=self.config.backoff_cap),
                        error=f"{type(exc).__name__}: {exc}"[:255],
                    )
                if result is None:
                    self._forget(r)
                else:
                    self._settle_later(result)
                    settled_here = False
            finally:
                if settled_here:
                    self._unsettled.release()
                self._queue.task_done()

    def _settle_later(self, result: Result) -> None:
        """The outcome waits for the writer, which frees the record's permit once it is written. The writer
        is woken early when someone may answer the message at once, or when permits run short."""
        self._results.append(result)
        if result.record.kind in self.on_sent or len(self._results) >= max(1, self.config.concurrency // 4):
            self._wake_writer.set()

    def _forget(self, r: Claimed) -> None:
        """Lets go of a record without sending it: its lease lapses and any worker takes it up again."""
        self._owned.pop(r.id, None)
        self.stats.lease_lost += 1

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
                    "r_address": res.address or r.address,
                    "r_now": now,
                }
            )
            if res.status is Outcome.blocked and r.chat_id is not None:
                blocked.append(r.chat_id)
            if res.address and res.address != r.address:
                moved[r.address] = res.address
        try:
            await self._write(batch, params, blocked, moved, now)
        except Exception:
            self._results = batch + self._results  # written on the next flush; the records stay claimed
            raise
        for res in batch:
            self._count(res)
            self._owned.pop(res.record.id, None)
            self._unsettled.release()
        return len(batch)

    async def _write(
        self,
        batch: list[Result],
        params: list[dict[str, Any]],
        blocked: list[int],
        moved: dict[int, int],
        now: datetime,
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
            for res in batch:
                hook = self.on_sent.get(res.record.kind)
                if hook is None or res.status is not Outcome.sent or not res.message_ids:
                    continue
                try:
                    async with s.begin_nested():
                        await hook(s, res.record, list(res.message_ids))
                except Exception:  # a hook must never hold back the outcomes of the others
                    log.exception(
                        "recording sent outbox record %s (%s) failed", res.record.id, res.record.kind
                    )

    def _count(self, res: Result) -> None:
        name = res.status.value
        self.stats.by_outcome[name] = self.stats.by_outcome.get(name, 0) + 1
        key = f"{res.record.kind}:{res.record.channel}:{name}"
        self.stats.by_kind[key] = self.stats.by_kind.get(key, 0) + 1
        if self.on_outcome is not None:
            self.on_outcome(res.record.kind, res.record.channel, name)
        if hasattr(self.stats, name) and name != "retry_after":
            setattr(self.stats, name, getattr(self.stats, name) + 1)

    async def _writer(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake_writer.wait(), 0.1)
            self._wake_writer.clear()
            try:
                await self.flush()
                self._healthy()
            except Exception as exc:  # the database is unavailable: the outcomes wait in memory
                self._unhealthy("writing outcomes", exc)

    async def release(self) -> int:
        """Gives back records claimed by this engine and not sent (a graceful stop)."""
        count = await self._reopen(
            OutboxMessage.claim_token == self.token, OutboxMessage.status == Outcome.sending
        )
        self.stats.released += count
        self._owned.clear()
        return count

    # --- the loop -------------------------------------------------------------------------------
    async def _produce(self, stop: asyncio.Event, *, until_idle: bool) -> None:
        loop = asyncio.get_running_loop()
        next_recover = 0.0
        while not stop.is_set():
            try:
                if loop.time() >= next_recover:
                    await self.recover_expired()
                    next_recover = loop.time() + min(1.0, self.config.lease_seconds / 4)
                active, claimed_any, room = await self._claim_round()
                self._healthy()
            except Exception as exc:  # the database hiccuped: nothing is lost, try again shortly
                self._unhealthy("claiming", exc)
                active, claimed_any, room = [0], False, 0
            if claimed_any and room > 0:
                continue
            if until_idle and not active and not self._owned:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    stop.wait(), self.config.idle_poll_seconds if not claimed_any else 0.05
                )

    async def _claim_round(self) -> tuple[list[int], bool, int]:
        """Claims work while there is room: other kinds first (they are few and someone waits for
        them), then every sending broadcast; finishes broadcasts whose records are all written."""
        active = await self._refresh_jobs()
        claimed_any = False
        # claimed and not yet written back, wherever it is: this bounds what a crash can duplicate
        room = self.config.batch_size * 2 - len(self._owned)
        sources: list[int | None] = [None, *active]
        for bid in sources:
            if room <= 0:
                break
            batch = await self.claim(bid, min(room, self.config.batch_size))
            for rec in batch:
                self._queue.put_nowait(rec)
            room -= len(batch)
            claimed_any = claimed_any or bool(batch)
            if bid is not None and not batch and self._in_flight(bid) <= 0:
                async with self.db.transaction() as s:
                    await service.finish_if_complete(s, broadcast_id=bid)
        pending_notices = await self._has_due_notices() if not claimed_any else False
        return [*active, *([0] if pending_notices else [])], claimed_any, room

    async def _has_due_notices(self) -> bool:
        async with self.db.transaction() as s:
            found = await s.scalar(
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.broadcast_id.is_(None),
                    OutboxMessage.status.in_([Outcome.pending, Outcome.retrying, Outcome.sending]),
                )
                .limit(1)
            )
        return found is not None

    async def run(self, stop: asyncio.Event, *, until_idle: bool = False) -> EngineStats:
        """Deliver until `stop` is set (or, with `until_idle`, until nothing is left to send)."""
        helpers_stop = asyncio.Event()
        consumers = [asyncio.create_task(self._consume()) for _ in range(self.config.concurrency)]
        writer = asyncio.create_task(self._writer(helpers_stop))
        renewer = asyncio.create_task(self._renewer(helpers_stop))
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
            helpers_stop.set()
            self._wake_writer.set()
            await asyncio.gather(writer, renewer)
            with contextlib.suppress(Exception):
                await self.flush()
            with contextlib.suppress(Exception):
                await self.release()
        return self.stats
