"""Only one process polls Telegram: a lock in Redis, held while polling and renewed.

Telegram serves ``getUpdates`` to one caller at a time; a second poller gets 409 Conflict every
second and both lose updates in between. With Redis configured, each bot process first takes
``loa:polling:<bot id>``; the others wait (and say so once) and take over within ``ttl`` seconds if
the holder dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable, Coroutine
from typing import Any

from redis.asyncio import Redis

log = logging.getLogger(__name__)

# Renew only while we still hold the lock (compare-and-expire on Redis's clock).
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


class PollingLock:
    def __init__(self, redis: Redis, key: str, *, ttl: float = 15.0) -> None:
        self.redis = redis
        self.key = key
        self.ttl = ttl
        self.token = secrets.token_hex(16)

    async def try_acquire(self) -> bool:
        return bool(await self.redis.set(self.key, self.token, nx=True, px=int(self.ttl * 1000)))

    async def renew(self) -> bool:
        result = await self.redis.eval(_RENEW, 1, self.key, self.token, int(self.ttl * 1000))  # type: ignore[misc]
        return bool(result)

    async def release(self) -> None:
        await self.redis.eval(_RELEASE, 1, self.key, self.token)  # type: ignore[misc]


async def poll_with_lock(
    lock: PollingLock,
    stop: asyncio.Event,
    start_polling: Callable[[], Coroutine[Any, Any, None]],
    stop_polling: Callable[[], Coroutine[Any, Any, None]],
) -> None:
    """Wait for the lock, poll while holding it, stop polling if it is lost; until ``stop`` is set."""
    said_waiting = False
    while not stop.is_set():
        if not await lock.try_acquire():
            if not said_waiting:
                log.info("another process is polling Telegram; this one waits to take over")
                said_waiting = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=lock.ttl / 3)
            continue
        said_waiting = False
        log.info("this process polls Telegram (lock %s)", lock.key)
        polling = asyncio.create_task(start_polling(), name="polling")
        try:
            while not stop.is_set() and not polling.done():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=lock.ttl / 3)
                if not await lock.renew():
                    log.warning("polling lock lost; stopping polling")
                    break
        finally:
            await stop_polling()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(polling, timeout=10)
            with contextlib.suppress(Exception):
                await lock.release()
        if polling.done() and not polling.cancelled() and polling.exception() is not None:
            raise polling.exception()  # type: ignore[misc]
