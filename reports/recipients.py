"""Who is asked and who is told: the small directory queries the reports domain needs.

Kept inside reports/ on purpose (the directory services are written separately).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from directory.models import Chat, ChatKind, OrgUnit, Person, Role, RoleAssignment


@dataclass(frozen=True)
class Recipient:
    person_id: int
    full_name: str
    telegram_chat_id: int  # the private chat's messenger id (an outbox record's address)
    channel: str = "telegram"


def ancestor_ids(path: str) -> list[int]:
    """Ids on a materialised path `/1/7/42/`, root first."""
    return [int(p) for p in path.strip("/").split("/") if p]


async def _private_chats(
    session: AsyncSession, *, unit_ids: Iterable[int], role: Role
) -> dict[int, list[Recipient]]:
    ids = list(set(unit_ids))
    found: dict[int, list[Recipient]] = defaultdict(list)
    for start in range(0, len(ids), 500):
        rows = await session.execute(
            select(RoleAssignment.unit_id, Person.id, Person.full_name, Chat.telegram_chat_id)
            .join(Person, Person.id == RoleAssignment.person_id)
            .join(Chat, Chat.person_id == Person.id)
            .where(
                RoleAssignment.unit_id.in_(ids[start : start + 500]),
                RoleAssignment.role == role.value,
                Person.is_active.is_(True),
                Chat.kind == ChatKind.private.value,
                Chat.is_active.is_(True),
                Chat.blocked_at.is_(None),
            )
            .order_by(Person.id)
        )
        for unit_id, person_id, name, chat_id in rows.tuples():
            found[unit_id].append(Recipient(person_id, name, chat_id))
    return found


async def leaders_of(session: AsyncSession, *, unit_ids: Iterable[int]) -> dict[int, list[Recipient]]:
    """Reachable leaders (a registered private chat) per unit; units without one are absent."""
    return await _private_chats(session, unit_ids=unit_ids, role=Role.leader)


async def officers_over(session: AsyncSession, *, unit: OrgUnit) -> list[Recipient]:
    """Officers of the nearest ancestor of `unit` (its parent first) that has a reachable officer."""
    chain = [i for i in ancestor_ids(unit.path) if i != unit.id]
    if not chain:
        chain = [unit.id]
    by_unit = await _private_chats(session, unit_ids=chain, role=Role.officer)
    for unit_id in reversed(chain):
        if by_unit.get(unit_id):
            return by_unit[unit_id]
    return []


async def person_by_telegram(session: AsyncSession, *, telegram_user_id: int) -> Person | None:
    return await session.scalar(
        select(Person).where(Person.telegram_user_id == telegram_user_id, Person.is_active.is_(True))
    )


async def units_led_by(session: AsyncSession, *, person_id: int) -> list[OrgUnit]:
    rows = await session.scalars(
        select(OrgUnit)
        .join(RoleAssignment, RoleAssignment.unit_id == OrgUnit.id)
        .where(
            RoleAssignment.person_id == person_id,
            RoleAssignment.role == Role.leader.value,
            OrgUnit.is_active.is_(True),
        )
        .order_by(OrgUnit.path)
    )
    return list(rows)
