"""The officer's /guitin flow and the "Đã nhận" button, through the real bot and the sandbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from bot.runner import Role as RunRole
from broadcasts.models import Acknowledgment, Broadcast
from directory.models import Chat, Person, Role
from storage.db import Database
from tests.broadcasts import factories as f

PDF = b"%PDF-1.4 chi thi 07"


def buttons(msg: dict[str, Any]) -> dict[str, str]:
    rows = (msg.get("reply_markup") or {}).get("inline_keyboard", [])
    return {b["text"]: b.get("callback_data", "") for row in rows for b in row}


def find(msg: dict[str, Any], prefix: str) -> str:
    return next(data for text, data in buttons(msg).items() if text.startswith(prefix))


async def test_officer_composes_a_directive_and_groups_acknowledge(
    db: Database, harness_factory: Callable[..., Any]
) -> None:
    async with harness_factory("polling", roles=frozenset({RunRole.bot, RunRole.worker})) as h:
        c = h.client
        async with db.transaction() as s:
            p = await f.province(s, uppers=1, per_upper=2)
            for person in (await s.scalars(select(Person))).all():
                user = await c.create_user(person.full_name)
                chat = await s.scalar(select(Chat).where(Chat.person_id == person.id))
                person.telegram_user_id = user["id"]
                if chat is not None:
                    chat.telegram_chat_id = user["id"]
            for g in p.groups:
                group = await c.create_group(g.title, member_ids=[f.tg(p.leaders[0]), f.tg(p.leaders[1])])
                g.telegram_chat_id = group["id"]
            upper, officer_id, province_id = p.uppers[0], f.tg(p.officer), p.province.id
            group_ids = [g.telegram_chat_id for g in p.groups]

        await c.send_user_message(officer_id, "/guitin")
        await c.wait_for_messages(
            officer_id, predicate=lambda m: "nội dung cần phát" in (m.get("text") or "")
        )
        await c.send_user_message(
            officer_id,
            document=PDF,
            file_name="chi-thi-07.pdf",
            caption="Chỉ thị 07 về công tác thông tin, báo cáo",
        )
        (tree,) = await c.wait_for_messages(
            officer_id, predicate=lambda m: "Chọn đơn vị" in (m.get("text") or "")
        )
        await c.press_button(officer_id, tree["message_id"], f"bcw:nav:{province_id}")
        await c.wait_for_callback_answers(1)
        await c.press_button(officer_id, tree["message_id"], f"bcw:pick:{upper.id}")
        await c.wait_for_callback_answers(2)
        await c.press_button(officer_id, tree["message_id"], "bcw:preview")
        await c.wait_for_callback_answers(3)
        (preview,) = [m for m in await c.get_messages(officer_id) if m["message_id"] == tree["message_id"]]
        assert "Xem trước" in preview["text"] and "4 nơi nhận" in preview["text"]  # 2 block groups + 2 CĐCS
        await c.press_button(officer_id, tree["message_id"], "bcw:now")
        await c.wait_for_messages(officer_id, predicate=lambda m: "Bắt đầu gửi" in (m.get("text") or ""))

        for gid in group_ids:
            (doc,) = await c.wait_for_messages(gid, timeout=15)
            assert doc["document"]["file_name"] == "chi-thi-07.pdf" and "Chỉ thị 07" in doc["caption"]
        async with db.transaction() as s:
            b = await s.scalar(select(Broadcast))
            assert b is not None and b.require_ack is False
        summary = await c.wait_for_messages(
            officer_id, timeout=20, predicate=lambda m: "Đã gửi xong" in (m.get("text") or "")
        )
        assert "Theo đơn vị" in summary[0]["text"]


async def test_ack_button_records_once_and_shows_the_count(
    db: Database, harness_factory: Callable[..., Any]
) -> None:
    async with harness_factory("polling", roles=frozenset({RunRole.bot, RunRole.worker})) as h:
        c = h.client
        leader_a, leader_b = await c.create_user("Chủ tịch A"), await c.create_user("Chủ tịch B")
        group = await c.create_group("Khối cơ quan", member_ids=[leader_a["id"], leader_b["id"]])
        async with db.transaction() as s:
            p = await f.province(s, uppers=1, per_upper=1)
            for g in p.groups[1:]:
                g.is_active = False
            p.groups[0].telegram_chat_id = group["id"]
            from broadcasts.config import BroadcastConfig
            from tests.broadcasts.helpers import scope, sending_broadcast

            b = await sending_broadcast(
                s,
                scope(p.officer, p.province, Role.officer),
                [p.uppers[0].id],
                require_ack=True,
                config=BroadcastConfig(approval_wide_kinds=()),
                content={"kind": "text", "html": "<b>Kế hoạch 98</b>: xin xác nhận đã nhận."},
            )
        (msg,) = await c.wait_for_messages(group["id"], timeout=15)
        data = buttons(msg)["✅ Đã nhận"]
        for user in (leader_a, leader_a, leader_b):
            await c.press_button(user["id"], msg["message_id"], data, chat_id=group["id"])
        answers = await c.wait_for_callback_answers(3)
        thanks, already = "Đã ghi nhận «Đã nhận». Cảm ơn đồng chí!", "Đồng chí đã xác nhận tin này rồi."
        assert sorted(a["text"] for a in answers) == sorted(
            [thanks, thanks, already]
        )  # presses run concurrently
        await c.wait_until(
            lambda: c.get_messages(group["id"]),
            lambda msgs: "✅ Đã nhận (2)" in buttons(msgs[0]),
            what="the button shows two acknowledgments",
        )
        async with db.transaction() as s:
            rows = (await s.scalars(select(Acknowledgment).where(Acknowledgment.broadcast_id == b.id))).all()
        assert sorted(r.telegram_user_id for r in rows) == sorted([leader_a["id"], leader_b["id"]])
        assert {r.unit_id for r in rows} == {p.uppers[0].id}
