"""Admins read the audit log of their subtree."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from api.deps import ScopeDep, SessionDep, listing_roots
from api.types import Id
from directory import audit, tree
from directory.access import AccessDenied
from directory.models import AuditEntry, Role


def entry_out(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "action": entry.action,
        "entity": entry.entity,
        "entity_id": entry.entity_id,
        "unit_path": entry.unit_path,
        "before": entry.before,
        "after": entry.after,
        "note": entry.note,
    }


def build_router() -> APIRouter:
    router = APIRouter(tags=["audit"])

    @router.get("/audit")
    async def read_audit(
        scope: ScopeDep,
        session: SessionDep,
        unit_id: Id | None = None,
        entity: str | None = Query(default=None, max_length=64),
        entity_id: str | None = Query(default=None, max_length=64),
        action: str | None = Query(default=None, max_length=64),
        limit: int = Query(default=100, ge=1, le=1000),
        before_id: Id | None = None,
    ) -> dict[str, Any]:
        roots: list[str] | None = await listing_roots(session, scope, Role.admin, unit_id)
        if not roots:
            raise AccessDenied()
        if unit_id is None and any(len(tree.path_ids(r)) == 1 for r in roots):
            roots = None  # an admin of the root reads everything, including changes outside any unit
        entries = await audit.list_entries(
            session,
            unit_paths=roots,
            entity=entity,
            entity_id=entity_id,
            action=action,
            limit=limit,
            before_id=before_id,
        )
        return {"items": [entry_out(e) for e in entries]}

    return router
