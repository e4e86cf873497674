"""Broadcasts on Zalo: a long directive in correct parts, acknowledged by typing «1»; a mixed audience
(Telegram and Zalo groups, people on one or both messengers) reached exactly once per address."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from broadcasts.config import BroadcastConfig
from broadcasts.models import Acknowledgment
from broadcasts.stats import stats, summary_text
from directory.identities import messenger_id_for
from directory.models import Channel, Chat, ChatKind, Role
from outbox.models import OutboxMessage
from storage.db import Database
from tests.broadcasts import factories as f
from tests.broadcasts.helpers import scope, sending_broadcast
from tests.zalo.conftest import ZaloHarness

SENTENCE = "Các cấp công đoàn triển khai kế hoạch tuyên truyền đến từng đoàn viên trong tháng. "
LONG = "<b>Kế hoạch 98</b>\n\n" + SENTENCE * 32  # about 2,700 characters


async def to_zalo(session: Any, chat: Chat, native: str, kind: str) -> None:
    chat.telegram_chat_id = await messenger_id_for(session, channel=Channel.zalo, kind=kind, native_id=native)  # type: ignore[arg-type]
    chat.channel, chat.address = "zalo", native


async def test_mixed_audience_each_address_once_and_ack_by_typing_1(db: Database, zalo_factory: Any) -> None:
    h: ZaloHarness
    async with zalo_factory("polling") as h:
        tg, zc = h.client, h.zc
        z_leader, z_member = await zc.create_user("Chủ tịch Zalo"), await zc.create_user("Đoàn viên Zalo")
        z_group_up = await zc.create_group("Khối trường học (Zalo)", [z_member["id"]])
        z_group_g = await zc.create_group("CĐCS trên Zalo", [z_member["id"]])
        both_zalo = await zc.create_user("Chủ tịch hai nơi")
        t_group_up, t_group_g = (
            await tg.create_group("Khối cơ quan"),
            await tg.create_group("CĐCS trên Telegram"),
        )
        both_tg = await tg.create_user("Chủ tịch hai nơi")
        async with db.transaction() as s:
            p = await f.province(s, uppers=1, per_upper=2)
            up_co_quan, up_truong_hoc, g0_group, g1_group = p.groups
            up_co_quan.telegram_chat_id = t_group_up["id"]
            await to_zalo(s, up_truong_hoc, z_group_up["id"], "group")
            await to_zalo(s, g0_group, z_group_g["id"], "group")
            g1_group.telegram_chat_id = t_group_g["id"]
            zalo_only, both = p.leaders
            only_chat = await s.scalar(select(Chat).where(Chat.person_id == zalo_only.id))
            assert only_chat is not None
            await to_zalo(s, only_chat, z_leader["id"], "user")
            zalo_only.telegram_user_id, zalo_only.zalo_user_id = None, only_chat.telegram_chat_id
            both_chat = await s.scalar(select(Chat).where(Chat.person_id == both.id))
            assert both_chat is not None
            both_chat.telegram_chat_id = both.telegram_user_id = both_tg["id"]
            second = Chat(
                telegram_chat_id=0,
                kind=ChatKind.private.value,
                title=both.full_name,
                person_id=both.id,
                unit_id=both_chat.unit_id,
                is_active=True,
                bot_status="member",
            )
            s.add(second)
            await to_zalo(s, second, both_zalo["id"], "user")
            both.zalo_user_id = second.telegram_chat_id
            b = await sending_broadcast(
                s,
                scope(p.officer, p.province, Role.officer),
                [p.province.id],
                targets=["group", "leader"],
                require_ack=True,
                config=BroadcastConfig(approval_wide_kinds=()),
                content={"kind": "text", "html": LONG},
            )
        zalo_chats = [z_group_up["id"], z_group_g["id"], z_leader["id"], both_zalo["id"]]
        for native in zalo_chats:
            parts = await zc.wait_for_messages(native, count=2, timeout=15)
            assert len(parts) == 2 and all(len(m["text"]) <= 2000 for m in parts)
            assert parts[0]["text"].startswith("Kế hoạch 98") and "<b>" not in parts[0]["text"]
            assert parts[0]["text"].endswith(".") and "Gõ 1 để chọn «✅ Đã nhận»" in parts[1]["text"]
            assert "Gõ 1" not in parts[0]["text"]
        for chat_id in (t_group_up["id"], t_group_g["id"], both_tg["id"]):
            (msg,) = await tg.wait_for_messages(chat_id, timeout=15)
            assert msg["text"].startswith("Kế hoạch 98")
        async with db.transaction() as s:
            records = list(await s.scalars(select(OutboxMessage).where(OutboxMessage.broadcast_id == b.id)))
        assert sorted(r.channel for r in records) == ["telegram"] * 3 + ["zalo"] * 4
        assert len({r.address for r in records}) == 7

        async def per_channel() -> dict[str, dict[str, int]]:
            async with db.transaction() as s:
                return (await stats(s, broadcast_id=b.id, with_units=False)).by_channel

        counts = await zc.wait_until(
            per_channel, lambda c: c == {"telegram": {"sent": 3}, "zalo": {"sent": 4}}, what="all sent"
        )
        assert counts["zalo"]["sent"] == 4
        async with db.transaction() as s:
            st = await stats(s, broadcast_id=b.id, with_units=False)
        assert st.channel_line() == "Telegram 3/3 · Zalo 4/4" and "Zalo 4/4" in summary_text("KH 98", st)
        assert st.as_dict()["by_channel"] == {"telegram": {"sent": 3}, "zalo": {"sent": 4}}

        await zc.send_user_message(z_leader["id"], "1")
        await zc.wait_for_text(z_leader["id"], "Đã ghi nhận «Đã nhận»")
        await zc.send_user_message(z_member["id"], " số 1 ", chat_id=z_group_g["id"])
        await zc.wait_for_text(z_group_g["id"], "Đã ghi nhận «Đã nhận»")

        async def acks() -> list[Acknowledgment]:
            async with db.transaction() as s:
                return list(
                    await s.scalars(select(Acknowledgment).where(Acknowledgment.broadcast_id == b.id))
                )

        rows = await zc.wait_until(acks, lambda rows: len(rows) == 2, what="two acknowledgments")
        assert {r.chat_id for r in rows} == {only_chat.id, g0_group.id}
        # nothing was sent twice: every address still has exactly its parts
        for native in zalo_chats:
            bot_parts = [
                m
                for m in await zc.get_messages(native)
                if "Kế hoạch 98" in m["text"] or SENTENCE[:20] in m["text"]
            ]
            assert len(bot_parts) == 2
        for chat_id in (t_group_up["id"], t_group_g["id"], both_tg["id"]):
            assert len(await tg.get_messages(chat_id)) == 1
