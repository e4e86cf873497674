"""Small data factories for the archive tests: a province with two districts and their CĐCS."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from directory.models import OrgUnit, Person, Role, UnitKind
from tests import factories
from tests.factories import make_unit

__all__ = ["Province", "make_person", "make_province", "make_unit"]


async def make_person(
    session: AsyncSession,
    name: str,
    *,
    telegram_user_id: int | None = None,
    roles: tuple[tuple[Role, OrgUnit], ...] = (),
) -> Person:
    """With a Telegram id, the person has a private chat with the bot too."""
    private_chat = telegram_user_id is not None
    return await factories.make_person(
        session, name, telegram_user_id=telegram_user_id, roles=roles, private_chat=private_chat
    )


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
