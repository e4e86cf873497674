"""Petitions through the real bot: routing to the leader and the officer above, anonymity, forwarding up
one level, answering by reply and by button, the answer reaching the sender."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from sqlalchemy import select

from archive.petitions import petition_for_message
from archive.tables import Petition
from handlers.petitions import PetitionAnswer, PetitionForm
from storage.db import Database
from tests.archive.factories import make_province
from tests.archive.helpers import button_starting, buttons, wait_state


async def notice_recorded(db: Database, chat_id: int, message_id: int) -> None:
    async def found() -> bool:
        async with db.transaction() as s:
            return await petition_for_message(s, chat_id=chat_id, message_id=message_id) is not None

    deadline = asyncio.get_running_loop().time() + 10
    while not await found():
        assert asyncio.get_running_loop().time() < deadline, "the notice was never recorded"
        await asyncio.sleep(0.05)


async def test_anonymous_petition_travels_up_and_gets_an_answer(db: Database, running_bot: Any) -> None:
    async with db.transaction() as s:
        p = await make_province(s)
    member, leader, officer_a, officer_province = 7004, 7003, 7002, 7001
    sb = running_bot.client
    for uid in (member, leader, officer_a, officer_province):
        await sb.create_user(first_name=f"U{uid}", user_id=uid)
    await sb.send_user_message(member, text="/kiennghi")
    ask = (await sb.wait_for_messages(member))[0]
    await sb.press_button(member, ask["message_id"], buttons(ask)["Tiền lương, chế độ chính sách"])
    await wait_state(running_bot, member, PetitionForm.content)
    await sb.send_user_message(
        member, photo=b"\x89PNG fake", caption="Chưa được trả tiền làm thêm giờ tháng 10."
    )
    anon = (await sb.wait_for_messages(member, count=2))[1]
    await wait_state(running_bot, member, PetitionForm.anonymity)
    await sb.press_button(member, anon["message_id"], button_starting(anon, "🕶"))
    sent = (await sb.wait_for_messages(member, count=3))[2]
    ref = re.search(r"KN-\d{4}-\d{6}", sent["text"])
    assert ref is not None and "LĐLĐ thành phố Tam Kỳ" in sent["text"]
    # the CĐCS chair and the district officer are told; they see the unit, never the person
    for uid in (leader, officer_a):
        notice = (await sb.wait_for_messages(uid, count=2))[0]
        assert ref.group(0) in notice["text"] and "Ẩn danh" in notice["text"]
        assert "CĐCS Trường THCS Lý Tự Trọng" in notice["text"] and "Trần Văn Minh" not in notice["text"]
        assert "photo" in (await sb.wait_for_messages(uid, count=2))[1]
    assert await sb.get_messages(officer_province) == []
    # the district officer forwards it one level up
    notice_a = (await sb.get_messages(officer_a))[0]
    await sb.press_button(officer_a, notice_a["message_id"], button_starting(notice_a, "⬆️"))
    up = (await sb.wait_for_messages(officer_province, count=1))[0]
    assert "chuyển lên" in up["text"] and ref.group(0) in up["text"] and "Trần Văn Minh" not in up["text"]
    # the province officer answers by replying to the notice (once Loa has recorded it as sent: a person
    # never replies within the instant between the send and that record); the answer reaches the sender
    await notice_recorded(db, officer_province, up["message_id"])
    await sb.send_user_message(
        officer_province,
        text="LĐLĐ tỉnh đã đề nghị đơn vị chi trả trong tháng 11.",
        reply_to_message_id=up["message_id"],
    )
    answer = (await sb.wait_for_messages(member, count=4))[3]
    assert ref.group(0) in answer["text"] and "chi trả trong tháng 11" in answer["text"]
    done = await sb.wait_for_messages(
        officer_province, count=1, predicate=lambda m: "Đã gửi trả lời" in m.get("text", "")
    )
    assert done

    async def stored() -> Petition | None:
        async with db.transaction() as s:
            return await s.scalar(select(Petition).where(Petition.status == "answered"))

    petition = await sb.wait_until(stored, lambda x: x is not None, what="answered petition")
    assert petition.anonymous and petition.handling_unit_id == p.province.id
    assert petition.forwarded_at is not None and petition.answered_at is not None


async def test_named_petition_answered_with_the_button(db: Database, harness_factory: Any) -> None:
    async with db.transaction() as s:
        await make_province(s)
    member, officer_a, officer_province = 7004, 7002, 7001
    async with harness_factory("polling") as h:
        sb = h.client
        for uid in (member, officer_a, officer_province, 7003):
            await sb.create_user(first_name=f"U{uid}", user_id=uid)
        await sb.send_user_message(member, text="📝 Gửi kiến nghị")
        ask = (await sb.wait_for_messages(member))[0]
        await sb.press_button(member, ask["message_id"], buttons(ask)["Đời sống, phúc lợi"])
        await wait_state(h, member, PetitionForm.content)
        await sb.send_user_message(member, text="Đề nghị tổ chức khám sức khoẻ định kỳ.")
        anon = (await sb.wait_for_messages(member, count=2))[1]
        await wait_state(h, member, PetitionForm.anonymity)
        await sb.press_button(member, anon["message_id"], button_starting(anon, "👤"))
        await sb.wait_for_messages(member, count=3)
        notice = (await sb.wait_for_messages(officer_a))[0]
        assert "Trần Văn Minh" in notice["text"] and "khám sức khoẻ" in notice["text"]
        # the CĐCS chair is told but cannot answer: that is the officers' job
        chair_notice = (await sb.wait_for_messages(7003))[0]
        await notice_recorded(db, 7003, chair_notice["message_id"])
        await sb.send_user_message(
            7003, text="Tôi trả lời thay", reply_to_message_id=chair_notice["message_id"]
        )
        await sb.wait_for_messages(7003, predicate=lambda m: "không phụ trách" in m.get("text", ""))
        await sb.press_button(officer_a, notice["message_id"], button_starting(notice, "✍️"))
        prompt = (await sb.wait_for_messages(officer_a, count=2))[1]
        assert "Xin gõ nội dung trả lời" in prompt["text"]
        await wait_state(h, officer_a, PetitionAnswer.text)
        await sb.send_user_message(officer_a, text="Công đoàn sẽ làm việc với nhà trường trong tuần này.")
        answer = (await sb.wait_for_messages(member, count=4))[3]
        assert "làm việc với nhà trường" in answer["text"]
        # a second answer is refused politely
        await sb.send_user_message(
            officer_a, text="trả lời lần hai", reply_to_message_id=notice["message_id"]
        )
        refused = await sb.wait_for_messages(
            officer_a, predicate=lambda m: "đã được trả lời hoặc đã đóng" in m.get("text", "")
        )
        assert refused
        # /huy leaves a petition half-written without sending anything
        await sb.send_user_message(member, text="/kiennghi")
        ask2 = (await sb.wait_for_messages(member, count=5))[4]
        await sb.press_button(member, ask2["message_id"], buttons(ask2)["Khác"])
        await wait_state(h, member, PetitionForm.content)
        await sb.send_user_message(member, text="/huy")
        cancelled = (await sb.wait_for_messages(member, count=6))[5]
        assert "Đã huỷ" in cancelled["text"]
