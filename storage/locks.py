"""Leadership among replicas: only the holder of a lock acts (the scheduler's jobs).

A lock is a lease: `acquire` takes it or renews it for `ttl_seconds`; a holder that dies loses it when the
lease lapses. With Redis configured it lives in Redis (SET NX PX on Redis' clock); without Redis it lives in
the database (`job_locks`), so several scheduler processes on SQLite or PostgreSQL still elect one.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import ClassVar, Protocol

from redis.asyncio import Redis
from sqlalchemy import or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.base import utcnow
from storage.db import Database
from storage.runtime_models import JobLock

SCHEDULER_LOCK = "loa:scheduler"

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0
"""
_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"


class LeaderLock(Protocol):
    async def acquire(self) -> bool:
        """Take or renew leadership; False while another holder has it."""
        ...

    async def release(self) -> None: ...


class RedisLeaderLock:
    def __init__(self, redis: Redis, *, ttl_seconds: float, key: str = SCHEDULER_LOCK) -> None:
        self.redis, self.key, self.ttl_ms = redis, key, int(ttl_seconds * 1000)
        self.token = uuid.uuid4().hex

    async def acquire(self) -> bool:
        return bool(await self.redis.eval(_RENEW, 1, self.key, self.token, self.ttl_ms))  # type: ignore[misc]

    async def release(self) -> None:
        await self.redis.eval(_RELEASE, 1, self.key, self.token)  # type: ignore[misc]


class DatabaseLeaderLock:
    """The same lease in the `job_locks` table: one conditional UPDATE, or an INSERT for a new name."""

    def __init__(self, db: Database, *, ttl_seconds: float, key: str = SCHEDULER_LOCK) -> None:
        self.db, self.key, self.ttl = db, key, timedelta(seconds=ttl_seconds)
        self.token = uuid.uuid4().hex

    async def acquire(self) -> bool:
        now = utcnow()
        async with self.db.transaction() as s:
            result = await s.execute(
                update(JobLock)
                .where(JobLock.name == self.key, or_(JobLock.holder == self.token, JobLock.expires_at < now))
                .values(holder=self.token, expires_at=now + self.ttl)
                .execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", 0):
                return True
            insert = pg_insert if s.bind.dialect.name == "postgresql" else sqlite_insert
            created = await s.execute(
                insert(JobLock)
                .values(name=self.key, holder=self.token, expires_at=now + self.ttl)
                .on_conflict_do_nothing(index_elements=["name"])
            )
            return bool(getattr(created, "rowcount", 0))

    async def release(self) -> None:
        async with self.db.transaction() as s:
            await s.execute(
                update(JobLock)
                .where(JobLock.name == self.key, JobLock.holder == self.token)
                .values(expires_at=utcnow())
                .execution_options(synchronize_session=False)
            )


class LocalLeaderLock:
    """One leader among the holders of this process (tests, and a single process without a database lock)."""

    _holders: ClassVar[dict[str, str]] = {}

    def __init__(self, key: str = SCHEDULER_LOCK) -> None:
        self.key, self.token = key, uuid.uuid4().hex

    async def acquire(self) -> bool:
        holder = self._holders.setdefault(self.key, self.token)
        return holder == self.token

    async def release(self) -> None:
        if self._holders.get(self.key) == self.token:
            del self._holders[self.key]
