"""What the engine passes around: a claimed outbox record, the outcome of one delivery, and the
running counts an engine reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from outbox.models import Outcome


@dataclass
class Claimed:
    id: int
    kind: str
    broadcast_id: int | None
    chat_id: int | None
    channel: str
    address: int
    chat_kind: str
    user_id: int | None
    attempts: int
    deferred_until: datetime | None
    message_ids: list[int] | None
    payload: list[dict[str, Any]] | None = None
    ref: dict[str, Any] | None = None


@dataclass
class Result:
    record: Claimed
    status: Outcome
    attempts: int
    next_attempt_at: datetime | None = None
    deferred_until: datetime | None = None
    message_ids: list[int] | None = None
    error: str | None = None
    sent_at: datetime | None = None
    address: int | None = None  # set when the chat migrated to a supergroup


@dataclass
class EngineStats:
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    retrying: int = 0
    retry_after: int = 0
    migrated: int = 0
    deferred: int = 0
    cancelled: int = 0
    released: int = 0
    recovered: int = 0
    renewed: int = 0
    lease_lost: int = 0
    by_outcome: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)
