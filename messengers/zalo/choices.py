"""The numbered choices last shown in each Zalo chat, so that a reply «1» can become a button press.

In Redis when configured (shared by every bot process), otherwise in the database so that a
restart does not forget them. Messages leave outside any transaction (replies after the update's
commit, the outbox engine between its own), so the choices are written at once, before the person
can read the message and type «1». Should a send ever happen inside an update, the write joins the
update's transaction (a second writer would wait on SQLite's lock held by that same update).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from bot.fsm_storage import update_session
from directory.models import NumberedChoices
from storage.db import Database

TTL_SECONDS = 60 * 24 * 3600


@dataclass(frozen=True)
class Shown:
    message_id: int
    text: str
    choices: list[dict[str, Any]]


class ChoiceStore:
    def __init__(self, db: Database, redis: Redis | None) -> None:
        self._db = db
        self._redis = redis

    @staticmethod
    def _key(chat_id: int) -> str:
        return f"loa:zalo:choices:{chat_id}"

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[AsyncSession]:
        current = update_session.get()
        if current is not None:
            yield current
            await current.flush()
            return
        async with self._db.transaction() as session:
            yield session

    async def save(self, chat_id: int, shown: Shown | None) -> None:
        """Remember what a message showed; `None` (a message without buttons) forgets the older ones,
        so a number always refers to the latest message."""
        if self._redis is not None:
            if shown is None:
                await self._redis.delete(self._key(chat_id))
            else:
                value = json.dumps({"m": shown.message_id, "t": shown.text, "c": shown.choices})
                await self._redis.set(self._key(chat_id), value, ex=TTL_SECONDS)
            return
        await self._write(chat_id, shown)

    async def drain(self) -> None:
        """Nothing is left pending: writes happen before `save` returns (kept for callers' shutdown)."""

    async def _write(self, chat_id: int, shown: Shown | None) -> None:
        async with self._session() as session:
            row = await session.get(NumberedChoices, chat_id)
            if shown is None:
                if row is not None:
                    await session.delete(row)
                return
            if row is None:
                session.add(
                    NumberedChoices(
                        chat_id=chat_id, message_id=shown.message_id, text=shown.text, choices=shown.choices
                    )
                )
            else:
                row.message_id, row.text, row.choices = shown.message_id, shown.text, shown.choices

    async def load(self, chat_id: int) -> Shown | None:
        if self._redis is not None:
            raw = await self._redis.get(self._key(chat_id))
            if raw is None:
                return None
            data = json.loads(raw)
            return Shown(int(data["m"]), str(data["t"]), list(data["c"]))
        async with self._session() as session:
            row = await session.get(NumberedChoices, chat_id)
            return None if row is None else Shown(row.message_id, row.text, list(row.choices))
