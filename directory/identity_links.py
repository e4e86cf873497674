"""One person on both messengers: a one-time code shown on one is typed on the other.

Zalo has no deep links and nobody should register twice, so `/ketnoi` shows a short code (hashed,
15 minutes, single use); `/ketnoi MÃ` sent from the other messenger attaches that account and its
private chat to the same person, keeping their roles, reports and history.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from directory import audit
from directory.chats import register_private_chat
from directory.errors import DirectoryError
from directory.identities import channel_of, identity_column, person_by_messenger_id, set_identity
from directory.invitations import SHORT_CODE_ALPHABET, normalize_short_code
from directory.models import Channel, IdentityLinkCode, Person
from storage.base import utcnow

LINK_CODE_LENGTH = 8
LINK_TTL = timedelta(minutes=15)
CHANNEL_NAMES = {Channel.telegram: "Telegram", Channel.zalo: "Zalo"}


class IdentityLinkError(DirectoryError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)


def _hash(code: str) -> str:
    return hashlib.sha256(("link:" + code).encode()).hexdigest()


async def create_link_code(session: AsyncSession, *, person: Person) -> str:
    code = "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(LINK_CODE_LENGTH))
    session.add(IdentityLinkCode(code_hash=_hash(code), person_id=person.id, expires_at=utcnow() + LINK_TTL))
    await session.flush()
    return code


async def redeem_link_code(session: AsyncSession, *, code: str, user_id: int, full_name: str) -> Person:
    """Attach the messenger account `user_id` (and its private chat) to the code's person."""
    channel = CHANNEL_NAMES[channel_of(user_id)]
    row = await session.get(IdentityLinkCode, _hash(normalize_short_code(code)), with_for_update=True)
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise IdentityLinkError(
            "bad_link_code",
            "Mã liên kết không đúng hoặc đã hết hạn. Xin gõ /ketnoi trên tài khoản đã đăng ký để lấy mã mới.",
        )
    person = await session.get(Person, row.person_id)
    if person is None or not person.is_active:
        raise IdentityLinkError("bad_link_code", "Tài khoản được liên kết không còn hoạt động.")
    holder = await person_by_messenger_id(session, user_id=user_id, active_only=False)
    if holder is not None and holder.id != person.id:
        raise IdentityLinkError("taken", f"Tài khoản {channel} này đã đăng ký cho một người khác.")
    current = getattr(person, identity_column(user_id).key)
    if current not in (None, user_id):
        raise IdentityLinkError("other_account", f"Đồng chí đã liên kết một tài khoản {channel} khác.")
    claimed = await session.execute(
        update(IdentityLinkCode)
        .where(IdentityLinkCode.code_hash == row.code_hash, IdentityLinkCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if not getattr(claimed, "rowcount", 0):
        raise IdentityLinkError("bad_link_code", "Mã liên kết này vừa được dùng.")
    set_identity(person, user_id)
    await register_private_chat(session, person=person, telegram_chat_id=user_id, title=full_name)
    await audit.record(
        session,
        f"person:{person.id}",
        "person.link_messenger",
        "person",
        person.id,
        None,
        {"channel": channel_of(user_id).value},
    )
    return person


async def linked_channels(session: AsyncSession, *, person_id: int) -> list[str]:
    person = await session.scalar(select(Person).where(Person.id == person_id))
    if person is None:
        return []
    return [
        name
        for name, value in (("Telegram", person.telegram_user_id), ("Zalo", person.zalo_user_id))
        if value
    ]
