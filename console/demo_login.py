"""A console sign-in for the demo: the province's first officer gets a login and a fresh password, so
`loa demo --serve` can print them. Demo ring only; production code never imports this."""

from __future__ import annotations

import secrets

from directory import people
from directory.auth import hash_password
from directory.models import Role
from storage.db import Database

DEMO_LOGIN = "tuyengiao"


async def give_demo_login(db: Database, *, root_unit_id: int) -> tuple[str, str]:
    """(login, password) of an officer at the province's root."""
    password = secrets.token_urlsafe(9)
    async with db.transaction() as session:
        holders = await people.holders(session, unit_ids=[root_unit_id], roles={Role.officer})
        person = holders[0][0]
        person.login = DEMO_LOGIN
        person.password_hash = hash_password(password)
    return DEMO_LOGIN, password
