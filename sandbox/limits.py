"""Token-bucket rate limiter imitating Telegram's flood limits.

Telegram documents (roughly): about 30 messages per second per bot overall (1000/s when the
call pays for it with ``allow_paid_broadcast``), about one message per second per private
chat (short bursts tolerated) and 20 messages per minute per group.  Exceeding a limit
answers HTTP 429 with ``parameters.retry_after``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

ChatKind = Literal["private", "group"]


@dataclass
class LimitsConfig:
    """Flood limits.  ``enabled=False`` turns every limit off."""

    enabled: bool = True
    per_bot_per_sec: float = 30.0
    paid_per_sec: float = 1000.0
    per_chat_per_sec: float = 1.0
    per_chat_burst: int = 3
    per_group_per_min: float = 20.0
    per_group_burst: int = 20

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def updated(self, changes: dict[str, Any]) -> LimitsConfig:
        """A copy with ``changes`` applied; unknown keys or wrong types raise ``ValueError``."""
        known = {f.name: f for f in fields(self)}
        data = self.to_dict()
        for key, value in changes.items():
            if key not in known:
                raise ValueError(f"unknown limits field {key!r}")
            if key == "enabled":
                if not isinstance(value, bool):
                    raise ValueError("enabled must be a boolean")
            elif isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ValueError(f"{key} must be a positive number")
            data[key] = value
        data["per_chat_burst"] = int(data["per_chat_burst"])
        data["per_group_burst"] = int(data["per_group_burst"])
        return LimitsConfig(**data)


class TokenBucket:
    """A bucket of ``capacity`` tokens refilled at ``rate`` tokens per second."""

    __slots__ = ("capacity", "last", "rate", "tokens")

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.last = now

    def refill(self, now: float) -> None:
        if now > self.last:
            self.tokens = min(self.capacity, self.tokens + (now - self.last) * self.rate)
        self.last = max(self.last, now)

    def wait_time(self) -> float:
        """Seconds until one token is available (0 when one is available now)."""
        if self.tokens >= 1.0:
            return 0.0
        return (1.0 - self.tokens) / self.rate


class RateLimiter:
    """Checks and consumes tokens for message-producing calls."""

    def __init__(
        self, config: LimitsConfig | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.config = config or LimitsConfig()
        self.clock = clock
        self._buckets: dict[tuple[str, int, int], TokenBucket] = {}

    def configure(self, config: LimitsConfig) -> None:
        self.config = config
        self.reset()

    def reset(self) -> None:
        self._buckets.clear()

    def _bucket(self, key: tuple[str, int, int], rate: float, capacity: float, now: float) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = TokenBucket(rate, capacity, now)
            self._buckets[key] = bucket
        bucket.refill(now)
        return bucket

    def _buckets_for(self, bot_id: int, chat_id: int, kind: ChatKind, paid: bool) -> Iterable[TokenBucket]:
        cfg = self.config
        now = self.clock()
        if paid:
            yield self._bucket(("paid", bot_id, 0), cfg.paid_per_sec, cfg.paid_per_sec, now)
        else:
            yield self._bucket(("bot", bot_id, 0), cfg.per_bot_per_sec, cfg.per_bot_per_sec, now)
        if kind == "private":
            yield self._bucket(("chat", bot_id, chat_id), cfg.per_chat_per_sec, cfg.per_chat_burst, now)
        else:
            yield self._bucket(
                ("group", bot_id, chat_id), cfg.per_group_per_min / 60.0, cfg.per_group_burst, now
            )

    def acquire(self, bot_id: int, chat_id: int, kind: ChatKind, paid: bool = False) -> int | None:
        """Take one token from every applicable bucket.

        Returns ``None`` when the call may proceed (tokens consumed), otherwise the
        ``retry_after`` in whole seconds (at least 1); a refused call consumes nothing.
        """
        if not self.config.enabled:
            return None
        buckets = list(self._buckets_for(bot_id, chat_id, kind, paid))
        wait = max(b.wait_time() for b in buckets)
        if wait > 0:
            return max(1, math.ceil(wait - 1e-9))
        for bucket in buckets:
            bucket.tokens -= 1.0
        return None

    def acquire_bot(self, bot_id: int) -> int | None:
        """Edits, deletions, callback answers and chat actions: they draw on the bot's overall budget.

        Telegram answers 429 to them too while the bot floods, so they share the per-bot bucket of
        unpaid messages; same return value as :meth:`acquire`.
        """
        if not self.config.enabled:
            return None
        cfg = self.config
        bucket = self._bucket(("bot", bot_id, 0), cfg.per_bot_per_sec, cfg.per_bot_per_sec, self.clock())
        wait = bucket.wait_time()
        if wait > 0:
            return max(1, math.ceil(wait - 1e-9))
        bucket.tokens -= 1.0
        return None
