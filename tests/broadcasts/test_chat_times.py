"""/guitin «hẹn giờ» with times typed the way people write them; the understood time is echoed back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from broadcasts.models import Broadcast
from common.vietnamese import VN_TZ
from directory.models import Chat, Person
from storage.db import Database
from tests.broadcasts import factories as f


def texts(msgs: list[dict[str, Any]]) -> list[str]:
    return [m.get("text") or "" for m in msgs]


async def test_schedule_with_a_time_written_the_vietnamese_way(
    db: Database, harness_factory: Callable[..., Any]
) -> None:
    async with harness_factory("polling") as h:
        c = h.client
        async with db.transaction() as s:
            p = await f.province(s, uppers=1, per_upper=1)
            for person in (await s.scalars(select(Person))).all():
                user = await c.create_user(person.full_name)
                chat = await s.scalar(select(Chat).where(Chat.person_id == person.id))
                person.telegram_user_id = user["id"]
                if chat is not None:
                    chat.telegram_chat_id = user["id"]
            upper, officer_id, province_id = p.uppers[0], f.tg(p.officer), p.province.id
        await c.send_user_message(officer_id, "/guitin")
        await c.wait_for_messages(
            officer_id, predicate=lambda m: "nội dung cần phát" in (m.get("text") or "")
        )
        await c.send_user_message(officer_id, "Thông báo lịch họp Ban Chấp hành")
        (tree,) = await c.wait_for_messages(
            officer_id, predicate=lambda m: "Chọn đơn vị" in (m.get("text") or "")
        )
        await c.press_button(officer_id, tree["message_id"], f"bcw:nav:{province_id}")
        await c.wait_for_callback_answers(1)
        await c.press_button(officer_id, tree["message_id"], f"bcw:pick:{upper.id}")
        await c.wait_for_callback_answers(2)
        await c.press_button(officer_id, tree["message_id"], "bcw:preview")
        await c.wait_for_callback_answers(3)
        await c.press_button(officer_id, tree["message_id"], "bcw:later")
        await c.wait_for_callback_answers(4)  # answered after the question was sent (held replies keep order)
        count = len(await c.get_messages(officer_id))
        await c.send_user_message(officer_id, "7h30 14/12 chiều xyz")
        refused = texts(await c.wait_for_messages(officer_id, count=count + 1))[-1]
        assert "Chưa hiểu thời điểm «7h30 14/12 chiều xyz»" in refused and "sáng mai" in refused
        await c.send_user_message(officer_id, "7h30 sang 14/12/2030")
        msgs = texts(await c.wait_for_messages(officer_id, count=count + 3))
        assert "🕖 Sẽ gửi lúc 07:30 thứ Bảy 14/12/2030." in msgs[count + 1]
        async with db.sessions() as s:
            b = await s.scalar(select(Broadcast))
            assert b is not None and b.scheduled_at is not None
            assert b.scheduled_at.astimezone(VN_TZ) == datetime(2030, 12, 14, 7, 30, tzinfo=VN_TZ)
