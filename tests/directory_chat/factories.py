"""Small data factories for the chat/invitation tests: units with materialised paths, people, roles."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from directory.access import Scope, scope_for_person
from directory.models import OrgUnit, Person, Role, RoleAssignment, UnitKind


async def make_unit(
    session: AsyncSession,
    code: str,
    name: str,
    *,
    parent: OrgUnit | None = None,
    kind: UnitKind = UnitKind.grassroots_union,
    block: str | None = None,
    member_count: int = 0,
) -> OrgUnit:
    unit = OrgUnit(
        code=code,
        name=name,
        kind=kind.value,
        block=block,
        member_count=member_count,
        parent_id=parent.id if parent else None,
        depth=parent.depth + 1 if parent else 0,
        path="",
        is_active=True,
    )
    session.add(unit)
    await session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    await session.flush()
    return unit


async def make_person(
    session: AsyncSession,
    name: str,
    *,
    telegram_user_id: int | None = None,
    roles: tuple[tuple[Role, OrgUnit], ...] = (),
) -> Person:
    person = Person(full_name=name, telegram_user_id=telegram_user_id, is_active=True)
    session.add(person)
    await session.flush()
    for role, unit in roles:
        session.add(RoleAssignment(person_id=person.id, unit_id=unit.id, role=role.value))
    await session.flush()
    return person


async def scope_of(session: AsyncSession, person: Person) -> Scope:
    return await scope_for_person(session, person=person)


class Tree:
    """A province with two districts, each with two CĐCS; one officer per district."""

    province: OrgUnit
    district_a: OrgUnit
    district_b: OrgUnit
    school_a: OrgUnit
    commune_a: OrgUnit
    school_b: OrgUnit
    officer_a: Person
    officer_b: Person


async def make_tree(session: AsyncSession) -> Tree:
    t = Tree()
    t.province = await make_unit(session, "DN", "LĐLĐ thành phố Đà Nẵng", kind=UnitKind.province_federation)
    t.district_a = await make_unit(
        session, "DN-HV", "Công đoàn cụm Hòa Vang", parent=t.province, kind=UnitKind.district_federation
    )
    t.district_b = await make_unit(
        session, "DN-TK", "Công đoàn cụm Tam Kỳ", parent=t.province, kind=UnitKind.district_federation
    )
    t.school_a = await make_unit(
        session, "DN-HV-01", "CĐCS Trường THCS Hòa Tiến", parent=t.district_a, block="truong_hoc"
    )
    t.commune_a = await make_unit(
        session, "DN-HV-02", "CĐCS UBND xã Bà Nà", parent=t.district_a, block="xa_phuong"
    )
    t.school_b = await make_unit(
        session, "DN-TK-01", "CĐCS Trường THCS Tam Kỳ", parent=t.district_b, block="truong_hoc"
    )
    t.officer_a = await make_person(
        session, "Nguyễn Văn An", telegram_user_id=5001, roles=((Role.officer, t.district_a),)
    )
    t.officer_b = await make_person(
        session, "Trần Thị Bình", telegram_user_id=5002, roles=((Role.officer, t.district_b),)
    )
    return t
