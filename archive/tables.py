"""The archive's own tables, beside `archive.models.Document` (which broadcasts refer to as well): each
document's parsed number, visibility and search index, its tags and attachments; news subscriptions;
petitions and the notices that answer them.

Attachments keep their bytes in the database (`document_files.data`): they are small (see
`archive.documents.MAX_FILE_BYTES`), travel with backups and commit or roll back with the document.
Once Telegram has seen a file, its `file_id` is kept so it is never uploaded twice.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, BigIntPK, UTCDateTime, utcnow

# PostgreSQL keeps a weighted tsvector (GIN-indexed, built in the migration); SQLite leaves it NULL
# and searches the FTS5 table `document_fts` instead (see archive/search.py).
SearchVector = TSVECTOR().with_variant(Text(), "sqlite")


class DocumentIndex(Base):
    """One row per document: the registry parts of its number, who may see it, and folded text."""

    __tablename__ = "document_index"
    __table_args__ = (
        Index(
            "ix_document_index_visibility_path",
            "visibility_path",
            postgresql_ops={"visibility_path": "varchar_pattern_ops"},
        ),
        Index("ix_document_index_number_value", "number_value"),
    )

    document_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
    kind_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    number_value: Mapped[int | None] = mapped_column(Integer, nullable=True)
    number_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    issuer_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    issuer_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), nullable=True)
    # The root of the subtree that may see the document; NULL means everyone.
    visibility_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), nullable=True)
    visibility_path: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    head: Mapped[str] = mapped_column(Text, default="")  # folded kind, number, issuer, subject, tags
    body: Mapped[str] = mapped_column(Text, default="")  # folded full text
    vector: Mapped[str | None] = mapped_column(SearchVector, nullable=True)  # head (A) and body (D)
    head_vector: Mapped[str | None] = mapped_column(SearchVector, nullable=True)  # small: cheap to rank
    issued_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # the tie-break, kept beside the rank


class DocumentTag(Base):
    __tablename__ = "document_tags"
    __table_args__ = (UniqueConstraint("document_id", "tag", name="uq_document_tags_pair"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    tag: Mapped[str] = mapped_column(String(64), index=True)


class DocumentFile(Base):
    __tablename__ = "document_files"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    mime_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    telegram_file_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class NewsSubscription(Base):
    """A member's choice for an optional news category; no row means the default (on)."""

    __tablename__ = "news_subscriptions"
    __table_args__ = (UniqueConstraint("person_id", "category", name="uq_news_subscriptions_pair"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(32))
    enabled: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Petition(Base):
    """A kiến nghị / phản ánh sent up by a member; `handling_unit_id` is the level now answering it."""

    __tablename__ = "petitions"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    reference: Mapped[str | None] = mapped_column(String(32), unique=True, nullable=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    sender_chat_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    unit_path: Mapped[str] = mapped_column(String(1024), index=True)
    handling_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), nullable=True)
    handling_path: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    category: Mapped[str] = mapped_column(String(32), index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    attachment_kind: Mapped[str | None] = mapped_column(String(16), nullable=True)  # photo | document
    attachment_file_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    attachment_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    anonymous: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    answered_by_actor: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    forwarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class PetitionNotice(Base):
    """A message the bot sent an officer or leader about a petition: replying to it answers it."""

    __tablename__ = "petition_notices"
    __table_args__ = (UniqueConstraint("chat_id", "message_id", name="uq_petition_notices_message"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
