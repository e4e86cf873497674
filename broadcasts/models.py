"""Broadcasts, their acknowledgments and schedules. Their per-recipient records are outbox messages
(`outbox.models.OutboxMessage` with `kind = broadcast`)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

import archive.models  # noqa: F401  (a broadcast may refer to a Document)
import directory.models  # noqa: F401  (deliveries refer to chats and units)
from storage.base import Base, BigIntPK, TimestampMixin, UTCDateTime, utcnow


class Status(StrEnum):
    draft = "draft"
    submitted = "submitted"
    approved = "approved"
    scheduled = "scheduled"
    sending = "sending"
    done = "done"
    cancelled = "cancelled"
    failed = "failed"


class Broadcast(TimestampMixin, Base):
    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(16), default=Status.draft, index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    author_actor: Mapped[str] = mapped_column(String(128), default="")
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    audience: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), nullable=True)
    require_ack: Mapped[bool] = mapped_column(Boolean, default=False)
    ack_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    ack_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    requires_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    total: Mapped[int] = mapped_column(Integer, default=0)
    skipped_inactive: Mapped[int] = mapped_column(Integer, default=0)
    paid: Mapped[bool] = mapped_column(Boolean, default=False)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True, nullable=True)
    schedule_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    progress_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class Acknowledgment(Base):
    """A press of "✅ Đã nhận": who, for which unit, in which chat. One per person per chat."""

    __tablename__ = "broadcast_acks"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "chat_id", "telegram_user_id", name="uq_broadcast_acks_press"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"), index=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), nullable=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ScheduleState(StrEnum):
    active = "active"
    paused = "paused"
    finished = "finished"


class BroadcastSchedule(TimestampMixin, Base):
    """When a template broadcast goes out: once or on a recurrence (see broadcasts.recurrence)."""

    __tablename__ = "broadcast_schedules"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"), index=True)
    rule: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default=ScheduleState.active)
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    missed_count: Mapped[int] = mapped_column(Integer, default=0)
    last_missed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
