"""Outer middlewares: one DB session and one transaction per update; re-delivered updates skipped."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.types import TelegramObject, Update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.fsm_storage import update_session
from bot.metrics import Metrics
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
        async with self._db.sessions() as session, session.begin():
            if not await claim_update(session, bot_id=bot.id, update_id=event.update_id):
                self._metrics.duplicate_updates.inc()
                log.info("skipping re-delivered update %s", event.update_id)
                return None
            data["session"] = session
            token = update_session.set(session)
            try:
                return await handler(event, data)
            finally:
                update_session.reset(token)
                self._metrics.updates.labels(kind=event.event_type).inc()
                self._metrics.update_seconds.observe(time.perf_counter() - started)
