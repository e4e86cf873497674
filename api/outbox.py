"""The outbox as officers see it: records by kind, messenger and status, within their own subtree
(an admin of the root sees every record, including those about no unit)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import ScopeDep, SessionDep
from directory.models import Role
from outbox import service


def build_router() -> APIRouter:
    router = APIRouter(prefix="/outbox", tags=["outbox"])

    @router.get("/stats")
    async def stats(session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
        roots = scope.roots(Role.officer)
        everything = any(path.count("/") == 2 for path in scope.roots(Role.admin))  # admin of a root unit
        rows = await service.counts(session, subtree_paths=None if everything else roots)
        items = [{"kind": k, "channel": c, "status": s, "count": n} for k, c, s, n in rows]
        return {"items": items, "total": sum(i["count"] for i in items)}

    return router
