"""Scopes and broadcasts for tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from broadcasts import service
from broadcasts.config import BroadcastConfig
from broadcasts.models import Broadcast
from directory.access import Grant, Scope
from directory.models import OrgUnit, Person, Role


def scope(person: Person, unit: OrgUnit, role: Role) -> Scope:
    return Scope(actor=f"person:{person.id}", grants=(Grant(role, unit.id, unit.path),), person_id=person.id)


async def sending_broadcast(
    session: AsyncSession,
    who: Scope,
    roots: list[int],
    *,
    config: BroadcastConfig | None = None,
    approver: Scope | None = None,
    targets: list[str] | None = None,
    **kwargs: Any,
) -> Broadcast:
    """Create, submit, approve if needed and start sending."""
    b, _ = await service.create(
        session,
        scope=who,
        title=kwargs.pop("title", "Thông báo"),
        content=kwargs.pop("content", {"kind": "text", "html": "<b>Kính gửi</b> các đồng chí."}),
        audience_spec={"roots": roots, "targets": targets or ["group"]},
        **kwargs,
    )
    b = await service.submit(session, scope=who, broadcast_id=b.id, config=config or BroadcastConfig())
    if b.status == "submitted":
        assert approver is not None
        await service.approve(session, scope=approver, broadcast_id=b.id)
    return await service.schedule(session, scope=who, broadcast_id=b.id)
