"""Server-side console sessions: start on sign-in, look up per request, end on sign-out or expiry."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from console.models import ConsoleSession
from directory.models import Person
from storage.base import utcnow

SESSION_HOURS = 10  # one working day; the officer signs in again the next morning


@dataclass(frozen=True)
class NewSession:
    token: str  # goes into the cookie, never stored
    csrf_token: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def start(session: AsyncSession, *, person: Person) -> NewSession:
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        ConsoleSession(
            token_hash=_digest(token),
            person_id=person.id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + timedelta(hours=SESSION_HOURS),
        )
    )
    await session.flush()
    return NewSession(token, csrf)


async def find(session: AsyncSession, *, token: str) -> tuple[ConsoleSession, Person] | None:
    """The live session and its active person, or None (unknown, expired or deactivated)."""
    if not token:
        return None
    row = (
        await session.execute(
            select(ConsoleSession, Person)
            .join(Person, Person.id == ConsoleSession.person_id)
            .where(ConsoleSession.token_hash == _digest(token))
        )
    ).first()
    if row is None:
        return None
    console_session, person = row[0], row[1]
    if console_session.expires_at <= utcnow() or not person.is_active:
        return None
    return console_session, person


async def end(session: AsyncSession, *, token: str) -> None:
    await session.execute(delete(ConsoleSession).where(ConsoleSession.token_hash == _digest(token)))


async def purge_expired(session: AsyncSession) -> int:
    result = await session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at <= utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)
