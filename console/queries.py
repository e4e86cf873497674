"""Read models the console's pages need that no domain lists yet (recent broadcasts, open rounds in scope).

Visibility is never decided here: each row is kept only when the domain's own check allows it
(`broadcasts.service.require_in_scope`, `Scope.allows`), so the console shows exactly what the API serves.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from broadcasts import service as broadcast_service
from broadcasts.errors import Forbidden
from broadcasts.models import Broadcast, Status
from directory.access import Scope
from directory.models import OrgUnit, Role
from directory.tree import is_within
from reports.models import ReportRound, RoundStatus

SCAN_LIMIT = 300  # recent rows examined per listing; older ones are reached from their own pages


async def broadcasts_in_scope(
    session: AsyncSession,
    *,
    scope: Scope,
    statuses: list[str] | None = None,
    role: Role = Role.officer,
    limit: int = 50,
) -> list[Broadcast]:
    stmt = select(Broadcast).order_by(Broadcast.id.desc()).limit(SCAN_LIMIT)
    if statuses:
        stmt = stmt.where(Broadcast.status.in_(statuses))
    visible: list[Broadcast] = []
    for b in await session.scalars(stmt):
        try:
            await broadcast_service.require_in_scope(session, scope, b, role)
        except Forbidden:
            continue
        visible.append(b)
        if len(visible) >= limit:
            break
    return visible


async def awaiting_my_approval(session: AsyncSession, *, scope: Scope) -> list[Broadcast]:
    rows = await broadcasts_in_scope(session, scope=scope, statuses=[Status.submitted], role=Role.approver)
    return [b for b in rows if b.author_id != scope.person_id]


@dataclass(frozen=True)
class RoundView:
    round: ReportRound
    unit: OrgUnit  # the unit whose children the officer's figures are broken down by


async def rounds_in_scope(
    session: AsyncSession, *, scope: Scope, open_only: bool = False, limit: int = 50
) -> list[RoundView]:
    """Rounds whose target subtree overlaps the officer's; each with the unit the officer reads it from
    (the round's root when the officer covers it, else the officer's own unit below it)."""
    roots = scope.roots(Role.officer)
    if not roots:
        return []
    stmt = (
        select(ReportRound, OrgUnit)
        .join(OrgUnit, OrgUnit.id == ReportRound.root_unit_id)
        .order_by(ReportRound.opened_at.desc(), ReportRound.id.desc())
        .limit(SCAN_LIMIT)
    )
    if open_only:
        stmt = stmt.where(ReportRound.status == RoundStatus.open.value)
    views: list[RoundView] = []
    own_units = {g.unit_path: g.unit_id for g in scope.grants}
    for round_, root in (await session.execute(stmt)).tuples():
        if scope.allows(Role.officer, root.path):
            views.append(RoundView(round_, root))
        else:
            below = [p for p in roots if is_within(p, root.path)]
            if not below:
                continue
            unit = await session.get(OrgUnit, own_units[below[0]])
            assert unit is not None
            views.append(RoundView(round_, unit))
        if len(views) >= limit:
            break
    return views


async def search_units(session: AsyncSession, *, scope: Scope, text: str, limit: int = 20) -> list[OrgUnit]:
    """Active units inside the officer's subtrees whose name or code contains `text`."""
    roots = scope.roots(Role.officer)
    needle = text.strip()
    if not roots or not needle:
        return []
    pattern = f"%{needle}%"
    rows = await session.scalars(
        select(OrgUnit)
        .where(
            or_(*(OrgUnit.path.startswith(r) for r in roots)),
            OrgUnit.is_active.is_(True),
            or_(OrgUnit.name.ilike(pattern), OrgUnit.code.ilike(pattern)),
        )
        .order_by(OrgUnit.depth, OrgUnit.name)
        .limit(limit)
    )
    return list(rows)
