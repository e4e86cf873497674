"""The audit log: who changed what, when, from what to what."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from directory.models import AuditEntry, OrgUnit, Person


async def record(
    session: AsyncSession,
    actor: str,
    action: str,
    entity: str,
    entity_id: object,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    *,
    unit_path: str | None = None,
    note: str | None = None,
) -> AuditEntry:
    """Add one entry to the current transaction; it commits or rolls back with the change itself."""
    entry = AuditEntry(
        actor=actor,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=before,
        after=after,
        unit_path=unit_path,
        note=note,
    )
    session.add(entry)
    return entry


def unit_snapshot(unit: OrgUnit) -> dict[str, Any]:
    return {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "block": unit.block,
        "member_count": unit.member_count,
        "is_active": unit.is_active,
        "parent_id": unit.parent_id,
        "path": unit.path,
        "merged_into_id": unit.merged_into_id,
    }


def person_snapshot(person: Person) -> dict[str, Any]:
    return {
        "full_name": person.full_name,
        "phone": person.phone,
        "login": person.login,
        "telegram_user_id": person.telegram_user_id,
        "is_active": person.is_active,
    }


async def list_entries(
    session: AsyncSession,
    *,
    unit_paths: list[str] | None,
    entity: str | None = None,
    entity_id: str | None = None,
    action: str | None = None,
    limit: int = 100,
    before_id: int | None = None,
) -> list[AuditEntry]:
    """Newest first. `unit_paths=None` reads everything; otherwise only entries inside those subtrees."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if unit_paths is not None:
        if not unit_paths:
            return []
        from directory.tree import in_subtrees  # here: directory.tree imports this module

        query = query.where(in_subtrees(AuditEntry.unit_path, unit_paths, dialect=session))
    if entity:
        query = query.where(AuditEntry.entity == entity)
    if entity_id:
        query = query.where(AuditEntry.entity_id == entity_id)
    if action:
        query = query.where(AuditEntry.action == action)
    if before_id:
        query = query.where(AuditEntry.id < before_id)
    return list((await session.scalars(query)).all())
