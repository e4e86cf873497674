"""The in-memory Zalo world: users, groups, what the bot sent, the update queue, faults and limits.

Zalo ids are opaque strings, so the sandbox hands out hex strings (never digits only) to catch any
code that assumes Telegram's integers.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import deque
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from sandbox.limits import TokenBucket

JSON = dict[str, Any]


def _opaque(kind: str, n: int) -> str:
    return hashlib.sha1(f"zalo-{kind}-{n}".encode()).hexdigest()[:20]  # noqa: S324 (an id, not security)


@dataclass
class ZaloLimits:
    """Zalo publishes no rate limits: these are conservative guesses, configurable per test or bench."""

    enabled: bool = True
    per_bot_per_sec: float = 10.0
    per_chat_per_sec: float = 1.0
    per_chat_burst: int = 3
    per_group_per_min: float = 20.0
    per_group_burst: int = 10

    def updated(self, changes: JSON) -> ZaloLimits:
        known = {f.name for f in fields(self)}
        data = asdict(self)
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
        return ZaloLimits(**data)


@dataclass
class Fault:
    """An injected failure: ``error`` answers ``status``; ``slow`` delays the call by ``delay`` seconds."""

    id: int
    kind: str
    count: int
    status: int = 500
    delay: float = 0.0
    method: str | None = None
    chat_id: str | None = None
    description: str | None = None

    def matches(self, method: str, chat_id: str | None) -> bool:
        if self.method and self.method.lower() != method.lower():
            return False
        return not (self.chat_id and self.chat_id != chat_id)


@dataclass
class User:
    id: str
    display_name: str
    blocked: bool = False


@dataclass
class Group:
    id: str
    title: str
    members: list[str]
    bot_can_post: bool = True


@dataclass
class ZaloState:
    limits: ZaloLimits = field(default_factory=ZaloLimits)
    bot_name: str = "Loa"
    users: dict[str, User] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    messages: dict[str, list[JSON]] = field(default_factory=dict)
    updates: deque[JSON] = field(default_factory=deque)
    webhook_url: str = ""
    webhook_secret: str = ""
    webhook_deliveries: list[JSON] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    calls: list[JSON] = field(default_factory=list)
    counter: int = 0
    closing: bool = False

    def __post_init__(self) -> None:
        self._changed = asyncio.Event()
        self._buckets: dict[tuple[str, str], TokenBucket] = {}

    # ----------------------------------------------------------------- ids and wake-ups

    def next_id(self, kind: str) -> str:
        self.counter += 1
        return _opaque(kind, self.counter)

    def notify(self) -> None:
        self._changed.set()

    async def changed(self, timeout: float) -> None:
        self._changed.clear()
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except TimeoutError:
            pass

    def reset(self) -> None:
        self.users.clear()
        self.groups.clear()
        self.messages.clear()
        self.updates.clear()
        self.webhook_url = self.webhook_secret = ""
        self.webhook_deliveries.clear()
        self.faults.clear()
        self.calls.clear()
        self._buckets.clear()
        self.limits = ZaloLimits()

    # ----------------------------------------------------------------- the world

    def chat_type(self, chat_id: str) -> str | None:
        if chat_id in self.users:
            return "PRIVATE"
        if chat_id in self.groups:
            return "GROUP"
        return None

    def queue_user_message(self, user_id: str, text: str, chat_id: str | None = None) -> JSON:
        user = self.users[user_id]
        chat = chat_id or user_id
        kind = self.chat_type(chat)
        if kind is None:
            raise KeyError(chat)
        message = {
            "message_id": self.next_id("msg"),
            "from": {"id": user.id, "display_name": user.display_name, "is_bot": False},
            "chat": {"id": chat, "chat_type": kind},
            "date": int(time.time() * 1000),
            "text": text,
        }
        self.messages.setdefault(chat, []).append({**message, "from_bot": False})
        update = {"event_name": "message.text.received", "message": message}
        self.updates.append(update)
        self.notify()
        return update

    def record_bot_message(self, chat_id: str, kind: str, **content: Any) -> JSON:
        message = {
            "message_id": self.next_id("msg"),
            "chat_id": chat_id,
            "type": kind,
            "date": int(time.time() * 1000),
            "from_bot": True,
            **content,
        }
        self.messages.setdefault(chat_id, []).append(message)
        return message

    # ----------------------------------------------------------------- limits

    def _bucket(self, key: tuple[str, str], rate: float, capacity: float, now: float) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None or bucket.rate != rate:
            bucket = self._buckets[key] = TokenBucket(rate, capacity, now)
        bucket.refill(now)
        return bucket

    def acquire(self, chat_id: str) -> bool:
        """Take one token from the bot's and the chat's bucket; False (nothing taken) when over a limit."""
        cfg = self.limits
        if not cfg.enabled:
            return True
        now = time.monotonic()
        buckets = [self._bucket(("bot", ""), cfg.per_bot_per_sec, cfg.per_bot_per_sec, now)]
        if chat_id in self.groups:
            buckets.append(
                self._bucket(("group", chat_id), cfg.per_group_per_min / 60.0, cfg.per_group_burst, now)
            )
        else:
            buckets.append(self._bucket(("chat", chat_id), cfg.per_chat_per_sec, cfg.per_chat_burst, now))
        if any(b.wait_time() > 0 for b in buckets):
            return False
        for b in buckets:
            b.tokens -= 1.0
        return True

    def take_fault(self, method: str, chat_id: str | None) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method, chat_id):
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def stats(self) -> JSON:
        sent = [c for c in self.calls if c["method"] in SENDING_METHODS]
        return {
            "calls": len(self.calls),
            "sent_ok": sum(1 for c in sent if c["status"] == 200),
            "rate_limited": sum(1 for c in sent if c["status"] == 429),
            "errors": sum(1 for c in self.calls if c["status"] >= 400 and c["status"] != 408),
            "first_send_at": min((c["at"] for c in sent if c["status"] == 200), default=None),
            "last_send_at": max((c["at"] for c in sent if c["status"] == 200), default=None),
        }


SENDING_METHODS = frozenset({"sendMessage", "sendPhoto", "sendSticker"})
