"""Petition services on the real database: routing, reference numbers, forwarding, answers, anonymity."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from archive.petition_reports import list_petitions, officer_view, petition_stats
from archive.petitions import (
    PetitionError,
    answer_petition,
    close_petition,
    forward_petition,
    submit_petition,
)
from directory.access import scope_for_person
from directory.models import Role
from storage.db import Database
from tests.archive.factories import make_person, make_province


async def test_routing_reference_forward_answer_close(db: Database) -> None:
    async with db.transaction() as s:
        p = await make_province(s)
        routed = await submit_petition(
            s,
            sender=p.member_a,
            category="tien_luong",
            text="Đề nghị chi trả tiền làm thêm giờ.",
            sender_chat_id=7004,
        )
        petition = routed.petition
        assert re.fullmatch(r"KN-\d{4}-\d{6}", petition.reference or "")
        assert petition.status == "new" and routed.handling_unit == p.district_a
        assert {(r.person_id, r.role, r.telegram_chat_id) for r in routed.recipients} == {
            (p.leader_a.id, Role.leader, 7003),
            (p.officer_a.id, Role.officer, 7002),
        }
        officer_a = await scope_for_person(s, person=p.officer_a)
        officer_province = await scope_for_person(s, person=p.officer_province)
        leader = await scope_for_person(s, person=p.leader_a)
        with pytest.raises(PetitionError) as denied:
            await answer_petition(s, scope=leader, petition_id=petition.id, answer="Đã nhận")
        assert denied.value.code == "forbidden"
        up = await forward_petition(s, scope=officer_a, petition_id=petition.id)
        assert up.handling_unit == p.province and petition.status == "forwarded" and petition.forwarded_at
        assert [r.person_id for r in up.recipients] == [p.officer_province.id]
        # the district no longer handles it; the province cannot send it higher
        with pytest.raises(PetitionError) as not_theirs:
            await answer_petition(s, scope=officer_a, petition_id=petition.id, answer="x")
        assert not_theirs.value.code == "forbidden"
        with pytest.raises(PetitionError) as top:
            await forward_petition(s, scope=officer_province, petition_id=petition.id)
        assert top.value.code == "top_level"
        await answer_petition(
            s, scope=officer_province, petition_id=petition.id, answer="LĐLĐ tỉnh đã làm việc với đơn vị."
        )
        assert petition.status == "answered" and petition.answered_at and petition.answer
        with pytest.raises(PetitionError):
            await answer_petition(s, scope=officer_province, petition_id=petition.id, answer="lần hai")
        sender = await scope_for_person(s, person=p.member_a)
        await close_petition(s, scope=sender, petition_id=petition.id)
        assert petition.status == "closed" and petition.closed_at


async def test_anonymity_hides_the_person_not_the_unit(db: Database) -> None:
    async with db.transaction() as s:
        p = await make_province(s)
        named = (await submit_petition(s, sender=p.member_a, category="an_toan", text="Thiếu quạt")).petition
        hidden = (
            await submit_petition(
                s, sender=p.member_a, category="an_toan", text="Bị ép tăng ca", anonymous=True
            )
        ).petition
        shown, masked = await officer_view(s, petition=named), await officer_view(s, petition=hidden)
        assert (
            shown["sender_name"] == "Trần Văn Minh" and shown["unit_name"] == "CĐCS Trường THCS Lý Tự Trọng"
        )
        assert masked["sender_name"] is None and masked["unit_name"] == "CĐCS Trường THCS Lý Tự Trọng"
        assert "Trần Văn Minh" not in repr(masked)


async def test_list_is_scoped_and_stats_count_time_to_answer(db: Database) -> None:
    async with db.transaction() as s:
        p = await make_province(s)
        a1 = (await submit_petition(s, sender=p.member_a, category="tien_luong", text="a1")).petition
        await submit_petition(s, sender=p.member_a, category="viec_lam", text="a2")
        b1 = (await submit_petition(s, sender=p.member_b, category="tien_luong", text="b1")).petition
        # member_b's district has no officer: the province handles it directly
        assert b1.handling_unit_id == p.province.id
        officer_a = await scope_for_person(s, person=p.officer_a)
        officer_province = await scope_for_person(s, person=p.officer_province)
        assert {x.text for x in await list_petitions(s, scope=officer_a)} == {"a1", "a2"}
        assert len(await list_petitions(s, scope=officer_province)) == 3
        assert [x.text for x in await list_petitions(s, scope=officer_province, category="viec_lam")] == [
            "a2"
        ]
        member = await scope_for_person(s, person=p.member_a)
        assert await list_petitions(s, scope=member) == []
        await answer_petition(s, scope=officer_a, petition_id=a1.id, answer="Đã giải quyết")
        a1.answered_at = a1.created_at + timedelta(hours=5)
        await s.flush()
        stats = await petition_stats(s, scope=officer_province)
        assert (
            stats["total"]["total"] == 3 and stats["total"]["answered"] == 1 and stats["total"]["open"] == 2
        )
        by_cat = {c["category"]: c for c in stats["by_category"]}
        assert by_cat["tien_luong"]["total"] == 2 and by_cat["tien_luong"]["avg_hours_to_answer"] == 5.0
        by_unit = {u["unit_name"]: u["total"] for u in stats["by_unit"]}
        assert by_unit == {"CĐCS Trường THCS Lý Tự Trọng": 2, "CĐCS Trường THCS Kim Đồng": 1}


async def test_sender_needs_a_unit_and_content(db: Database) -> None:
    async with db.transaction() as s:
        p = await make_province(s)
        stranger = await make_person(s, "Người lạ")
        with pytest.raises(PetitionError) as no_unit:
            await submit_petition(s, sender=stranger, category="khac", text="xin chào")
        assert no_unit.value.code == "no_unit"
        with pytest.raises(PetitionError) as empty:
            await submit_petition(s, sender=p.member_a, category="khac", text="   ")
        assert empty.value.code == "empty"
        with pytest.raises(PetitionError) as bad:
            await submit_petition(s, sender=p.member_a, category="khong_co", text="x")
        assert bad.value.code == "bad_category"
