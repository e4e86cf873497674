"""The organisation directory: the union tree, people, their roles, chats, invitations, audit.

The tree is stored as a materialised path of ids (`/1/7/42/`): a subtree is one indexed prefix
scan (`path LIKE '/1/7/%'`), a move rewrites the prefix of the moved rows in one UPDATE, and the
depth of the tree is never fixed.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, BigIntPK, TimestampMixin, UTCDateTime, utcnow


class UnitKind(StrEnum):
    confederation = "confederation"
    province_federation = "province_federation"
    sector_union = "sector_union"
    district_federation = "district_federation"
    grassroots_union = "grassroots_union"
    union_group = "union_group"


UNIT_KIND_LABELS: dict[UnitKind, str] = {
    UnitKind.confederation: "Tổng Liên đoàn",
    UnitKind.province_federation: "LĐLĐ tỉnh/thành phố",
    UnitKind.sector_union: "Công đoàn ngành",
    UnitKind.district_federation: "LĐLĐ huyện/thị xã",
    UnitKind.grassroots_union: "Công đoàn cơ sở",
    UnitKind.union_group: "Tổ công đoàn",
}


class Role(StrEnum):
    member = "member"
    leader = "leader"
    officer = "officer"
    approver = "approver"
    admin = "admin"


ROLE_LABELS: dict[Role, str] = {
    Role.member: "Đoàn viên",
    Role.leader: "Chủ tịch CĐCS (người báo cáo)",
    Role.officer: "Cán bộ công đoàn",
    Role.approver: "Lãnh đạo duyệt tin",
    Role.admin: "Quản trị",
}


class Department(StrEnum):
    propaganda = "tuyen_giao"
    office = "van_phong"
    organisation = "to_chuc"


DEPARTMENT_LABELS: dict[Department, str] = {
    Department.propaganda: "Ban Tuyên giáo",
    Department.office: "Văn phòng",
    Department.organisation: "Ban Tổ chức",
}


class ChatKind(StrEnum):
    private = "private"
    group = "group"


class Block(Base):
    """An emulation block (khối thi đua). The list is data, editable by admins."""

    __tablename__ = "blocks"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class OrgUnit(TimestampMixin, Base):
    __tablename__ = "org_units"
    __table_args__ = (
        Index("ix_org_units_path", "path", postgresql_ops={"path": "varchar_pattern_ops"}),
        Index("ix_org_units_parent_id", "parent_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    block: Mapped[str | None] = mapped_column(ForeignKey("blocks.code"), nullable=True)
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), nullable=True)
    path: Mapped[str] = mapped_column(String(1024), default="")
    depth: Mapped[int] = mapped_column(Integer, default=0)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), nullable=True)

    def __repr__(self) -> str:
        return f"OrgUnit({self.code!r}, {self.name!r})"


class Person(TimestampMixin, Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    full_name: Mapped[str] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True, nullable=True)
    telegram_username: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The person's Zalo identity as a synthetic messenger id (see directory/identities.py).
    zalo_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True, nullable=True)
    login: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class RoleAssignment(Base):
    """A role held in a unit, scoped to that unit's subtree."""

    __tablename__ = "role_assignments"
    __table_args__ = (UniqueConstraint("person_id", "unit_id", "role", name="uq_role_assignments_triple"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    department: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Channel(StrEnum):
    telegram = "telegram"
    zalo = "zalo"


class Chat(TimestampMixin, Base):
    """A messenger chat Loa can deliver to: a registered person's private chat or a bound group.

    `telegram_chat_id` is the pipeline's integer id of the chat on any messenger: Telegram's own id,
    or for Zalo a synthetic id from `messenger_addresses`; `address` keeps Zalo's native string id."""

    __tablename__ = "chats"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    telegram_chat_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(255), default="")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), nullable=True, index=True)
    block: Mapped[str | None] = mapped_column(ForeignKey("blocks.code"), nullable=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True, index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    bot_status: Mapped[str] = mapped_column(String(16), default="member")
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The group id before Telegram migrated it to a supergroup: the same row follows the chat.
    migrated_from_chat_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    channel: Mapped[str] = mapped_column(
        String(16), default=Channel.telegram.value, server_default="telegram"
    )
    address: Mapped[str | None] = mapped_column(String(128), nullable=True)


class ChatLinkCode(Base):
    """A one-time code an officer sends in a group to bind it to a unit and block."""

    __tablename__ = "chat_link_codes"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    block: Mapped[str | None] = mapped_column(ForeignKey("blocks.code"), nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    used_by_chat_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class Invitation(Base):
    """A deep-link /start token. Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # A short code typed on Zalo (which has no deep-link payload); only its SHA-256 is stored.
    short_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    department: Mapped[str | None] = mapped_column(String(32), nullable=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    max_uses: Mapped[int] = mapped_column(Integer, default=1)
    use_count: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class InvitationUse(Base):
    __tablename__ = "invitation_uses"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    used_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MessengerAddress(Base):
    """A native id of a messenger that has string ids (Zalo) and the integer id Loa uses for it.

    Users get `ZALO_ID_BASE + id`, groups `-(ZALO_ID_BASE + id)`: a range Telegram never uses,
    so every integer id in the pipeline says by itself which messenger it belongs to."""

    __tablename__ = "messenger_addresses"
    __table_args__ = (UniqueConstraint("channel", "kind", "native_id", name="uq_messenger_addresses_native"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))  # "user" or "group"
    native_id: Mapped[str] = mapped_column(String(128))
    messenger_id: Mapped[int | None] = mapped_column(BigInteger, unique=True, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class NumberedChoices(Base):
    """The buttons of the last message with buttons sent to a chat that cannot show buttons (Zalo):
    a reply that is just their number becomes that button's press."""

    __tablename__ = "numbered_choices"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    message_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text, default="")
    choices: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class IdentityLinkCode(Base):
    """A one-time code shown on one messenger and typed on the other to link both to one person."""

    __tablename__ = "identity_link_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ApiKey(Base):
    """An integration's key: scoped to a unit's subtree and a role, stored hashed, revocable."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    role: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class AuditEntry(Base):
    """Who changed what, when, from what to what."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64), index=True)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    # The path of the unit the change happened in, so an admin reads only the log of their subtree.
    unit_path: Mapped[str | None] = mapped_column(String(1024), nullable=True, index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
