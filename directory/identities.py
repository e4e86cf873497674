"""Who is writing, on which messenger: the pipeline's integer ids for every messenger.

Telegram ids are integers below 2^52; Zalo ids are opaque strings. Loa maps each Zalo user to
`ZALO_ID_BASE + n` and each Zalo group to `-(ZALO_ID_BASE + n)`, a range Telegram never uses, so
handlers, FSM keys, deliveries and report messages keep working with integers, and any id says
by itself which messenger it belongs to. The mapping lives in `messenger_addresses`.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from directory.models import Channel, MessengerAddress, Person

ZALO_ID_BASE = 9 * 10**15
AddressKind = Literal["user", "group"]


def channel_of(messenger_id: int) -> Channel:
    return Channel.zalo if abs(messenger_id) >= ZALO_ID_BASE else Channel.telegram


def is_zalo(messenger_id: int) -> bool:
    return channel_of(messenger_id) is Channel.zalo


def identity_column(messenger_user_id: int) -> InstrumentedAttribute[int | None]:
    """The `people` column that holds a user id of this messenger."""
    return Person.zalo_user_id if is_zalo(messenger_user_id) else Person.telegram_user_id


async def person_by_messenger_id(
    session: AsyncSession, *, user_id: int, active_only: bool = True
) -> Person | None:
    """The person writing from `user_id` on whichever messenger it belongs to. Every lookup of the
    person behind an update goes through here, so a person linked on both messengers is one person."""
    query = select(Person).where(identity_column(user_id) == user_id)
    if active_only:
        query = query.where(Person.is_active.is_(True))
    return await session.scalar(query)


def set_identity(person: Person, user_id: int) -> None:
    if is_zalo(user_id):
        person.zalo_user_id = user_id
    else:
        person.telegram_user_id = user_id


async def messenger_id_for(
    session: AsyncSession, *, channel: Channel, kind: AddressKind, native_id: str
) -> int:
    """The integer id of a native address, allocated on first sight (safe under concurrency)."""
    found = await _find(session, channel=channel, kind=kind, native_id=native_id)
    if found is not None:
        return found
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    # The row id decides the number: insert without one (NULLs never clash), then set it.
    result = await session.execute(
        insert(MessengerAddress)
        .values(channel=channel.value, kind=kind, native_id=native_id, messenger_id=None)
        .on_conflict_do_nothing()
        .returning(MessengerAddress.id)
    )
    row_id = result.scalar()
    if row_id is None:  # somebody else allocated it meanwhile
        found = await _find(session, channel=channel, kind=kind, native_id=native_id)
        assert found is not None
        return found
    number = ZALO_ID_BASE + int(row_id)
    messenger_id = number if kind == "user" else -number
    row = await session.get(MessengerAddress, row_id)
    assert row is not None
    row.messenger_id = messenger_id
    await session.flush()
    return messenger_id


async def _find(session: AsyncSession, *, channel: Channel, kind: AddressKind, native_id: str) -> int | None:
    return await session.scalar(
        select(MessengerAddress.messenger_id).where(
            MessengerAddress.channel == channel.value,
            MessengerAddress.kind == kind,
            MessengerAddress.native_id == native_id,
        )
    )


async def native_address(session: AsyncSession, *, messenger_id: int) -> str | None:
    """The native id behind a synthetic id (None when unknown)."""
    return await session.scalar(
        select(MessengerAddress.native_id).where(MessengerAddress.messenger_id == messenger_id)
    )
