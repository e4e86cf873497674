"""People: phone numbers, roles, and who to ask (leaders of a unit, officers above it)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from directory import people
from directory.errors import InvalidInput
from directory.models import AuditEntry, Department, Role
from storage.db import Database
from tests.directory.conftest import ACTOR, make_person, make_unit


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0912345678", "+84912345678"),
        ("0912 345 678", "+84912345678"),
        ("0912.345.678", "+84912345678"),
        ("+84 912-345-678", "+84912345678"),
        ("84912345678", "+84912345678"),
        ("0084912345678", "+84912345678"),
        ("'+84912345678", "+84912345678"),
        ("024 3825 3781", "+842438253781"),
        ("", None),
        (None, None),
    ],
)
def test_normalize_phone(raw: str | None, expected: str | None) -> None:
    assert people.normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12345", "0012345678", "09123456789012", "abc", "+1 202 555 0100"])
def test_bad_phone(raw: str) -> None:
    with pytest.raises(InvalidInput):
        people.normalize_phone(raw)


def test_display_phone() -> None:
    assert people.display_phone("+84912345678") == "0912345678"
    assert people.display_phone(None) == ""


async def test_roles_are_idempotent_and_audited(db: Database) -> None:
    async with db.transaction() as s:
        root = await make_unit(s, "R", kind="confederation")
        p = await make_person(s, "Lê Văn Cường", phone="0912 345 678")
        first = await people.assign_role(s, actor=ACTOR, person=p, unit=root, role=Role.officer)
        again = await people.assign_role(
            s, actor=ACTOR, person=p, unit=root, role=Role.officer, department=Department.propaganda.value
        )
        assert again.id == first.id and again.department == "tuyen_giao"
        with pytest.raises(InvalidInput):
            await people.assign_role(
                s, actor=ACTOR, person=p, unit=root, role=Role.member, department="tuyen_giao"
            )
        assert (await people.find_by_phone(s, phone="+84912345678")) is p
        await people.revoke_role(s, actor=ACTOR, assignment=again, unit=root)
        assert await people.roles_of(s, person_id=p.id) == []
        actions = (await s.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all()
        assert actions[-4:] == ["person.create", "role.assign", "role.update", "role.revoke"]


async def test_leaders_of_and_officers_above(db: Database) -> None:
    async with db.transaction() as s:
        root = await make_unit(s, "R", kind="confederation")
        prov = await make_unit(s, "P", root, kind="province_federation")
        dist = await make_unit(s, "D", prov, kind="district_federation")
        cdcs = await make_unit(s, "C", dist)
        chair = await make_person(s, "Chủ tịch C", unit=cdcs, role=Role.leader)
        await make_person(s, "Đoàn viên C", unit=cdcs, role=Role.member)
        prov_officer = await make_person(s, "Cán bộ tỉnh", unit=prov, role=Role.officer)
        assert [p.id for p in await people.leaders_of(s, unit=cdcs)] == [chair.id]
        # the district has no officer yet: the nearest is the province
        assert [p.id for p in await people.officers_above(s, unit=cdcs)] == [prov_officer.id]
        dist_officer = await make_person(
            s, "Cán bộ huyện", unit=dist, role=Role.officer, department=Department.office.value
        )
        assert [p.id for p in await people.officers_above(s, unit=cdcs)] == [dist_officer.id]
        assert await people.officers_above(s, unit=cdcs, department="tuyen_giao") == [prov_officer]
        assert await people.officers_above(s, unit=root) == []
        listed = await people.list_people(s, roots=[dist.path])
        assert {p.full_name for p in listed} == {"Chủ tịch C", "Đoàn viên C", "Cán bộ huyện"}
        assert [p.id for p in await people.list_people(s, roots=[root.path], query="0912")] == []
        assert [p.full_name for p in await people.list_people(s, roots=[root.path], query="tỉnh")] == [
            "Cán bộ tỉnh"
        ]
