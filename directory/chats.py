"""Chat records that stay true: private chats of registered people and the groups the bot is in.

Telegram tells the bot about its own membership (`my_chat_member`) and about a group becoming a
supergroup (a message with `migrate_to_chat_id`). Each of these lands here, so audiences built
from `Chat.is_active` never include a chat the bot cannot write to.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from directory import audit
from directory.models import Chat, ChatKind, OrgUnit, Person, RoleAssignment
from directory.tree import in_subtrees
from storage.base import utcnow

# ChatMember statuses in which the bot can post.
PRESENT_STATUSES = frozenset({"member", "administrator", "creator", "restricted"})
GROUP_TYPES = frozenset({"group", "supergroup"})


class ChatNotFound(Exception):
    """No chat record with this id."""


async def find_chat(session: AsyncSession, *, telegram_chat_id: int) -> Chat | None:
    """The record for a Telegram chat id, also found by the id it had before a supergroup migration."""
    chat = await session.scalar(select(Chat).where(Chat.telegram_chat_id == telegram_chat_id))
    if chat is None:
        chat = await session.scalar(select(Chat).where(Chat.migrated_from_chat_id == telegram_chat_id))
    return chat


async def ensure_chat(session: AsyncSession, *, telegram_chat_id: int, kind: str, title: str) -> Chat:
    """The record for a chat, created if missing. Two updates about a new chat often arrive together
    (the bot is added, and someone sends /lienket at once): ON CONFLICT DO NOTHING makes the second
    wait for the first and then use its row instead of failing on the unique key."""
    chat = await find_chat(session, telegram_chat_id=telegram_chat_id)
    if chat is not None:
        return chat
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    now = utcnow()
    await session.execute(
        insert(Chat)
        .values(
            telegram_chat_id=telegram_chat_id,
            kind=kind,
            title=title,
            is_active=True,
            bot_status="member",
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["telegram_chat_id"])
    )
    chat = await session.scalar(
        select(Chat)
        .where(Chat.telegram_chat_id == telegram_chat_id)
        .execution_options(populate_existing=True)
    )
    assert chat is not None
    return chat


async def register_private_chat(
    session: AsyncSession, *, person: Person, telegram_chat_id: int, title: str = ""
) -> Chat:
    """Create or refresh the private chat of a registered person: it is active again if it was not."""
    chat = await ensure_chat(
        session, telegram_chat_id=telegram_chat_id, kind=ChatKind.private.value, title=title
    )
    chat.kind = ChatKind.private.value
    chat.person_id = person.id
    chat.title = title or chat.title
    chat.is_active = True
    chat.blocked_at = None
    chat.bot_status = "member"
    await session.flush()
    return chat


async def record_bot_membership(
    session: AsyncSession, *, telegram_chat_id: int, chat_type: str, title: str, status: str
) -> Chat | None:
    """Apply the bot's new membership status in a chat. Returns the record (None for a private chat
    of someone who never registered: there is nothing to keep)."""
    present = status in PRESENT_STATUSES
    chat = await find_chat(session, telegram_chat_id=telegram_chat_id)
    if chat_type == "private":
        if chat is None:
            return None
        chat.is_active = present
        chat.blocked_at = None if present else utcnow()
        chat.bot_status = status
        await session.flush()
        return chat
    if chat is None:
        chat = await ensure_chat(
            session, telegram_chat_id=telegram_chat_id, kind=ChatKind.group.value, title=title
        )
    chat.title = title or chat.title
    chat.is_active = present
    chat.bot_status = status
    await session.flush()
    return chat


async def migrate_group(
    session: AsyncSession, *, old_chat_id: int, new_chat_id: int, title: str = ""
) -> Chat | None:
    """Follow a group that became a supergroup. Idempotent, and safe whichever of the two service
    messages (migrate_to in the old group, migrate_from in the new one) or a my_chat_member update in
    the new supergroup comes first: if a bare record for the new id exists already, the old record's
    binding wins and the bare one is removed, so exactly one row remains."""
    # FOR UPDATE: the two service messages are handled concurrently; the second waits for the first
    # and then (PostgreSQL re-checks the WHERE) no longer finds the row under its old id.
    old = await session.scalar(
        select(Chat)
        .where(Chat.telegram_chat_id == old_chat_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    new = await session.scalar(
        select(Chat)
        .where(Chat.telegram_chat_id == new_chat_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if new is not None and new is old:  # already followed
        return new
    if old is None:
        if new is not None and new.migrated_from_chat_id is None:
            new.migrated_from_chat_id = old_chat_id
            await session.flush()
        return new
    if new is not None:
        if new.unit_id is None:
            old.is_active = old.is_active or new.is_active
            old.bot_status = new.bot_status
            await session.delete(new)
            await session.flush()
        else:  # the new group was bound on its own already: it wins, the old id is history
            new.migrated_from_chat_id = old_chat_id
            await session.delete(old)
            await session.flush()
            return new
    old.telegram_chat_id = new_chat_id
    old.migrated_from_chat_id = old_chat_id
    old.title = title or old.title
    await session.flush()
    return old


async def list_chats(
    session: AsyncSession,
    *,
    roots: list[str],
    kind: str | None = None,
    active: bool | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[Chat]:
    """Chats inside the subtrees `roots` (unit paths), newest first: groups bound to a unit there,
    and private chats of people holding a role there."""
    if not roots:
        return []
    groups = (
        select(Chat.id)
        .join(OrgUnit, OrgUnit.id == Chat.unit_id)
        .where(in_subtrees(OrgUnit.path, roots, dialect=session))
    )
    private = (
        select(Chat.id)
        .join(RoleAssignment, RoleAssignment.person_id == Chat.person_id)
        .join(OrgUnit, OrgUnit.id == RoleAssignment.unit_id)
        .where(Chat.kind == ChatKind.private.value, in_subtrees(OrgUnit.path, roots, dialect=session))
    )
    stmt = (
        select(Chat)
        .where(Chat.id.in_(groups.union(private)))
        .order_by(Chat.id.desc())
        .limit(limit)
        .offset(offset)
    )
    if kind is not None:
        stmt = stmt.where(Chat.kind == kind)
    if active is not None:
        stmt = stmt.where(Chat.is_active.is_(active))
    return list(await session.scalars(stmt))


async def chat_unit_paths(session: AsyncSession, *, chat: Chat) -> list[str]:
    """The units a chat belongs to, for permission checks: its bound unit, or its person's units."""
    if chat.unit_id is not None:
        return list(await session.scalars(select(OrgUnit.path).where(OrgUnit.id == chat.unit_id)))
    if chat.person_id is None:
        return []
    return list(
        await session.scalars(
            select(OrgUnit.path)
            .join(RoleAssignment, RoleAssignment.unit_id == OrgUnit.id)
            .where(RoleAssignment.person_id == chat.person_id)
        )
    )


async def deactivate_chat(session: AsyncSession, *, actor: str, chat: Chat, unit_path: str | None) -> Chat:
    """Leave a chat out of every audience (an officer's decision; the bot stays in the group)."""
    if chat.is_active:
        chat.is_active = False
        await session.flush()
        await audit.record(
            session,
            actor,
            "chat.deactivate",
            "chat",
            chat.id,
            {"is_active": True},
            {"is_active": False},
            unit_path=unit_path,
        )
    return chat
