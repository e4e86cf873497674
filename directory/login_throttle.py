"""Failed-login throttling, per login and per address: after N failures inside a window, further attempts
are refused (429 with Retry-After) until the window ends — whether or not the password is right.

Counts live in Redis when configured (shared by every API process), in process otherwise. Time comes from
an injectable clock and is passed to Redis as an argument, so tests advance a clock instead of sleeping.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from common.errors import DomainError

Clock = Callable[[], float]

# KEYS[1]: the counter; ARGV: now, window seconds. A new window starts once the previous one ended.
_FAIL_SCRIPT = """
local ends = tonumber(redis.call('HGET', KEYS[1], 'ends') or '0')
local now = tonumber(ARGV[1])
if now >= ends then
  redis.call('HSET', KEYS[1], 'count', 1, 'ends', now + tonumber(ARGV[2]))
else
  redis.call('HINCRBY', KEYS[1], 'count', 1)
end
redis.call('PEXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2]) * 1000) + 1000)
return 1
"""


class TooManyAttempts(DomainError):
    """Too many failed logins for this login or address; `retry_after` seconds until the next try."""

    status = 429
    code = "too_many_attempts"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Đăng nhập sai quá nhiều lần. Xin thử lại sau {retry_after} giây.",
            details={"retry_after": retry_after},
        )
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


class FailureStore(Protocol):
    async def state(self, key: str) -> tuple[int, float]: ...  # (failures, window end)

    async def fail(self, key: str, *, now: float, window: float) -> None: ...

    async def clear(self, key: str) -> None: ...


@dataclass
class MemoryStore:
    counters: dict[str, tuple[int, float]] = field(default_factory=dict)

    async def state(self, key: str) -> tuple[int, float]:
        return self.counters.get(key, (0, 0.0))

    async def fail(self, key: str, *, now: float, window: float) -> None:
        count, ends = self.counters.get(key, (0, 0.0))
        self.counters[key] = (1, now + window) if now >= ends else (count + 1, ends)
        if len(self.counters) > 100_000:  # bounded: forget windows that are over
            self.counters = {k: v for k, v in self.counters.items() if v[1] > now}

    async def clear(self, key: str) -> None:
        self.counters.pop(key, None)


@dataclass
class RedisStore:
    redis: Any  # redis.asyncio.Redis
    prefix: str = "loa:login"

    async def state(self, key: str) -> tuple[int, float]:
        count, ends = await self.redis.hmget(f"{self.prefix}:{key}", "count", "ends")
        return int(count or 0), float(ends or 0)

    async def fail(self, key: str, *, now: float, window: float) -> None:
        await self.redis.eval(_FAIL_SCRIPT, 1, f"{self.prefix}:{key}", repr(now), repr(window))

    async def clear(self, key: str) -> None:
        await self.redis.delete(f"{self.prefix}:{key}")


@dataclass
class LoginThrottle:
    store: FailureStore
    max_failures: int = 5
    window: float = 900.0
    clock: Clock = time.time
    address_factor: int = 4  # an office shares one address: allow it a few people's mistakes

    @classmethod
    def build(
        cls, *, redis: Any | None, max_failures: int, window: float, clock: Clock = time.time
    ) -> LoginThrottle:
        store: FailureStore = RedisStore(redis) if redis is not None else MemoryStore()
        return cls(store=store, max_failures=max_failures, window=window, clock=clock)

    def _keys(self, login: str, address: str) -> list[tuple[str, int]]:
        return [
            (f"login:{login.strip().lower()[:64]}", self.max_failures),
            (f"addr:{address[:64]}", self.max_failures * self.address_factor),
        ]

    async def check(self, *, login: str, address: str) -> None:
        """Raise TooManyAttempts while either the login or the address is over its limit."""
        now = self.clock()
        wait = 0.0
        for key, limit in self._keys(login, address):
            count, ends = await self.store.state(key)
            if count >= limit and now < ends:
                wait = max(wait, ends - now)
        if wait > 0:
            raise TooManyAttempts(max(1, math.ceil(wait)))

    async def failed(self, *, login: str, address: str) -> None:
        now = self.clock()
        for key, _ in self._keys(login, address):
            await self.store.fail(key, now=now, window=self.window)

    async def succeeded(self, *, login: str) -> None:
        await self.store.clear(self._keys(login, "")[0][0])
