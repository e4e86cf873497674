"""Credentials: officer passwords (Argon2id), short-lived access tokens (HS256 JWT), API keys."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from common.errors import DomainError
from directory import audit
from directory.errors import NotFound
from directory.models import ApiKey, OrgUnit, Person, Role
from directory.tree import in_subtrees
from storage.base import utcnow

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("loa-timing-equaliser")
API_KEY_PREFIX = "loa_"


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
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def authenticate(session: AsyncSession, *, login: str, password: str) -> Person:
    person = await session.scalar(select(Person).where(Person.login == login, Person.is_active.is_(True)))
    if person is None or not verify_password(person.password_hash, password):
        raise AuthError("bad_credentials", "Sai tên đăng nhập hoặc mật khẩu.")
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
    if claims.get("typ") != "access":
        raise AuthError("bad_token", "Mã truy cập không hợp lệ.")
    return int(claims["sub"])


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
