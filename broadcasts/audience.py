"""Who receives a broadcast: a union of subtrees filtered by block, unit kind and chat target,
minus exclusions — resolved in SQL over materialised-path prefixes (`/1/7/42/`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    and_,
    cast,
    func,
    insert,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from common.errors import DomainError
from directory.models import Chat, ChatKind, OrgUnit, Person, Role, RoleAssignment
from directory.tree import dialect_of, in_subtrees, is_within
from outbox.models import Kind, OutboxMessage, Outcome
from storage.base import utcnow


class Target(StrEnum):
    group = "group"  # group chats bound to a unit (block groups, unit groups)
    leader = "leader"  # private chats of CĐCS chairs
    member = "member"  # private chats of members


class AudienceError(DomainError, ValueError):
    status = 422
    code = "bad_audience"


@dataclass
class AudienceSpec:
    roots: list[int]
    targets: list[Target] = field(default_factory=lambda: [Target.group])
    blocks: list[str] | None = None
    unit_kinds: list[str] | None = None
    exclude_units: list[int] = field(default_factory=list)
    exclude_chats: list[int] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AudienceSpec:
        try:
            return cls(
                roots=[int(r) for r in data.get("roots", [])],
                targets=[Target(t) for t in data.get("targets", [Target.group])],
                blocks=list(data["blocks"]) if data.get("blocks") else None,
                unit_kinds=list(data["unit_kinds"]) if data.get("unit_kinds") else None,
                exclude_units=[int(u) for u in data.get("exclude_units", [])],
                exclude_chats=[int(c) for c in data.get("exclude_chats", [])],
            )
        except (TypeError, ValueError) as exc:
            raise AudienceError("Đối tượng nhận tin không hợp lệ.") from exc

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["targets"] = [t.value for t in self.targets]
        return data


@dataclass(frozen=True)
class UnitCount:
    unit_id: int
    name: str
    count: int


@dataclass(frozen=True)
class Preview:
    total: int
    skipped_inactive: int
    by_unit: list[UnitCount]
    root_kinds: list[str]


async def _paths(session: AsyncSession, unit_ids: list[int]) -> dict[int, OrgUnit]:
    if not unit_ids:
        return {}
    rows = await session.scalars(select(OrgUnit).where(OrgUnit.id.in_(unit_ids)))
    return {u.id: u for u in rows}


def _filters(
    spec: AudienceSpec, roots: list[str], excluded: list[str], dialect: str
) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = [
        in_subtrees(OrgUnit.path, roots, dialect=dialect),
        OrgUnit.is_active.is_(True),
    ]
    if excluded:
        conds.append(~in_subtrees(OrgUnit.path, excluded, dialect=dialect))
    if spec.unit_kinds:
        conds.append(OrgUnit.kind.in_(spec.unit_kinds))
    if spec.exclude_chats:
        conds.append(Chat.id.not_in(spec.exclude_chats))
    return conds


def _active(active: bool) -> ColumnElement[bool]:
    ok = and_(Chat.is_active.is_(True), Chat.blocked_at.is_(None))
    return ok if active else ~ok


def _recipients(
    spec: AudienceSpec, roots: list[str], excluded: list[str], *, active: bool, dialect: str
) -> Select[Any]:
    """One row per chat: chat id, Telegram chat id, kind, unit id, unit path, Telegram user id."""
    parts: list[Select[Any]] = []
    base = _filters(spec, roots, excluded, dialect)
    if Target.group in spec.targets:
        conds = [*base, Chat.kind == ChatKind.group, _active(active)]
        if spec.blocks:
            conds.append(func.coalesce(Chat.block, OrgUnit.block).in_(spec.blocks))
        parts.append(
            select(
                Chat.id.label("chat_id"),
                Chat.telegram_chat_id.label("tg_chat"),
                Chat.kind.label("kind"),
                OrgUnit.id.label("unit_id"),
                OrgUnit.path.label("path"),
                cast(null(), BigInteger).label("tg_user"),
            )
            .join(OrgUnit, OrgUnit.id == Chat.unit_id)
            .where(*conds)
        )
    roles = [r for t, r in ((Target.leader, Role.leader), (Target.member, Role.member)) if t in spec.targets]
    if roles:
        conds = [*base, Chat.kind == ChatKind.private, RoleAssignment.role.in_(roles), _active(active)]
        if spec.blocks:
            conds.append(OrgUnit.block.in_(spec.blocks))
        parts.append(
            select(
                Chat.id.label("chat_id"),
                Chat.telegram_chat_id.label("tg_chat"),
                Chat.kind.label("kind"),
                OrgUnit.id.label("unit_id"),
                OrgUnit.path.label("path"),
                Person.telegram_user_id.label("tg_user"),
            )
            .join(Person, Person.id == Chat.person_id)
            .join(RoleAssignment, RoleAssignment.person_id == Person.id)
            .join(OrgUnit, OrgUnit.id == RoleAssignment.unit_id)
            .where(*conds, Person.is_active.is_(True))
        )
    if not parts:
        raise AudienceError("Chưa chọn loại nhóm/người nhận.")
    u = union_all(*parts).subquery("u")
    # A person holding roles in two units still gets one message: one row per chat.
    return select(
        u.c.chat_id,
        func.min(u.c.tg_chat).label("tg_chat"),
        func.min(u.c.kind).label("kind"),
        func.min(u.c.unit_id).label("unit_id"),
        func.min(u.c.path).label("path"),
        func.min(u.c.tg_user).label("tg_user"),
    ).group_by(u.c.chat_id)


async def _resolve_paths(session: AsyncSession, spec: AudienceSpec) -> tuple[list[OrgUnit], list[str]]:
    if not spec.roots:
        raise AudienceError("Chưa chọn đơn vị nhận tin.")
    units = await _paths(session, spec.roots)
    if len(units) != len(set(spec.roots)):
        raise AudienceError("Có đơn vị nhận tin không tồn tại.")
    excluded = [u.path for u in (await _paths(session, spec.exclude_units)).values()]
    return list(units.values()), excluded


async def root_units(session: AsyncSession, spec: AudienceSpec) -> list[OrgUnit]:
    units, _ = await _resolve_paths(session, spec)
    return units


async def preview(session: AsyncSession, spec: AudienceSpec) -> Preview:
    """Counts per child unit of each root (the root itself when a chat sits on it)."""
    roots, excluded = await _resolve_paths(session, spec)
    root_paths = [u.path for u in roots]
    q = _recipients(spec, root_paths, excluded, active=True, dialect=dialect_of(session)).subquery()
    counts: Counter[int] = Counter()
    total = 0
    for (path,) in await session.execute(select(q.c.path)):
        total += 1
        root = max((r for r in roots if is_within(path, r.path)), key=lambda r: len(r.path))
        rest = path[len(root.path) :].strip("/").split("/")
        counts[int(rest[0]) if rest and rest[0] else root.id] += 1
    skipped_q = _recipients(spec, root_paths, excluded, active=False, dialect=dialect_of(session)).subquery()
    skipped = await session.scalar(select(func.count()).select_from(skipped_q)) or 0
    names = {u.id: u.name for u in (await _paths(session, list(counts))).values()}
    by_unit = sorted(
        (UnitCount(uid, names.get(uid, str(uid)), n) for uid, n in counts.items()), key=lambda c: c.name
    )
    return Preview(total, int(skipped), by_unit, [u.kind for u in roots])


async def materialise(session: AsyncSession, *, broadcast_id: int, spec: AudienceSpec) -> tuple[int, int]:
    """Writes one pending delivery per recipient chat in one INSERT … SELECT; (total, skipped)."""
    roots, excluded = await _resolve_paths(session, spec)
    root_paths = [u.path for u in roots]
    q = _recipients(spec, root_paths, excluded, active=True, dialect=dialect_of(session)).subquery()
    now = utcnow()
    rows = select(
        literal(broadcast_id),
        q.c.chat_id,
        q.c.tg_chat,
        q.c.kind,
        q.c.unit_id,
        q.c.tg_user,
        literal(Outcome.pending.value),
        literal(0),
        literal(Kind.broadcast.value),
        literal("telegram"),  # the chat's messenger
        literal(now, OutboxMessage.created_at.type),
        literal(now, OutboxMessage.updated_at.type),
    ).order_by(q.c.chat_id)
    cols = [
        "broadcast_id",
        "chat_id",
        "address",
        "chat_kind",
        "unit_id",
        "user_id",
        "status",
        "attempts",
        "kind",
        "channel",
        "created_at",
        "updated_at",
    ]
    await session.execute(insert(OutboxMessage).from_select(cols, rows))
    total = await session.scalar(select(func.count()).where(OutboxMessage.broadcast_id == broadcast_id)) or 0
    skipped_q = _recipients(spec, root_paths, excluded, active=False, dialect=dialect_of(session)).subquery()
    skipped = await session.scalar(select(func.count()).select_from(skipped_q)) or 0
    return int(total), int(skipped)
