"""Report templates (biểu mẫu), rounds (kỳ báo cáo), submissions with revisions, current values.

Values of the latest revision of every submission are copied, one row per field, into
`report_values`, so a roll-up is one indexed GROUP BY in SQL; the revisions keep the full history.
Templates are versioned: a round points at one template row (one version), which never changes.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, BigIntPK, UTCDateTime, utcnow

FK_ID = BigInteger().with_variant(Integer(), "sqlite")


class PeriodKind(StrEnum):
    month = "month"
    quarter = "quarter"
    half_year = "half_year"
    year = "year"
    ad_hoc = "ad_hoc"


class RoundStatus(StrEnum):
    open = "open"
    closed = "closed"


class SubmissionStatus(StrEnum):
    submitted = "submitted"
    accepted = "accepted"
    returned = "returned"


SUBMISSION_STATUS_LABELS = {
    SubmissionStatus.submitted: "Đã nộp, chờ duyệt",
    SubmissionStatus.accepted: "Đã được chấp nhận",
    SubmissionStatus.returned: "Bị trả lại",
}


class ReportTemplate(Base):
    __tablename__ = "report_templates"
    __table_args__ = (UniqueConstraint("code", "version", name="uq_report_templates_code_version"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    name: Mapped[str] = mapped_column(String(255))
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    # The unit whose officers may publish new versions; None: a shared template only a root's admin changes.
    owner_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), nullable=True, index=True)


class ReportSchedule(Base):
    """Opens a round of the current version of a template every period, e.g. on the 15th, due the 20th."""

    __tablename__ = "report_schedules"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    template_code: Mapped[str] = mapped_column(String(32))
    period_kind: Mapped[str] = mapped_column(String(16))
    open_day: Mapped[int] = mapped_column(Integer, default=15)
    due_day: Mapped[int] = mapped_column(Integer, default=20)
    root_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    target_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    target_blocks: Mapped[list[str]] = mapped_column(JSON, default=list)
    reminder_offsets: Mapped[list[int]] = mapped_column(JSON, default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReportRound(Base):
    __tablename__ = "report_rounds"
    __table_args__ = (
        UniqueConstraint("schedule_id", "period_start", name="uq_report_rounds_schedule_period"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("report_templates.id"), index=True)
    title: Mapped[str] = mapped_column(String(255))
    period_kind: Mapped[str] = mapped_column(String(16))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    root_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    target_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    target_blocks: Mapped[list[str]] = mapped_column(JSON, default=list)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default=RoundStatus.open.value)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    schedule_id: Mapped[int | None] = mapped_column(ForeignKey("report_schedules.id"), nullable=True)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    reminder_offsets: Mapped[list[int]] = mapped_column(JSON, default=list)
    reminders_sent: Mapped[list[int]] = mapped_column(JSON, default=list)
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ReportTarget(Base):
    """A unit expected to report in a round (a snapshot taken when the round opens)."""

    __tablename__ = "report_targets"

    round_id: Mapped[int] = mapped_column(
        FK_ID, ForeignKey("report_rounds.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(FK_ID, ForeignKey("org_units.id"), primary_key=True)


class ReportSubmission(Base):
    __tablename__ = "report_submissions"
    __table_args__ = (UniqueConstraint("round_id", "unit_id", name="uq_report_submissions_round_unit"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("report_rounds.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=SubmissionStatus.submitted.value)
    first_submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    is_late: Mapped[bool] = mapped_column(Boolean, default=False)
    revision_count: Mapped[int] = mapped_column(Integer, default=0)
    review_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ReportRevision(Base):
    __tablename__ = "report_revisions"
    __table_args__ = (UniqueConstraint("submission_id", "number", name="uq_report_revisions_number"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("report_submissions.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    estimates: Mapped[list[str]] = mapped_column(JSON, default=list)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    channel: Mapped[str] = mapped_column(String(16), default="api")
    is_late: Mapped[bool] = mapped_column(Boolean, default=False)


class ReportValue(Base):
    """The value of one field in the latest revision of a unit's submission (for SQL roll-ups).

    Clustered by (round, field, unit) — a WITHOUT ROWID table on SQLite — so a roll-up reads each field's
    values in order and aggregates them without sorting millions of rows.
    """

    __tablename__ = "report_values"
    __table_args__ = (
        PrimaryKeyConstraint("round_id", "field_key", "unit_id", name="pk_report_values"),
        Index("ix_report_values_round_unit", "round_id", "unit_id"),
        {"sqlite_with_rowid": False},
    )

    round_id: Mapped[int] = mapped_column(FK_ID, ForeignKey("report_rounds.id", ondelete="CASCADE"))
    field_key: Mapped[str] = mapped_column(String(32))
    unit_id: Mapped[int] = mapped_column(FK_ID, ForeignKey("org_units.id"))
    num_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    text_value: Mapped[str | None] = mapped_column(String(500), nullable=True)


class ReportMessage(Base):
    """A request or reminder sent to a leader; a reply to it is read as that unit's report."""

    __tablename__ = "report_messages"
    __table_args__ = (Index("ix_report_messages_chat_message", "telegram_chat_id", "message_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("report_rounds.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    telegram_chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    kind: Mapped[str] = mapped_column(String(24))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
