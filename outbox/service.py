"""Putting messages in the outbox. Routes, handlers and jobs call these inside their own transaction; the
delivery engine sends after commit, so a message never announces a change that was rolled back, and every
message shares the global rate, per-chat limits, retries and crash safety."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from directory.models import Chat, ChatKind, OrgUnit
from directory.tree import under
from outbox.models import Kind, OutboxMessage, Outcome
from outbox.parts import Part, to_dict
from storage.base import utcnow


def enqueue(
    session: AsyncSession,
    *,
    kind: Kind,
    address: int,
    parts: Sequence[Part],
    channel: str = "telegram",
    chat_kind: str = ChatKind.private.value,
    chat_id: int | None = None,
    person_id: int | None = None,
    unit_id: int | None = None,
    ref: dict[str, Any] | None = None,
) -> OutboxMessage:
    """Adds one record to the session (written with the caller's transaction)."""
    now = utcnow()
    record = OutboxMessage(
        kind=kind.value,
        channel=channel,
        address=address,
        chat_kind=chat_kind,
        chat_id=chat_id,
        person_id=person_id,
        unit_id=unit_id,
        user_id=address if chat_kind == ChatKind.private.value else None,
        payload=[to_dict(p) for p in parts],
        ref=ref,
        status=Outcome.pending.value,
        attempts=0,
        created_at=now,
        updated_at=now,
    )
    session.add(record)
    return record


async def private_chats_of(session: AsyncSession, person_id: int) -> list[Chat]:
    """The person's active private chats with Loa, on every messenger they use."""
    rows = await session.scalars(
        select(Chat).where(
            Chat.person_id == person_id,
            Chat.kind == ChatKind.private.value,
            Chat.is_active.is_(True),
            Chat.blocked_at.is_(None),
        )
    )
    return list(rows)


async def notify_person(
    session: AsyncSession,
    *,
    kind: Kind,
    person_id: int | None,
    parts: Sequence[Part],
    unit_id: int | None = None,
    ref: dict[str, Any] | None = None,
) -> int:
    """Tells a person something in their private chat(s); returns how many records were queued."""
    if person_id is None:
        return 0
    chats = await private_chats_of(session, person_id)
    for chat in chats:
        enqueue(
            session,
            kind=kind,
            address=chat.telegram_chat_id,
            channel=getattr(chat, "channel", "telegram"),
            chat_id=chat.id,
            person_id=person_id,
            unit_id=unit_id,
            parts=parts,
            ref=ref,
        )
    return len(chats)


async def counts(
    session: AsyncSession, *, subtree_paths: Sequence[str] | None = None
) -> list[tuple[str, str, str, int]]:
    """(kind, channel, status, count) over the outbox — all of it (metrics, admins), or only the records
    about units under `subtree_paths` (an officer's view)."""
    query = select(OutboxMessage.kind, OutboxMessage.channel, OutboxMessage.status, func.count())
    if subtree_paths is not None:
        if not subtree_paths:
            return []
        query = query.join(OrgUnit, OrgUnit.id == OutboxMessage.unit_id).where(
            or_(*(under(session, p) for p in subtree_paths))
        )
    rows = await session.execute(
        query.group_by(OutboxMessage.kind, OutboxMessage.channel, OutboxMessage.status).order_by(
            OutboxMessage.kind, OutboxMessage.channel, OutboxMessage.status
        )
    )
    return [(k, c, s, int(n)) for k, c, s, n in rows.tuples()]
