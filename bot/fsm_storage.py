"""Persistent FSM storage in the SQL database, for deployments without Redis.

A conversation in progress (a report form, a broadcast being composed) must survive a restart,
so the in-process default is the database, not memory. While an update is being handled, state
changes join that update's transaction (see `update_session`): they commit or roll back with the
handler's own writes, and SQLite's single writer is never asked for a second, competing transaction.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StateType, StorageKey
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.runtime_models import FsmRecord

# The session of the update being handled in this task, set by the unit-of-work middleware.
update_session: ContextVar[AsyncSession | None] = ContextVar("loa_update_session", default=None)


class SqlStorage(BaseStorage):
    def __init__(self, db: Database, key_builder: KeyBuilder | None = None) -> None:
        self._db = db
        self._keys = key_builder or DefaultKeyBuilder(with_destiny=True)

    def _key(self, key: StorageKey) -> str:
        return self._keys.build(key)

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[AsyncSession]:
        current = update_session.get()
        if current is not None:
            yield current
            await current.flush()
            return
        async with self._db.transaction() as session:
            yield session

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        async with self._session() as session:
            record = await session.get(FsmRecord, self._key(key), with_for_update=True)
            if record is None:
                if value is None:
                    return
                session.add(FsmRecord(key=self._key(key), state=value, data={}))
            else:
                record.state = value
                if value is None and not record.data:
                    await session.execute(delete(FsmRecord).where(FsmRecord.key == record.key))

    async def get_state(self, key: StorageKey) -> str | None:
        async with self._session() as session:
            return await session.scalar(select(FsmRecord.state).where(FsmRecord.key == self._key(key)))

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        async with self._session() as session:
            record = await session.get(FsmRecord, self._key(key), with_for_update=True)
            if record is None:
                if data:
                    session.add(FsmRecord(key=self._key(key), state=None, data=dict(data)))
                return
            record.data = dict(data)
            if not data and record.state is None:
                await session.execute(delete(FsmRecord).where(FsmRecord.key == record.key))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        async with self._session() as session:
            data = await session.scalar(select(FsmRecord.data).where(FsmRecord.key == self._key(key)))
            return dict(data or {})

    async def close(self) -> None:
        return None
