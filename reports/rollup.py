"""Roll-up, completeness, timeliness and ranking — each one SQL query, so they scale to the whole country.

Roll-ups read `report_values` (the latest revision of each unit) joined to the unit tree by path prefix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import BigInteger, Integer, and_, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from directory.models import OrgUnit
from directory.tree import dialect_of, in_subtree, is_within
from reports.forms import Aggregation, Form
from reports.models import ReportRound, ReportSubmission, ReportTarget, ReportValue

GroupBy = Literal["none", "block", "kind"]


@dataclass
class FieldTotal:
    key: str
    aggregation: str
    value: float | None
    count: int


@dataclass
class RollupGroup:
    group: str | None
    units: int
    fields: dict[str, FieldTotal] = field(default_factory=dict)


def _pick(
    aggregation: Aggregation, total: float | None, avg: float | None, low: float | None, high: float | None
) -> float | None:
    return {
        Aggregation.sum: total,
        Aggregation.avg: avg,
        Aggregation.min: low,
        Aggregation.max: high,
        Aggregation.none: None,
    }[aggregation]


async def rollup(
    *, session: AsyncSession, round_id: int, form: Form, root_path: str, group_by: GroupBy = "none"
) -> list[RollupGroup]:
    """Totals per field over the subtree at `root_path`, optionally per block or unit kind.

    When the subtree holds the round's whole root, every value of the round is in it and the path filter
    is skipped; otherwise the subtree's unit ids are a semi-join (IN subquery), which both databases run
    as one pass over the round's values.
    """
    group_col = {"none": None, "block": OrgUnit.block, "kind": OrgUnit.kind}[group_by]
    cols: list[Any] = [
        ReportValue.field_key,
        func.count(ReportValue.num_value),
        func.sum(ReportValue.num_value),
        func.avg(ReportValue.num_value),
        func.min(ReportValue.num_value),
        func.max(ReportValue.num_value),
        func.count(),
    ]
    group_cols: list[Any] = [ReportValue.field_key]
    query = select(*cols).where(ReportValue.round_id == round_id)
    if group_col is not None:
        query = query.add_columns(group_col).join(OrgUnit, OrgUnit.id == ReportValue.unit_id)
        group_cols.append(group_col)
    round_root = await session.scalar(
        select(OrgUnit.path)
        .join(ReportRound, ReportRound.root_unit_id == OrgUnit.id)
        .where(ReportRound.id == round_id)
    )
    if round_root is None or not is_within(round_root, root_path):
        subtree = select(OrgUnit.id).where(in_subtree(OrgUnit.path, root_path, dialect=session))
        query = query.where(ReportValue.unit_id.in_(subtree))
    rows = await session.execute(query.group_by(*group_cols))
    groups: dict[str | None, RollupGroup] = {}
    for row in rows.tuples():
        key, count, total, avg, low, high, units = row[:7]
        name = row[7] if group_col is not None else None
        spec = form.field(key)
        if spec is None:
            continue
        group = groups.setdefault(name, RollupGroup(group=name, units=0))
        group.units = max(group.units, int(units))
        value = _pick(spec.aggregation, total, avg, low, high)
        group.fields[key] = FieldTotal(key, spec.aggregation.value, value, int(count))
    return sorted(groups.values(), key=lambda g: g.group or "")


class Rates:
    """Shares of the expected units that submitted, and that submitted on time."""

    expected: int
    submitted: int
    on_time: int

    @property
    def completeness(self) -> float:
        return self.submitted / self.expected if self.expected else 0.0

    @property
    def timeliness(self) -> float:
        return self.on_time / self.expected if self.expected else 0.0


@dataclass
class Completeness(Rates):
    unit_id: int
    code: str
    name: str
    expected: int
    submitted: int
    on_time: int


async def completeness(*, session: AsyncSession, round_: ReportRound, parent: OrgUnit) -> list[Completeness]:
    """Per child unit of `parent` (and `parent` itself if it is a target): expected, submitted, on time.

    Each target is attributed to its child of `parent` by reading the next id on its path, so the query is
    one GROUP BY over the round's targets, whatever the number of children.
    """
    target_unit = OrgUnit.__table__.alias("tu")
    sub = ReportSubmission.__table__
    on_time = case((sub.c.first_submitted_at <= round_.deadline, 1), else_=0)
    dialect = dialect_of(session)
    rest = func.substr(target_unit.c.path, len(parent.path) + 1)
    if dialect == "postgresql":
        child_id = cast(func.split_part(rest, "/", 1), BigInteger)
    else:
        child_id = cast(func.substr(rest, 1, func.instr(rest, "/") - 1), Integer)
    grouped = await session.execute(
        select(
            child_id,
            func.count(ReportTarget.unit_id),
            func.count(sub.c.id),
            func.coalesce(func.sum(cast(on_time, Integer)), 0),
        )
        .select_from(ReportTarget)
        .join(target_unit, target_unit.c.id == ReportTarget.unit_id)
        .outerjoin(sub, and_(sub.c.round_id == ReportTarget.round_id, sub.c.unit_id == ReportTarget.unit_id))
        .where(
            ReportTarget.round_id == round_.id,
            in_subtree(target_unit.c.path, parent.path, dialect=dialect),
            target_unit.c.path != parent.path,
        )
        .group_by(child_id)
    )
    counts = {int(r[0]): (int(r[1]), int(r[2]), int(r[3])) for r in grouped.tuples()}
    names = await session.execute(
        select(OrgUnit.id, OrgUnit.code, OrgUnit.name).where(OrgUnit.id.in_(list(counts)))
    )
    rows = sorted(((i, c, n, *counts[i]) for i, c, n in names.tuples()), key=lambda r: (r[2], r[1]))
    result = [Completeness(*r) for r in rows]
    own = await session.execute(
        select(func.count(ReportTarget.unit_id), func.count(sub.c.id), func.coalesce(func.sum(on_time), 0))
        .select_from(ReportTarget)
        .outerjoin(sub, and_(sub.c.round_id == ReportTarget.round_id, sub.c.unit_id == ReportTarget.unit_id))
        .where(ReportTarget.round_id == round_.id, ReportTarget.unit_id == parent.id)
    )
    expected, submitted, timely = own.one()
    if expected:
        result.insert(0, Completeness(parent.id, parent.code, parent.name, expected, submitted, int(timely)))
    return result


async def totals(*, session: AsyncSession, round_: ReportRound, root_path: str) -> Completeness:
    """Expected / submitted / on time over the whole subtree at `root_path`."""
    sub = ReportSubmission.__table__
    row = (
        await session.execute(
            select(
                func.count(ReportTarget.unit_id),
                func.count(sub.c.id),
                func.coalesce(func.sum(case((sub.c.first_submitted_at <= round_.deadline, 1), else_=0)), 0),
            )
            .select_from(ReportTarget)
            .join(OrgUnit, OrgUnit.id == ReportTarget.unit_id)
            .outerjoin(
                sub, and_(sub.c.round_id == ReportTarget.round_id, sub.c.unit_id == ReportTarget.unit_id)
            )
            .where(ReportTarget.round_id == round_.id, in_subtree(OrgUnit.path, root_path, dialect=session))
        )
    ).one()
    return Completeness(0, "", "", int(row[0]), int(row[1]), int(row[2]))


async def missing_units(*, session: AsyncSession, round_id: int, root_path: str = "/") -> list[OrgUnit]:
    """Target units in the subtree that have not submitted, in tree order."""
    rows = await session.scalars(
        select(OrgUnit)
        .join(ReportTarget, ReportTarget.unit_id == OrgUnit.id)
        .outerjoin(
            ReportSubmission,
            and_(ReportSubmission.round_id == ReportTarget.round_id, ReportSubmission.unit_id == OrgUnit.id),
        )
        .where(
            ReportTarget.round_id == round_id,
            ReportSubmission.id.is_(None),
            in_subtree(OrgUnit.path, root_path, dialect=session),
        )
        .order_by(OrgUnit.path)
    )
    return list(rows)


@dataclass
class RankRow(Rates):
    rank: int
    unit_id: int
    code: str
    name: str
    expected: int
    submitted: int
    on_time: int


async def ranking(
    *, session: AsyncSession, root_path: str, year_start: datetime, year_end: datetime, limit: int = 1000
) -> list[RankRow]:
    """Yearly emulation ranking of target units over the rounds due in the year:
    on-time share first, then completeness."""
    sub = ReportSubmission.__table__
    on_time = func.coalesce(func.sum(case((sub.c.first_submitted_at <= ReportRound.deadline, 1), else_=0)), 0)
    expected = func.count(ReportTarget.unit_id)
    submitted = func.count(sub.c.id)
    rows = await session.execute(
        select(OrgUnit.id, OrgUnit.code, OrgUnit.name, expected, submitted, on_time)
        .select_from(ReportTarget)
        .join(ReportRound, ReportRound.id == ReportTarget.round_id)
        .join(OrgUnit, OrgUnit.id == ReportTarget.unit_id)
        .outerjoin(sub, and_(sub.c.round_id == ReportTarget.round_id, sub.c.unit_id == ReportTarget.unit_id))
        .where(
            ReportRound.deadline >= year_start,
            ReportRound.deadline < year_end,
            in_subtree(OrgUnit.path, root_path, dialect=session),
        )
        .group_by(OrgUnit.id, OrgUnit.code, OrgUnit.name)
    )
    items = [tuple(r) for r in rows.tuples()]
    items.sort(key=lambda r: (-(r[5] / r[3]) if r[3] else 0, -(r[4] / r[3]) if r[3] else 0, r[2]))
    result: list[RankRow] = []
    previous: tuple[float, float] | None = None
    rank = 0
    for position, (uid, code, name, exp, subm, timely) in enumerate(items[:limit], 1):
        score = (timely / exp if exp else 0.0, subm / exp if exp else 0.0)
        if score != previous:
            rank, previous = position, score
        result.append(RankRow(rank, uid, code, name, int(exp), int(subm), int(timely)))
    return result
