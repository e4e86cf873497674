"""Outer middlewares, in this order for every update:

1. `ChatIsolationMiddleware`: one update at a time per chat (Redis lock when configured), held until the
   update's transaction has committed, so a quick second message never races the first one's commit.
2. `UnitOfWorkMiddleware`: one session and ONE transaction: the duplicate-update claim, the FSM read and
   write (SQL storage joins it), the handler's writes. Replies are held and sent after the commit
   (`bot.replies`); a failure rolls everything back and the error handler answers (`handlers/errors.py`).
3. aiogram's `FSMContextMiddleware`, with isolation off (1. already holds the lock), inside the transaction.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.fsm.storage.base import BaseEventIsolation
from aiogram.types import TelegramObject, Update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.fsm_storage import update_session
from bot.metrics import Metrics
from bot.replies import held_replies, send_held
from storage.db import Database
from storage.runtime_models import ProcessedUpdate

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


async def claim_update(session: AsyncSession, *, bot_id: int, update_id: int) -> bool:
    """Record the update as processed; False if it already was (a re-delivery)."""
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(ProcessedUpdate)
        .values(bot_id=bot_id, update_id=update_id)
        .on_conflict_do_nothing(index_elements=["bot_id", "update_id"])
    )
    result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0))


class ChatIsolationMiddleware(BaseMiddleware):
    def __init__(self, fsm: FSMContextMiddleware, isolation: BaseEventIsolation) -> None:
        self._fsm = fsm
        self._isolation = isolation

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        context = self._fsm.resolve_event_context(data["bot"], data)
        if context is None:
            return await handler(event, data)
        async with self._isolation.lock(key=context.key):
            return await handler(event, data)


class UnitOfWorkMiddleware(BaseMiddleware):
    """Gives each update one session in one transaction; the dedup claim shares that transaction,
    so an update whose handling failed is not marked processed and can be delivered again."""

    def __init__(self, db: Database, metrics: Metrics) -> None:
        self._db = db
        self._metrics = metrics

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        bot: Bot = data["bot"]
        started = time.perf_counter()
        held: list[Any] = []
        try:
            async with self._db.sessions() as session, session.begin():
                if not await claim_update(session, bot_id=bot.id, update_id=event.update_id):
                    self._metrics.duplicate_updates.inc()
                    log.info("skipping re-delivered update %s", event.update_id)
                    return None
                data["session"] = session
                session_token = update_session.set(session)
                held_token = held_replies.set(held)
                try:
                    result = await handler(event, data)
                finally:
                    held_replies.reset(held_token)
                    update_session.reset(session_token)
            await send_held(held)  # committed: now the replies may leave
            return result
        except Exception:
            self._metrics.update_errors.inc()
            raise
        finally:
            self._metrics.updates.labels(kind=event.event_type).inc()
            self._metrics.update_seconds.observe(time.perf_counter() - started)
