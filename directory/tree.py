"""The union tree: create, look up, walk, and restructure units (move, merge, deactivate).

Paths are materialised as `/id/id/.../` (the unit's own id last): a subtree is one prefix scan and a
move rewrites the prefixes of the whole subtree in one UPDATE. Every change is audited in the same
transaction as the change itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, false, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from directory import audit
from directory.errors import Conflict, InvalidInput, InvalidMove, NotFound
from directory.models import Block, Chat, OrgUnit, RoleAssignment, UnitKind
from storage.base import utcnow

MAX_MERGE_HOPS = 32


def child_path(parent: OrgUnit | None, unit_id: int) -> str:
    return f"{parent.path if parent else '/'}{unit_id}/"


def dialect_of(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def in_subtree(
    column: Any, root: str | ColumnElement[str], *, dialect: str | AsyncSession
) -> ColumnElement[bool]:
    """`column` (a materialised path) is `root` or below it; `root` is a path or a path column.

    Never write this filter by hand (`path.like(root + "%")`, `path.startswith(root)`): it must be in
    the form each database answers from its index. PostgreSQL: LIKE on the varchar_pattern_ops index
    (range comparisons would follow the locale's collation, which may ignore '/'). SQLite: LIKE never
    uses an index with the default settings, but a binary range does: paths are digits and '/', and
    '0' is the character after '/', so `/1/7/ <= path < /1/70` holds exactly the paths under `/1/7/`.
    """
    name = dialect if isinstance(dialect, str) else dialect_of(dialect)
    if name != "sqlite":
        return column.like(root + "%")
    if isinstance(root, str):
        return and_(column >= root, column < root[:-1] + "0")
    return and_(column >= root, column < func.substr(root, 1, func.length(root) - 1).concat("0"))


def in_subtrees(column: Any, roots: Iterable[str], *, dialect: str | AsyncSession) -> ColumnElement[bool]:
    """`column` lies in any of the subtrees rooted at `roots`; no roots matches nothing."""
    terms = [in_subtree(column, root, dialect=dialect) for root in roots]
    return or_(*terms) if terms else false()


def under(session: AsyncSession, prefix: str) -> ColumnElement[bool]:
    """`org_units.path` is `prefix` or below it (see `in_subtree`)."""
    return in_subtree(OrgUnit.path, prefix, dialect=session)


def is_within(path: str, ancestor: str) -> bool:
    """`path` is `ancestor` or below it, both as stored (`/1/7/42/`): the trailing '/' keeps `/1/7/`
    from claiming `/1/70/`."""
    return path.startswith(ancestor)


def path_ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


async def check_kind_and_block(session: AsyncSession, *, kind: str, block: str | None) -> None:
    if kind not in UnitKind.__members__:
        raise InvalidInput(f"Loại đơn vị không hợp lệ: {kind}.", code="bad_kind")
    if block is not None and await session.get(Block, block) is None:
        raise InvalidInput(f"Khối không tồn tại: {block}.", code="bad_block")


async def get_unit(session: AsyncSession, *, unit_id: int) -> OrgUnit:
    unit = await session.get(OrgUnit, unit_id)
    if unit is None:
        raise NotFound("Không tìm thấy đơn vị.", code="unit_not_found")
    return unit


async def find_by_code(session: AsyncSession, *, code: str) -> OrgUnit | None:
    return await session.scalar(select(OrgUnit).where(OrgUnit.code == code.strip()))


async def lookup_code(session: AsyncSession, *, code: str) -> OrgUnit | None:
    """Like `resolve_code`, for typed input: None instead of an error when nothing matches."""
    try:
        return await resolve_code(session, code=code)
    except NotFound:
        return None


async def units_at_paths(session: AsyncSession, *, paths: list[str]) -> list[OrgUnit]:
    """The units whose paths are given (e.g. a scope's roots), by name."""
    if not paths:
        return []
    query = select(OrgUnit).where(OrgUnit.path.in_(paths)).order_by(OrgUnit.name, OrgUnit.id)
    return list((await session.scalars(query)).all())


async def resolve_code(session: AsyncSession, *, code: str) -> OrgUnit:
    """The unit a code stands for today: a merged unit's code leads to the unit that absorbed it."""
    unit = await find_by_code(session, code=code)
    if unit is None:
        raise NotFound(f"Không tìm thấy đơn vị có mã {code}.", code="unit_not_found")
    for _ in range(MAX_MERGE_HOPS):
        if unit.merged_into_id is None:
            return unit
        unit = await get_unit(session, unit_id=unit.merged_into_id)
    raise Conflict("Chuỗi sáp nhập đơn vị quá dài.", code="merge_chain_too_long")


async def root_units(session: AsyncSession) -> list[OrgUnit]:
    rows = await session.scalars(select(OrgUnit).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.id))
    return list(rows.all())


async def create_unit(
    session: AsyncSession,
    *,
    actor: str,
    code: str,
    name: str,
    kind: str,
    parent: OrgUnit | None,
    block: str | None = None,
    member_count: int = 0,
) -> OrgUnit:
    code, name = code.strip(), name.strip()
    if not code or not name:
        raise InvalidInput("Cần có mã và tên đơn vị.", code="missing_field")
    if member_count < 0:
        raise InvalidInput("Số đoàn viên không được âm.", code="bad_member_count")
    await check_kind_and_block(session, kind=kind, block=block)
    if await find_by_code(session, code=code) is not None:
        raise Conflict(f"Mã đơn vị {code} đã tồn tại.", code="duplicate_code")
    if parent is None and await root_units(session):
        raise InvalidInput("Cây đơn vị đã có đơn vị gốc; cần chọn đơn vị cấp trên.", code="root_exists")
    if parent is not None and not parent.is_active:
        raise InvalidInput("Đơn vị cấp trên không còn hoạt động.", code="parent_inactive")
    unit = OrgUnit(
        code=code,
        name=name,
        kind=kind,
        block=block,
        member_count=member_count,
        is_active=True,
        parent_id=parent.id if parent else None,
        path="",
        depth=parent.depth + 1 if parent else 0,
    )
    session.add(unit)
    await session.flush()
    unit.path = child_path(parent, unit.id)
    await session.flush()
    await audit.record(
        session, actor, "unit.create", "unit", unit.id, None, audit.unit_snapshot(unit), unit_path=unit.path
    )
    return unit


async def update_unit(session: AsyncSession, *, actor: str, unit: OrgUnit, **changes: Any) -> OrgUnit:
    """Change name, kind, block or member count (not the position: use `move_unit`)."""
    allowed = {"name", "kind", "block", "member_count"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(f"Không sửa được trường: {', '.join(sorted(unknown))}.", code="bad_field")
    await check_kind_and_block(
        session, kind=changes.get("kind", unit.kind), block=changes.get("block", unit.block)
    )
    if "name" in changes and not str(changes["name"]).strip():
        raise InvalidInput("Tên đơn vị không được để trống.", code="missing_field")
    if changes.get("member_count", 0) < 0:
        raise InvalidInput("Số đoàn viên không được âm.", code="bad_member_count")
    before = audit.unit_snapshot(unit)
    for field, value in changes.items():
        setattr(unit, field, value.strip() if isinstance(value, str) and field == "name" else value)
    after = audit.unit_snapshot(unit)
    if after != before:
        await session.flush()
        await audit.record(session, actor, "unit.update", "unit", unit.id, before, after, unit_path=unit.path)
    return unit


def _subtree_query(
    session: AsyncSession, unit: OrgUnit, *, include_inactive: bool, max_depth: int | None
) -> Any:
    query = select(OrgUnit).where(under(session, unit.path))
    if not include_inactive:
        query = query.where(OrgUnit.is_active.is_(True))
    if max_depth is not None:
        query = query.where(OrgUnit.depth <= unit.depth + max_depth)
    return query.order_by(OrgUnit.path).execution_options(populate_existing=True)


async def subtree(
    session: AsyncSession,
    *,
    unit: OrgUnit,
    include_inactive: bool = False,
    max_depth: int | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[OrgUnit]:
    """The unit and everything below it, parents before children (ordered by path)."""
    query = _subtree_query(session, unit, include_inactive=include_inactive, max_depth=max_depth)
    rows = await session.scalars(query.limit(limit).offset(offset))
    return list(rows.all())


async def subtree_ids(session: AsyncSession, *, path: str, include_inactive: bool = False) -> list[int]:
    """Ids of the subtree under `path`, aggregated in the database: one row instead of 150,000."""
    dialect = session.get_bind().dialect.name
    condition = under(session, path) if include_inactive else and_(under(session, path), OrgUnit.is_active)
    if dialect == "postgresql":
        ids: list[int] | None = await session.scalar(select(func.array_agg(OrgUnit.id)).where(condition))
        return list(ids or [])
    if dialect == "sqlite":
        joined: str | None = await session.scalar(select(func.group_concat(OrgUnit.id)).where(condition))
        return [int(i) for i in joined.split(",")] if joined else []
    return list((await session.scalars(select(OrgUnit.id).where(condition))).all())


async def children(session: AsyncSession, *, unit: OrgUnit, include_inactive: bool = False) -> list[OrgUnit]:
    query = select(OrgUnit).where(OrgUnit.parent_id == unit.id).order_by(OrgUnit.name, OrgUnit.id)
    if not include_inactive:
        query = query.where(OrgUnit.is_active.is_(True))
    return list((await session.scalars(query)).all())


async def ancestors(session: AsyncSession, *, unit: OrgUnit) -> list[OrgUnit]:
    """From the root down to the unit's parent."""
    ids = path_ids(unit.path)[:-1]
    if not ids:
        return []
    rows = await session.scalars(select(OrgUnit).where(OrgUnit.id.in_(ids)))
    by_id = {u.id: u for u in rows.all()}
    return [by_id[i] for i in ids if i in by_id]


async def _rewrite_prefix(
    session: AsyncSession, *, old_prefix: str, new_prefix: str, depth_delta: int
) -> None:
    """One UPDATE moving every row under `old_prefix` (itself included) to `new_prefix`."""
    await session.execute(
        update(OrgUnit)
        .where(under(session, old_prefix))
        .values(
            path=literal(new_prefix).concat(func.substr(OrgUnit.path, len(old_prefix) + 1)),
            depth=OrgUnit.depth + depth_delta,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )


async def move_unit(session: AsyncSession, *, actor: str, unit: OrgUnit, new_parent: OrgUnit) -> OrgUnit:
    """Put `unit` and its whole subtree under `new_parent`, in one UPDATE of the paths."""
    if is_within(new_parent.path, unit.path):
        raise InvalidMove("Không thể chuyển đơn vị vào chính nó hoặc đơn vị cấp dưới của nó.")
    if not unit.is_active or not new_parent.is_active:
        raise InvalidMove("Chỉ chuyển được giữa các đơn vị đang hoạt động.", code="unit_inactive")
    if unit.parent_id == new_parent.id:
        return unit
    await session.flush()
    await session.refresh(unit)  # earlier bulk UPDATEs in this transaction may have moved either
    await session.refresh(new_parent)
    if is_within(new_parent.path, unit.path):
        raise InvalidMove("Không thể chuyển đơn vị vào chính nó hoặc đơn vị cấp dưới của nó.")
    before = audit.unit_snapshot(unit)
    old_path = unit.path
    await _rewrite_prefix(
        session,
        old_prefix=old_path,
        new_prefix=child_path(new_parent, unit.id),
        depth_delta=new_parent.depth + 1 - unit.depth,
    )
    await session.execute(
        update(OrgUnit)
        .where(OrgUnit.id == unit.id)
        .values(parent_id=new_parent.id)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(unit)
    await audit.record(
        session, actor, "unit.move", "unit", unit.id, before, audit.unit_snapshot(unit), unit_path=unit.path
    )
    return unit


async def merge_units(session: AsyncSession, *, actor: str, source: OrgUnit, survivor: OrgUnit) -> OrgUnit:
    """Fold `source` into `survivor`: children, roles and chats move; `source` stays as an inactive row
    pointing at the survivor, so its code still resolves and reports filed for it stay with it."""
    if source.id == survivor.id or is_within(survivor.path, source.path):
        raise InvalidMove("Không thể sáp nhập đơn vị vào chính nó hoặc đơn vị cấp dưới của nó.")
    if not source.is_active or not survivor.is_active:
        raise InvalidMove("Chỉ sáp nhập được các đơn vị đang hoạt động.", code="unit_inactive")
    await session.flush()
    await session.refresh(source)
    await session.refresh(survivor)
    before_source, before_survivor = audit.unit_snapshot(source), audit.unit_snapshot(survivor)
    moved_children = await subtree_ids(session, path=source.path, include_inactive=True)
    await session.execute(
        update(OrgUnit)
        .where(OrgUnit.parent_id == source.id)
        .values(parent_id=survivor.id)
        .execution_options(synchronize_session=False)
    )
    # Children keep their own ids in the path; only the `/…/source/` prefix becomes the survivor's.
    await session.execute(
        update(OrgUnit)
        .where(under(session, source.path), OrgUnit.id != source.id)
        .values(
            path=literal(survivor.path).concat(func.substr(OrgUnit.path, len(source.path) + 1)),
            depth=OrgUnit.depth + (survivor.depth - source.depth),
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    already = aliased(RoleAssignment)
    duplicate = select(already.id).where(
        already.unit_id == survivor.id,
        already.person_id == RoleAssignment.person_id,
        already.role == RoleAssignment.role,
    )
    await session.execute(
        delete(RoleAssignment)
        .where(RoleAssignment.unit_id == source.id, duplicate.exists())
        .execution_options(synchronize_session=False)
    )
    roles = await session.execute(
        update(RoleAssignment)
        .where(RoleAssignment.unit_id == source.id)
        .values(unit_id=survivor.id)
        .execution_options(synchronize_session=False)
    )
    chats = await session.execute(
        update(Chat)
        .where(Chat.unit_id == source.id)
        .values(unit_id=survivor.id)
        .execution_options(synchronize_session=False)
    )
    survivor.member_count += source.member_count
    source.is_active = False
    source.merged_into_id = survivor.id
    await session.flush()
    await session.refresh(source)
    await session.refresh(survivor)
    note = (
        f"units_moved={len(moved_children) - 1} roles_moved={roles.rowcount}"  # type: ignore[attr-defined]
        f" chats_moved={chats.rowcount}"  # type: ignore[attr-defined]
    )
    await audit.record(
        session,
        actor,
        "unit.merge",
        "unit",
        source.id,
        before_source,
        audit.unit_snapshot(source),
        unit_path=source.path,
        note=note,
    )
    await audit.record(
        session,
        actor,
        "unit.absorb",
        "unit",
        survivor.id,
        before_survivor,
        audit.unit_snapshot(survivor),
        unit_path=survivor.path,
        note=f"merged={source.code}",
    )
    return survivor


async def deactivate_unit(
    session: AsyncSession, *, actor: str, unit: OrgUnit, cascade: bool = False
) -> OrgUnit:
    """Deactivate a unit; with `cascade`, its whole subtree. Without it, active children forbid it."""
    await session.flush()
    await session.refresh(unit)
    active_below = [i for i in await subtree_ids(session, path=unit.path) if i != unit.id]
    if active_below and not cascade:
        raise Conflict(
            "Đơn vị còn đơn vị cấp dưới đang hoạt động; hãy chuyển, sáp nhập hoặc ngừng cả nhánh.",
            code="has_active_children",
        )
    before = audit.unit_snapshot(unit)
    await session.flush()
    await session.execute(
        update(OrgUnit)
        .where(under(session, unit.path), OrgUnit.is_active.is_(True))
        .values(is_active=False, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    await session.refresh(unit)
    await audit.record(
        session,
        actor,
        "unit.deactivate",
        "unit",
        unit.id,
        before,
        audit.unit_snapshot(unit),
        unit_path=unit.path,
        note=f"units={len(active_below) + 1}",
    )
    return unit
