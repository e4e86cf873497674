"""Small data factories for the chat/invitation tests: units with materialised paths, people, roles."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from directory.models import OrgUnit, Person, Role, UnitKind
from tests.factories import make_person, make_unit, scope_of

__all__ = ["Tree", "make_person", "make_tree", "make_unit", "scope_of"]


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
