"""Credentials: officer passwords (Argon2id), short-lived access tokens (HS256 JWT), API keys."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from common.errors import DomainError
from directory import audit
from directory.errors import NotFound
from directory.login_throttle import LoginThrottle
from directory.login_throttle import TooManyAttempts as TooManyAttempts  # re-exported for callers
from directory.models import ApiKey, OrgUnit, Person, Role
from directory.tree import in_subtrees
from storage.base import utcnow

_hasher = PasswordHasher()
API_KEY_PREFIX = "loa_"


@cache
def _dummy_hash() -> str:
    """Verified against when the login is unknown, so both answers cost one Argon2 verification
    (built on first use, not at import)."""
    return _hasher.hash(secrets.token_urlsafe(16))


class AuthError(DomainError):
    status = 401

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)


def hash_password(password: str) -> str:
    if len(password) < 10:
        raise AuthError("weak_password", "Mật khẩu cần ít nhất 10 ký tự.")
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def authenticate(session: AsyncSession, *, login: str, password: str) -> Person:
    """Checks a password with no throttling or audit (the CLI); people logging in go through `login`."""
    person = await session.scalar(select(Person).where(Person.login == login))
    ok = verify_password(person.password_hash if person else None, password)
    if person is None or not ok or not person.is_active:
        raise AuthError("bad_credentials", "Sai tên đăng nhập hoặc mật khẩu.")
    return person


async def login(
    session: AsyncSession, *, login: str, password: str, address: str, throttle: LoginThrottle
) -> Person:
    """A person logging in (API, web console). Refuses with TooManyAttempts (429) while the login or the
    address is over its failure limit; an unknown login costs the same Argon2 verification as a known
    one. A failure raises AuthError after adding an `auth.login_failed` audit entry to `session`: the
    caller commits the session even then, so the entry is kept."""
    await throttle.check(login=login, address=address)
    try:
        person = await authenticate(session, login=login, password=password)
    except AuthError:
        await throttle.failed(login=login, address=address)
        await audit.record(
            session, f"address:{address[:64]}", "auth.login_failed", "login", login[:64],
            None, {"address": address[:64]},
        )  # fmt: skip
        raise
    await throttle.succeeded(login=login)
    return person


def issue_access_token(*, person_id: int, secret: str, minutes: int) -> str:
    now = utcnow()
    claims = {"sub": str(person_id), "iat": now, "exp": now + timedelta(minutes=minutes), "typ": "access"}
    return jwt.encode(claims, secret, algorithm="HS256")


def read_access_token(token: str, *, secret: str) -> int:
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp", "sub"]})
    except jwt.ExpiredSignatureError as exc:
        raise AuthError("token_expired", "Phiên đăng nhập đã hết hạn.") from exc
    except jwt.PyJWTError as exc:
        raise AuthError("bad_token", "Mã truy cập không hợp lệ.") from exc
    sub = claims.get("sub")
    if claims.get("typ") != "access" or not isinstance(sub, str) or not sub.isdigit() or len(sub) > 18:
        raise AuthError("bad_token", "Mã truy cập không hợp lệ.")  # a signed but odd `sub` is no 500
    return int(sub)


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class NewApiKey:
    key: ApiKey
    raw: str  # shown once, never stored


def new_api_key_material() -> tuple[str, str, str]:
    """Returns (raw key, lookup prefix, hash). 256 random bits; the prefix finds the row."""
    prefix = secrets.token_hex(6)
    raw = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    return raw, prefix, _digest(raw)


async def find_api_key(session: AsyncSession, raw: str) -> ApiKey:
    parts = raw.split("_")
    if len(parts) < 3 or not raw.startswith(API_KEY_PREFIX):
        raise AuthError("bad_api_key", "Khoá API không hợp lệ.")
    key = await session.scalar(select(ApiKey).where(ApiKey.prefix == parts[1]))
    if key is None or not hmac.compare_digest(key.key_hash, _digest(raw)):
        raise AuthError("bad_api_key", "Khoá API không hợp lệ.")
    if key.revoked_at is not None:
        raise AuthError("revoked_api_key", "Khoá API đã bị thu hồi.")
    key.last_used_at = utcnow()
    return key


async def create_api_key(
    session: AsyncSession, *, actor: str, name: str, unit: OrgUnit, role: Role, created_by_id: int | None
) -> NewApiKey:
    """A key acting as `role` over `unit`'s subtree. The raw key is returned once and never stored."""
    raw, prefix, digest = new_api_key_material()
    key = ApiKey(
        name=name.strip() or "API",
        prefix=prefix,
        key_hash=digest,
        unit_id=unit.id,
        role=role.value,
        scopes=[],
        created_by_id=created_by_id,
    )
    session.add(key)
    await session.flush()
    await audit.record(
        session,
        actor,
        "api_key.create",
        "api_key",
        key.id,
        None,
        {"name": key.name, "unit_id": unit.id, "role": key.role, "prefix": prefix},
        unit_path=unit.path,
    )
    return NewApiKey(key, raw)


async def list_api_keys(session: AsyncSession, *, roots: list[str]) -> list[tuple[ApiKey, OrgUnit]]:
    if not roots:
        return []
    rows = await session.execute(
        select(ApiKey, OrgUnit)
        .join(OrgUnit, OrgUnit.id == ApiKey.unit_id)
        .where(in_subtrees(OrgUnit.path, roots, dialect=session))
        .order_by(ApiKey.id)
    )
    return [(k, u) for k, u in rows.tuples()]


async def get_api_key(session: AsyncSession, *, key_id: int) -> tuple[ApiKey, OrgUnit]:
    row = (
        await session.execute(
            select(ApiKey, OrgUnit).join(OrgUnit, OrgUnit.id == ApiKey.unit_id).where(ApiKey.id == key_id)
        )
    ).first()
    if row is None:
        raise NotFound("Không tìm thấy khoá API.", code="api_key_not_found")
    return row[0], row[1]


async def revoke_api_key(session: AsyncSession, *, actor: str, key: ApiKey, unit: OrgUnit) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        await session.flush()
        await audit.record(
            session,
            actor,
            "api_key.revoke",
            "api_key",
            key.id,
            {"revoked": False},
            {"revoked": True},
            unit_path=unit.path,
        )
    return key
