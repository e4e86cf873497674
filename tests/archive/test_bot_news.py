"""/tinmoi through the real bot: the latest news of the member's units and the subscription switches."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from archive.news import allows
from broadcasts.models import Broadcast
from storage.base import utcnow
from storage.db import Database
from tests.archive.factories import make_province
from tests.archive.helpers import button_starting


async def test_tinmoi_and_switching_categories(db: Database, running_bot: Any) -> None:
    async with db.transaction() as s:
        p = await make_province(s)
        now = utcnow()
        cases: list[tuple[str, int, dict[str, Any]]] = [
            ("Chỉ thị về thông tin cơ sở", 30, {"require_ack": True}),
            ("Tháng Công nhân 2026", 20, {}),
            ("Hội thao CNVCLĐ", 10, {"content": {"html": "Hội thao <b>CNVCLĐ</b>", "category": "event"}}),
        ]
        for title, minutes, extra in cases:
            content = extra.pop("content", {"html": f"<i>{title}</i>"})
            s.add(
                Broadcast(
                    title=title,
                    status="done",
                    content=content,
                    audience={"roots": [p.province.id]},
                    started_at=now - timedelta(minutes=minutes),
                    **extra,
                )
            )
        person_id, member = p.member_a.id, p.member_a.telegram_user_id
    sb = running_bot.client
    await sb.create_user(first_name="Minh", user_id=member)
    await sb.send_user_message(member, text="/tinmoi")
    news, switches = await sb.wait_for_messages(member, count=2)
    assert (
        news["text"].index("Hội thao") < news["text"].index("Tháng Công nhân") < news["text"].index("Chỉ thị")
    )
    assert "<b>" not in news["text"]
    await sb.press_button(member, switches["message_id"], button_starting(switches, "Tin chiến dịch"))
    await sb.wait_until(
        lambda: sb.get_messages(member),
        lambda ms: "đang tắt" in str(ms[1]["reply_markup"]),
        what="switch off shown",
    )

    async def campaign_allowed() -> bool:
        async with db.transaction() as s:
            return await allows(s, person_id=person_id, category="campaign")

    assert await sb.wait_until(campaign_allowed, lambda ok: not ok, what="subscription stored") is False
    await sb.send_user_message(member, text="📰 Tin mới")
    again = (await sb.wait_for_messages(member, count=4))[2]
    assert (
        "Tháng Công nhân" not in again["text"] and "Chỉ thị" in again["text"] and "Hội thao" in again["text"]
    )
    # there is no switch for directives: they always arrive
    assert "Văn bản chỉ đạo" not in str(switches["reply_markup"])
    edited = (await sb.get_messages(member))[1]
    await sb.press_button(member, edited["message_id"], button_starting(edited, "Tin chiến dịch"))
    assert await sb.wait_until(campaign_allowed, lambda ok: ok, what="switched on again") is True
