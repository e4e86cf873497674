"""Small data factories for the archive tests: a province with two districts and their CĐCS."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from directory.models import Chat, ChatKind, OrgUnit, Person, Role, RoleAssignment, UnitKind


async def make_unit(
    session: AsyncSession,
    code: str,
    name: str,
    *,
    parent: OrgUnit | None = None,
    kind: UnitKind = UnitKind.grassroots_union,
) -> OrgUnit:
    unit = OrgUnit(
        code=code,
        name=name,
        kind=kind.value,
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
    if telegram_user_id is not None:
        session.add(Chat(telegram_chat_id=telegram_user_id, kind=ChatKind.private.value, person_id=person.id))
    await session.flush()
    return person


@dataclass
class Province:
    province: OrgUnit
    district_a: OrgUnit
    district_b: OrgUnit
    school_a: OrgUnit
    school_b: OrgUnit
    officer_province: Person
    officer_a: Person
    leader_a: Person
    member_a: Person
    member_b: Person


async def make_province(session: AsyncSession) -> Province:
    province = await make_unit(session, "QN", "LĐLĐ tỉnh Quảng Nam", kind=UnitKind.province_federation)
    district_a = await make_unit(
        session, "QN-TK", "LĐLĐ thành phố Tam Kỳ", parent=province, kind=UnitKind.district_federation
    )
    district_b = await make_unit(
        session, "QN-HA", "LĐLĐ thành phố Hội An", parent=province, kind=UnitKind.district_federation
    )
    school_a = await make_unit(session, "QN-TK-01", "CĐCS Trường THCS Lý Tự Trọng", parent=district_a)
    school_b = await make_unit(session, "QN-HA-01", "CĐCS Trường THCS Kim Đồng", parent=district_b)
    return Province(
        province=province,
        district_a=district_a,
        district_b=district_b,
        school_a=school_a,
        school_b=school_b,
        officer_province=await make_person(
            session, "Phạm Văn Tỉnh", telegram_user_id=7001, roles=((Role.officer, province),)
        ),
        officer_a=await make_person(
            session, "Nguyễn Văn An", telegram_user_id=7002, roles=((Role.officer, district_a),)
        ),
        leader_a=await make_person(
            session, "Lê Thị Hoa", telegram_user_id=7003, roles=((Role.leader, school_a),)
        ),
        member_a=await make_person(
            session, "Trần Văn Minh", telegram_user_id=7004, roles=((Role.member, school_a),)
        ),
        member_b=await make_person(
            session, "Võ Thị Lan", telegram_user_id=7005, roles=((Role.member, school_b),)
        ),
    )
