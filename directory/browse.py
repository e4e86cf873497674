"""Read-only views of the tree for chat: my roles, a unit with its counts, a page of its children."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from directory.models import Chat, ChatKind, OrgUnit, Person, RoleAssignment, UnitKind
from directory.tree import in_subtrees, under


@dataclass(frozen=True)
class UnitSummary:
    unit: OrgUnit
    grassroots: int  # active CĐCS in the subtree
    members: int  # members counted in those CĐCS
    groups: int  # active group chats bound inside the subtree
    children: int


@dataclass(frozen=True)
class ChildPage:
    children: list[OrgUnit]
    page: int
    pages: int


async def person_by_telegram(session: AsyncSession, *, telegram_user_id: int) -> Person | None:
    return await session.scalar(
        select(Person).where(Person.telegram_user_id == telegram_user_id, Person.is_active.is_(True))
    )


async def roles_with_units(session: AsyncSession, *, person_id: int) -> list[tuple[RoleAssignment, OrgUnit]]:
    rows = await session.execute(
        select(RoleAssignment, OrgUnit)
        .join(OrgUnit, OrgUnit.id == RoleAssignment.unit_id)
        .where(RoleAssignment.person_id == person_id, OrgUnit.is_active.is_(True))
        .order_by(OrgUnit.depth, OrgUnit.name)
    )
    return [(a, u) for a, u in rows.tuples()]


async def summarise(session: AsyncSession, *, unit: OrgUnit) -> UnitSummary:
    in_tree = under(session, unit.path)
    grassroots, members = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(OrgUnit.member_count), 0)).where(
                in_tree, OrgUnit.is_active.is_(True), OrgUnit.kind == UnitKind.grassroots_union.value
            )
        )
    ).one()
    groups = await session.scalar(
        select(func.count())
        .select_from(Chat)
        .join(OrgUnit, OrgUnit.id == Chat.unit_id)
        .where(in_tree, Chat.kind == ChatKind.group.value, Chat.is_active.is_(True))
    )
    children = await session.scalar(
        select(func.count()).where(OrgUnit.parent_id == unit.id, OrgUnit.is_active.is_(True))
    )
    return UnitSummary(unit, int(grassroots), int(members), int(groups or 0), int(children or 0))


async def child_page(session: AsyncSession, *, unit: OrgUnit, page: int, per_page: int = 8) -> ChildPage:
    total = int(
        await session.scalar(
            select(func.count()).where(OrgUnit.parent_id == unit.id, OrgUnit.is_active.is_(True))
        )
        or 0
    )
    pages = max(1, -(-total // per_page))
    page = min(max(page, 0), pages - 1)
    children = list(
        await session.scalars(
            select(OrgUnit)
            .where(OrgUnit.parent_id == unit.id, OrgUnit.is_active.is_(True))
            .order_by(OrgUnit.name, OrgUnit.id)
            .limit(per_page)
            .offset(page * per_page)
        )
    )
    return ChildPage(children, page, pages)


async def units_by_paths(session: AsyncSession, *, paths: list[str]) -> list[OrgUnit]:
    if not paths:
        return []
    return list(await session.scalars(select(OrgUnit).where(OrgUnit.path.in_(paths)).order_by(OrgUnit.name)))


async def upper_units(session: AsyncSession, *, roots: list[str], limit: int = 30) -> list[OrgUnit]:
    """Units above the grassroots under `roots`: the ones that run block groups."""
    if not roots:
        return []

    return list(
        await session.scalars(
            select(OrgUnit)
            .where(
                in_subtrees(OrgUnit.path, roots, dialect=session),
                OrgUnit.is_active.is_(True),
                OrgUnit.kind.notin_([UnitKind.grassroots_union.value, UnitKind.union_group.value]),
            )
            .order_by(OrgUnit.depth, OrgUnit.name)
            .limit(limit)
        )
    )
