"""Importing the unit list: validate every row first, then apply everything or nothing.

Units are matched by code (upsert), so importing the same file twice changes nothing the second time,
and a dry run reports the same plan without writing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from common.vietnamese import fold
from directory import audit, grants, people, tree
from directory.access import AccessDenied, Scope
from directory.errors import ImportRejected
from directory.models import Block, OrgUnit, Person, Role, RoleAssignment
from directory.spreadsheet import RawRow
from directory.unit_rows import RowErrors, UnitRow, parse_rows

CHUNK = 500


@dataclass
class ImportResult:
    dry_run: bool
    created: list[str] = field(default_factory=list)
    updated: list[dict[str, Any]] = field(default_factory=list)
    moved: list[dict[str, Any]] = field(default_factory=list)
    leaders: list[dict[str, Any]] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.moved or self.leaders)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "changed": self.changed,
            "created": self.created,
            "updated": self.updated,
            "moved": self.moved,
            "leaders": self.leaders,
            "unchanged": self.unchanged,
        }


async def _load_units(session: AsyncSession, codes: set[str]) -> dict[str, OrgUnit]:
    found: dict[str, OrgUnit] = {}
    ordered = sorted(codes)
    for start in range(0, len(ordered), CHUNK):
        rows = await session.scalars(select(OrgUnit).where(OrgUnit.code.in_(ordered[start : start + CHUNK])))
        found.update({u.code: u for u in rows.all()})
    return found


async def _parent_codes_of(session: AsyncSession, units: list[OrgUnit]) -> dict[str, str | None]:
    """Current parent code of each unit and of all its ancestors (for cycle checks across the DB)."""
    ids = sorted({i for u in units for i in tree.path_ids(u.path)})
    by_id: dict[int, tuple[str, int | None]] = {}
    for start in range(0, len(ids), CHUNK):
        rows = await session.execute(
            select(OrgUnit.id, OrgUnit.code, OrgUnit.parent_id).where(
                OrgUnit.id.in_(ids[start : start + CHUNK])
            )
        )
        by_id.update({i: (c, p) for i, c, p in rows.tuples()})
    return {code: by_id[p][0] if p is not None and p in by_id else None for code, p in by_id.values()}


async def _current_leaders(session: AsyncSession, unit_ids: list[int]) -> dict[int, list[Person]]:
    leaders: dict[int, list[Person]] = {}
    for start in range(0, len(unit_ids), CHUNK):
        rows = await session.execute(
            select(RoleAssignment.unit_id, Person)
            .join(Person, Person.id == RoleAssignment.person_id)
            .where(
                RoleAssignment.unit_id.in_(unit_ids[start : start + CHUNK]), RoleAssignment.role == "leader"
            )
            .order_by(RoleAssignment.id)
        )
        for unit_id, person in rows.tuples():
            leaders.setdefault(unit_id, []).append(person)
    return leaders


def _leader_matches(current: list[Person], row: UnitRow) -> bool:
    if len(current) != 1:
        return False
    person = current[0]
    return person.full_name == row.leader_name and person.phone == row.leader_phone


@dataclass
class _Plan:
    rows: list[UnitRow]
    existing: dict[str, OrgUnit]
    db_parent: dict[str, str | None]
    creates: list[UnitRow] = field(default_factory=list)
    updates: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    moves: list[UnitRow] = field(default_factory=list)
    leader_rows: list[UnitRow] = field(default_factory=list)


async def _plan(session: AsyncSession, raw: list[RawRow], scope: Scope | None) -> _Plan:
    errors = RowErrors()
    blocks: dict[str, str] = {}
    for b in (await session.scalars(select(Block))).all():
        for name in (b.code, b.name, b.name.removeprefix("Khối ")):
            blocks[fold(name)] = b.code
    rows = parse_rows(raw, blocks, errors)
    first_row: dict[str, int] = {}
    for row in rows:
        if row.code and row.code in first_row:
            errors.add(row.number, "code", f"Mã đơn vị {row.code} trùng với dòng {first_row[row.code]}.")
        first_row.setdefault(row.code, row.number)
    by_code = {row.code: row for row in rows if row.code}
    existing = await _load_units(session, set(by_code) | {r.parent_code for r in rows if r.parent_code})
    parent_of = await _parent_codes_of(session, list(existing.values()))
    has_root = (
        await session.scalar(select(OrgUnit.id).where(OrgUnit.parent_id.is_(None)).limit(1)) is not None
    )
    new_roots = [r for r in rows if not r.parent_code and r.code not in existing]
    denied: list[str] = []
    for row in rows:
        unit = existing.get(row.code)
        if scope is not None and unit is not None and not scope.allows(Role.admin, unit.path):
            denied.append(row.code)
        if not row.parent_code:
            if unit is not None and unit.parent_id is not None:
                errors.add(row.number, "parent_code", "Thiếu mã đơn vị cấp trên.")
            elif unit is None and (has_root or len(new_roots) > 1):
                errors.add(row.number, "parent_code", "Thiếu mã đơn vị cấp trên (cây đã có đơn vị gốc).")
            elif unit is None and scope is not None:
                denied.append(row.code)
            continue
        if row.parent_code == row.code:
            errors.add(row.number, "parent_code", "Đơn vị không thể là cấp trên của chính nó.")
            continue
        parent = existing.get(row.parent_code)
        if parent is None and row.parent_code not in by_code:
            errors.add(row.number, "parent_code", f"Không tìm thấy đơn vị cấp trên mã {row.parent_code}.")
        elif parent is not None and row.parent_code not in by_code:
            stays = unit is not None and parent_of.get(row.code) == row.parent_code
            if scope is not None and not stays and not scope.allows(Role.admin, parent.path):
                denied.append(row.code)
    if denied:
        raise AccessDenied(
            f"Tệp có đơn vị ngoài phạm vi quyền quản trị: {', '.join(sorted(set(denied))[:20])}."
        )
    plan = _Plan(rows, existing, dict(parent_of))
    for row in rows:
        parent_of[row.code] = row.parent_code or None
    _check_cycles(rows, parent_of, errors)
    _diff(plan, by_code, errors)
    await _check_deactivations(session, plan, by_code, errors)
    await _plan_leaders(session, plan)
    if errors.items:
        errors.items.sort(key=lambda e: e["row"])
        raise ImportRejected(
            f"Tệp có {len(errors.items)} lỗi; chưa nhập dòng nào. Xin sửa các dòng sau rồi nhập lại.",
            errors=errors.items,
        )
    return plan


def _check_cycles(rows: list[UnitRow], parent_of: dict[str, str | None], errors: RowErrors) -> None:
    for row in rows:
        seen = {row.code}
        current = parent_of.get(row.code)
        while current is not None:
            if current in seen:
                errors.add(row.number, "parent_code", "Quan hệ cấp trên tạo thành vòng lặp.")
                break
            seen.add(current)
            current = parent_of.get(current)


def _final_active(code: str, plan: _Plan, by_code: dict[str, UnitRow]) -> bool:
    row, unit = by_code.get(code), plan.existing.get(code)
    if row is not None and row.active is not None:
        return row.active
    return unit.is_active if unit is not None else True


def _diff(plan: _Plan, by_code: dict[str, UnitRow], errors: RowErrors) -> None:
    for row in plan.rows:
        active = _final_active(row.code, plan, by_code)
        if active and row.parent_code and not _final_active(row.parent_code, plan, by_code):
            errors.add(row.number, "parent_code", f"Đơn vị cấp trên {row.parent_code} không còn hoạt động.")
        unit = plan.existing.get(row.code)
        if unit is None:
            plan.creates.append(row)
            continue
        changes: dict[str, list[Any]] = {}
        wanted: dict[str, Any] = {"name": row.name, "kind": row.kind, "block": row.block, "is_active": active}
        if row.member_count is not None:
            wanted["member_count"] = row.member_count
        for name, value in wanted.items():
            if getattr(unit, name) != value:
                changes[name] = [getattr(unit, name), value]
        moved = bool(row.parent_code) and row.parent_code != plan.db_parent.get(row.code)
        if unit.merged_into_id is not None and (changes or moved):
            errors.add(row.number, "code", f"Đơn vị {row.code} đã được sáp nhập; không sửa được.")
        if changes:
            plan.updates[row.code] = changes
        if moved:
            plan.moves.append(row)


async def _check_deactivations(
    session: AsyncSession, plan: _Plan, by_code: dict[str, UnitRow], errors: RowErrors
) -> None:
    """A unit the file switches off must not keep active children the file leaves under it."""
    for code, changes in plan.updates.items():
        if changes.get("is_active") != [True, False]:
            continue
        unit = plan.existing[code]
        kids = await session.scalars(
            select(OrgUnit.code).where(OrgUnit.parent_id == unit.id, OrgUnit.is_active.is_(True))
        )
        staying = [k for k in kids.all() if k not in by_code or by_code[k].parent_code == code]
        staying = [k for k in staying if _final_active(k, plan, by_code)]
        if staying:
            errors.add(
                by_code[code].number, "active",
                f"Không thể ngừng hoạt động: còn đơn vị cấp dưới đang hoạt động ({', '.join(staying[:5])}).",
            )  # fmt: skip


async def _plan_leaders(session: AsyncSession, plan: _Plan) -> None:
    wanted = [r for r in plan.rows if r.leader_name]
    current = await _current_leaders(
        session, [plan.existing[r.code].id for r in wanted if r.code in plan.existing]
    )
    for row in wanted:
        unit = plan.existing.get(row.code)
        if unit is None or not _leader_matches(current.get(unit.id, []), row):
            plan.leader_rows.append(row)


def _result(plan: _Plan, dry_run: bool) -> ImportResult:
    result = ImportResult(dry_run=dry_run)
    result.created = [r.code for r in plan.creates]
    result.updated = [{"code": c, "changes": ch} for c, ch in plan.updates.items()]
    result.moved = [
        {"code": r.code, "from": plan.db_parent.get(r.code), "to": r.parent_code} for r in plan.moves
    ]
    result.leaders = [
        {"code": r.code, "name": r.leader_name, "phone": people.display_phone(r.leader_phone)}
        for r in plan.leader_rows
    ]
    touched = {r.code for r in plan.creates} | set(plan.updates) | {r.code for r in plan.moves}
    touched |= {r.code for r in plan.leader_rows}
    result.unchanged = len(plan.rows) - len(touched)
    return result


async def import_units(
    session: AsyncSession,
    *,
    actor: str,
    rows: list[RawRow],
    dry_run: bool = False,
    scope: Scope | None = None,
) -> ImportResult:
    """Validate all rows, then (unless `dry_run`) create, update, move and set chairs in one transaction.

    With a `scope` (API callers) every touched unit must lie in the caller's admin subtrees.
    Raises ImportRejected listing every bad row; nothing is written then.
    """
    plan = await _plan(session, rows, scope)
    result = _result(plan, dry_run)
    if dry_run or not result.changed:
        return result
    units = dict(plan.existing)
    await _apply_creates(session, actor, plan, units)
    for code, changes in plan.updates.items():
        unit = units[code]
        now = {k: v[1] for k, v in changes.items() if k != "is_active" or v[1]}
        if now:
            await _apply_fields(session, actor, unit, now)
    depth = _final_depths(plan)
    for row in sorted(plan.moves, key=lambda r: depth[r.code]):
        await tree.move_unit(session, actor=actor, unit=units[row.code], new_parent=units[row.parent_code])
    for code, changes in plan.updates.items():
        if changes.get("is_active", [None, True])[1] is False:
            await _apply_fields(session, actor, units[code], {"is_active": False})
    for row in plan.leader_rows:
        unit = units[row.code]
        await session.refresh(unit)
        await _set_leader(session, actor, unit, row, scope)
    await session.flush()
    return result


def _final_depths(plan: _Plan) -> dict[str, int]:
    parents = dict(plan.db_parent)
    parents.update({r.code: r.parent_code or None for r in plan.rows})
    depths: dict[str, int] = {}

    def depth(code: str) -> int:
        if code not in depths:
            parent = parents.get(code)
            depths[code] = 0 if parent is None else depth(parent) + 1
        return depths[code]

    for row in plan.rows:
        depth(row.code)
    return depths


async def _apply_creates(session: AsyncSession, actor: str, plan: _Plan, units: dict[str, OrgUnit]) -> None:
    """Create new units level by level: one batched INSERT per level, then their paths."""
    depth = _final_depths(plan)
    for level in sorted({depth[r.code] for r in plan.creates}):
        batch = [r for r in plan.creates if depth[r.code] == level]
        created = []
        for row in batch:
            parent = units.get(row.parent_code) if row.parent_code else None
            unit = OrgUnit(
                code=row.code, name=row.name, kind=row.kind, block=row.block,
                member_count=row.member_count or 0, is_active=row.active is not False,
                parent_id=parent.id if parent else None, path="", depth=parent.depth + 1 if parent else 0,
            )  # fmt: skip
            session.add(unit)
            created.append((unit, parent))
            units[row.code] = unit
        await session.flush()
        for unit, parent in created:
            unit.path = tree.child_path(parent, unit.id)
            await audit.record(
                session, actor, "unit.create", "unit", unit.id, None, audit.unit_snapshot(unit),
                unit_path=unit.path, note="import",
            )  # fmt: skip
        await session.flush()


async def _apply_fields(session: AsyncSession, actor: str, unit: OrgUnit, changes: dict[str, Any]) -> None:
    before = audit.unit_snapshot(unit)
    for name, value in changes.items():
        setattr(unit, name, value)
    await session.flush()
    await audit.record(
        session, actor, "unit.update", "unit", unit.id, before, audit.unit_snapshot(unit),
        unit_path=unit.path, note="import",
    )  # fmt: skip


async def _set_leader(
    session: AsyncSession, actor: str, unit: OrgUnit, row: UnitRow, scope: Scope | None
) -> None:
    """The file's chair becomes the unit's only leader; a known phone number finds the same person, but
    only one the importer controls (directory/grants.py): a file cannot rename or bind someone above it."""
    current = (await _current_leaders(session, [unit.id])).get(unit.id, [])
    person: Person | None = None
    if row.leader_phone:
        person = next((p for p in current if p.phone == row.leader_phone), None)
        person = person or await people.find_by_phone(session, phone=row.leader_phone)
        if person is not None and scope is not None:
            if person.id not in await grants.controllable(session, scope=scope, person_ids=[person.id]):
                raise ImportRejected(
                    f"Dòng {row.number}: số điện thoại chủ tịch thuộc một người ngoài quyền của bạn.",
                    errors=[{"row": row.number, "column": "leader_phone",
                             "message": "Số điện thoại thuộc một người ngoài quyền của bạn."}],
                )  # fmt: skip
    else:
        person = next((p for p in current if fold(p.full_name) == fold(row.leader_name)), None)
    if person is None:
        person = await people.create_person(
            session, actor=actor, full_name=row.leader_name, phone=row.leader_phone, unit_path=unit.path
        )
    elif person.full_name != row.leader_name or person.phone != row.leader_phone:
        await people.update_person(
            session, actor=actor, person=person, unit_path=unit.path,
            full_name=row.leader_name, phone=row.leader_phone,
        )  # fmt: skip
    await people.assign_role(session, actor=actor, person=person, unit=unit, role=Role.leader)
    for other in current:
        if other.id != person.id:
            assignment = await session.scalar(
                select(RoleAssignment).where(
                    RoleAssignment.person_id == other.id,
                    RoleAssignment.unit_id == unit.id,
                    RoleAssignment.role == Role.leader.value,
                )
            )
            if assignment is not None:
                await people.revoke_role(session, actor=actor, assignment=assignment, unit=unit)
