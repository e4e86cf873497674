"""The outbox: every message Loa sends on its own initiative is one row here, written in the same
transaction as the change that causes it and sent after commit by the delivery engine (`outbox.engine`).

A broadcast's recipients are rows of kind `broadcast` (their parts come from the broadcast's content);
every other kind (report requests, reminders, petition notices, approval requests…) carries its own
rendered parts in `payload`. All share the statuses, rate limits, retries and crash safety of the engine.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

import directory.models  # noqa: F401  (records refer to chats, units and people)
from storage.base import Base, BigIntPK, UTCDateTime, utcnow


class Outcome(StrEnum):
    """A record's status. `retrying` will be tried again; `failed`/`blocked` are final."""

    pending = "pending"
    sending = "sending"
    retrying = "retrying"
    sent = "sent"
    failed = "failed"
    blocked = "blocked"
    cancelled = "cancelled"
    recalled = "recalled"


OPEN_OUTCOMES = (Outcome.pending, Outcome.retrying, Outcome.sending)


class Kind(StrEnum):
    broadcast = "broadcast"
    approval_request = "approval_request"
    broadcast_progress = "broadcast_progress"
    broadcast_summary = "broadcast_summary"
    broadcast_correction = "broadcast_correction"
    broadcast_recall = "broadcast_recall"
    ack_reminder = "ack_reminder"
    ack_escalation = "ack_escalation"
    report_request = "report_request"
    report_reminder = "report_reminder"
    report_escalation = "report_escalation"
    report_review = "report_review"
    petition_notice = "petition_notice"
    petition_answer = "petition_answer"
    schedule_notice = "schedule_notice"
    notice = "notice"


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "chat_id", name="uq_outbox_broadcast_chat"),
        Index("ix_outbox_queue", "broadcast_id", "status", "id"),
        Index("ix_outbox_kind_status", "kind", "status"),
        Index("ix_outbox_status_claimed", "status", "claimed_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32), default=Kind.broadcast)
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE"), nullable=True
    )
    chat_id: Mapped[int | None] = mapped_column(ForeignKey("chats.id"), nullable=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    channel: Mapped[str] = mapped_column(String(16), default="telegram")
    address: Mapped[int] = mapped_column(BigInteger)  # the messenger's chat id (a private chat = the user)
    chat_kind: Mapped[str] = mapped_column(String(16), default="private")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), nullable=True, index=True)
    user_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # the person's messenger id
    payload: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    ref: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # what to record once sent
    status: Mapped[str] = mapped_column(String(16), default=Outcome.pending)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claim_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    deferred_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    message_ids: Mapped[list[int] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(String(255), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
