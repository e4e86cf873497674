"""Reading petitions for officers: the scoped list, one petition as an officer may see it (no name when
anonymous), and statistics by category and by unit, with time to answer."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from statistics import median
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from archive.petitions import CATEGORIES, STATUS_LABELS
from archive.tables import Petition
from directory.access import Scope
from directory.models import OrgUnit, Person, Role
from directory.tree import in_subtrees


def _scoped(session: AsyncSession, scope: Scope) -> ColumnElement[bool] | None:
    roots = scope.roots(Role.officer)
    if not roots:
        return None
    return in_subtrees(Petition.unit_path, roots, dialect=session)


async def list_petitions(
    session: AsyncSession,
    *,
    scope: Scope,
    status: str | None = None,
    category: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Petition]:
    condition = _scoped(session, scope)
    if condition is None:
        return []
    stmt = select(Petition).where(condition)
    if status:
        stmt = stmt.where(Petition.status == status)
    if category:
        stmt = stmt.where(Petition.category == category)
    rows = await session.scalars(
        stmt.order_by(Petition.created_at.desc(), Petition.id.desc()).offset(offset).limit(limit)
    )
    return list(rows)


async def officer_view(session: AsyncSession, *, petition: Petition) -> dict[str, Any]:
    """What an officer may read: the sender's unit always, the sender's name only when not anonymous."""
    unit = await session.get(OrgUnit, petition.unit_id)
    handling = await session.get(OrgUnit, petition.handling_unit_id) if petition.handling_unit_id else None
    sender = None if petition.anonymous else await session.get(Person, petition.sender_id)
    return {
        "id": petition.id,
        "reference": petition.reference,
        "status": petition.status,
        "status_label": STATUS_LABELS.get(petition.status, petition.status),
        "category": petition.category,
        "category_label": CATEGORIES.get(petition.category, petition.category),
        "text": petition.text,
        "anonymous": petition.anonymous,
        "sender_name": sender.full_name if sender else None,
        "unit_id": petition.unit_id,
        "unit_name": unit.name if unit else "",
        "handling_unit_id": petition.handling_unit_id,
        "handling_unit_name": handling.name if handling else None,
        "attachment_kind": petition.attachment_kind,
        "answer": petition.answer,
        "created_at": petition.created_at,
        "forwarded_at": petition.forwarded_at,
        "answered_at": petition.answered_at,
        "closed_at": petition.closed_at,
    }


@dataclass
class Tally:
    total: int = 0
    answered: int = 0
    open: int = 0
    hours: list[float] | None = None

    def add(self, p: Petition) -> None:
        self.total += 1
        if p.answered_at is not None:
            self.answered += 1
            self.hours = [*(self.hours or []), _hours(p.created_at, p.answered_at)]
        elif p.status in ("new", "forwarded"):
            self.open += 1

    def as_dict(self) -> dict[str, Any]:
        hours = self.hours or []
        return {
            "total": self.total,
            "answered": self.answered,
            "open": self.open,
            "avg_hours_to_answer": round(sum(hours) / len(hours), 2) if hours else None,
            "median_hours_to_answer": round(median(hours), 2) if hours else None,
        }


def _hours(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600


async def petition_stats(session: AsyncSession, *, scope: Scope) -> dict[str, Any]:
    condition = _scoped(session, scope)
    if condition is None:
        return {"total": Tally().as_dict(), "by_category": [], "by_unit": []}
    rows = list(await session.scalars(select(Petition).where(condition)))
    total = Tally()
    by_cat: defaultdict[str, Tally] = defaultdict(Tally)
    by_unit: defaultdict[int, Tally] = defaultdict(Tally)
    for p in rows:
        total.add(p)
        by_cat[p.category].add(p)
        by_unit[p.unit_id].add(p)
    names = dict(
        (await session.execute(select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_(list(by_unit)))))
        .tuples()
        .all()
    )
    return {
        "total": total.as_dict(),
        "by_category": [
            {"category": c, "label": CATEGORIES.get(c, c), **t.as_dict()} for c, t in sorted(by_cat.items())
        ],
        "by_unit": [
            {"unit_id": u, "unit_name": names.get(u, ""), **t.as_dict()}
            for u, t in sorted(by_unit.items(), key=lambda kv: (-kv[1].total, kv[0]))
        ],
    }
