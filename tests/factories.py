"""Small builders shared by the domain tests: units with materialised paths, people with roles, chats.

They write the models directly (no audit, no validation), so a test sets up exactly the rows it needs.
Each domain's tests/<domain>/factories.py wraps them with its own names and defaults.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from directory.access import Scope, scope_for_person
from directory.models import Chat, ChatKind, OrgUnit, Person, Role, RoleAssignment, UnitKind


async def make_unit(
    session: AsyncSession,
    code: str,
    name: str,
    *,
    parent: OrgUnit | None = None,
    kind: UnitKind = UnitKind.grassroots_union,
    block: str | None = None,
    member_count: int = 0,
) -> OrgUnit:
    unit = OrgUnit(
        code=code,
        name=name,
        kind=kind.value,
        block=block,
        member_count=member_count,
        parent_id=parent.id if parent else None,
        depth=parent.depth + 1 if parent else 0,
        path="",
        is_active=True,
    )
    session.add(unit)
    await session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    await session.flush()
    return unit


async def make_person(
    session: AsyncSession,
    name: str,
    *,
    telegram_user_id: int | None = None,
    roles: Iterable[tuple[Role, OrgUnit]] = (),
    private_chat: bool = False,
    chat_title: str = "",
    chat_unit: OrgUnit | None = None,
) -> Person:
    """A person holding `roles`; with `private_chat`, also their private chat with the bot (which needs a
    `telegram_user_id`)."""
    person = Person(full_name=name, telegram_user_id=telegram_user_id, is_active=True)
    session.add(person)
    await session.flush()
    for role, unit in roles:
        session.add(RoleAssignment(person_id=person.id, unit_id=unit.id, role=role.value))
    if private_chat:
        assert telegram_user_id is not None, "a private chat needs the person's Telegram id"
        session.add(
            Chat(
                telegram_chat_id=telegram_user_id,
                kind=ChatKind.private.value,
                title=chat_title,
                unit_id=chat_unit.id if chat_unit else None,
                person_id=person.id,
            )
        )
    await session.flush()
    return person


async def make_group(
    session: AsyncSession, unit: OrgUnit, *, telegram_chat_id: int, block: str | None = None
) -> Chat:
    chat = Chat(
        telegram_chat_id=telegram_chat_id,
        kind=ChatKind.group.value,
        title=f"Nhóm {unit.code}",
        unit_id=unit.id,
        block=block,
    )
    session.add(chat)
    await session.flush()
    return chat


def tg(person: Person) -> int:
    """The person's Telegram id, which the test gave them."""
    assert person.telegram_user_id is not None
    return person.telegram_user_id


async def scope_of(session: AsyncSession, person: Person) -> Scope:
    return await scope_for_person(session, person=person)
