"""Send pacing. Every send reserves a slot; the caller sleeps until its slot, so the rate is exact
and never bursts past Telegram's bucket.

The global slot schedule is shared by all worker processes through Redis (one Lua script, using
Redis' own clock so hosts' clocks never disagree), or kept in-process without Redis. Per-chat
spacing (1 msg/s private, 20/min group) is in-process: one worker owns a recipient at a time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

from redis.asyncio import Redis

_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local penalty = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if penalty > 0 then
  tat = math.max(tat, now + penalty)
  redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', math.floor(penalty / 1000) + 60000)
  return 0
end
local start = math.max(tat, now - tolerance)
redis.call('SET', KEYS[1], string.format('%.0f', start + interval), 'PX', 60000)
return start - now
"""


class Pacer(Protocol):
    async def reserve(self) -> float:
        """Seconds to wait before the reserved send may go (0 when it may go now)."""
        ...

    async def penalise(self, seconds: float) -> None:
        """Nobody sends for `seconds` (Telegram answered 429 retry_after)."""
        ...


class LocalPacer:
    def __init__(
        self, rate: float, *, burst: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.interval = 1.0 / rate
        self.tolerance = max(0.0, burst - 1.0) * self.interval
        self.clock = clock
        self._tat = 0.0

    async def reserve(self) -> float:
        now = self.clock()
        start = max(self._tat, now - self.tolerance)
        self._tat = start + self.interval
        return max(0.0, start - now)

    async def penalise(self, seconds: float) -> None:
        self._tat = max(self._tat, self.clock() + seconds)


class RedisPacer:
    def __init__(self, redis: Redis, key: str, rate: float, *, burst: float = 1.0) -> None:
        self.redis = redis
        self.key = key
        self.interval_us = int(1_000_000 / rate)
        self.tolerance_us = int(max(0.0, burst - 1.0) * self.interval_us)
        self._script = redis.register_script(_RESERVE)

    async def reserve(self) -> float:
        wait_us = await self._script(keys=[self.key], args=[self.interval_us, self.tolerance_us, 0])
        return max(0.0, int(wait_us) / 1_000_000)

    async def penalise(self, seconds: float) -> None:
        await self._script(keys=[self.key], args=[self.interval_us, self.tolerance_us, int(seconds * 1e6)])


class ChatSpacing:
    """Minimum spacing between two messages to the same chat, in this process."""

    def __init__(self, *, private_interval: float, group_interval: float) -> None:
        self.intervals = {"private": private_interval, "group": group_interval}
        self._next: dict[int, float] = {}

    def reserve(self, chat_id: int, kind: str) -> float:
        now = time.monotonic()
        start = max(self._next.get(chat_id, 0.0), now)
        self._next[chat_id] = start + self.intervals.get(kind, self.intervals["group"])
        if len(self._next) > 50_000:  # forget chats whose spacing has long passed
            self._next = {c: t for c, t in self._next.items() if t > now}
        return start - now


async def wait(seconds: float) -> None:
    if seconds > 0:
        await asyncio.sleep(seconds)
