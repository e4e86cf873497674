"""Registering on Zalo with the invitation's short code, in polling and webhook mode; the webhook's secret."""

from __future__ import annotations

import re
from typing import Any

import aiohttp
from sqlalchemy import func, select

from directory.invitations import create_invitation, format_short_code
from directory.models import Chat, MessengerAddress, Person, Role
from storage.db import Database
from storage.runtime_models import ProcessedUpdate
from tests.directory_chat.factories import make_tree, scope_of
from tests.zalo.conftest import ZALO_SECRET, ZaloHarness


async def test_chair_registers_by_short_code(db: Database, zalo_bot: ZaloHarness) -> None:
    async with db.transaction() as s:
        t = await make_tree(s)
        made = await create_invitation(
            s, scope=await scope_of(s, t.officer_a), unit=t.school_a, role=Role.leader
        )
    zc = zalo_bot.zc
    hoa = await zc.create_user("Lê Thị Hoa")
    await zc.send_user_message(hoa["id"], f"DK {format_short_code(made.short_code).lower()}")
    msgs = await zc.wait_for_text(hoa["id"], "Đăng ký thành công")
    assert "CĐCS Trường THCS Hòa Tiến" in msgs[0]["text"]
    assert all("<b>" not in m["text"] and len(m["text"]) <= 2000 for m in msgs)
    await zc.send_user_message(hoa["id"], "/toi")
    msgs = await zc.wait_for_text(hoa["id"], "DN-HV-01")
    async with db.transaction() as s:
        person = await s.scalar(select(Person).where(Person.full_name == "Lê Thị Hoa"))
        assert person is not None and person.zalo_user_id is not None and person.telegram_user_id is None
        chat = await s.scalar(select(Chat).where(Chat.person_id == person.id))
        assert chat is not None and chat.channel == "zalo" and chat.address == hoa["id"]
        assert chat.telegram_chat_id == person.zalo_user_id >= 9 * 10**15


async def test_webhook_refuses_wrong_or_missing_secret(db: Database, zalo_factory: Any) -> None:
    update = {
        "event_name": "message.text.received",
        "message": {
            "message_id": "m-forged",
            "from": {"id": "forger", "display_name": "X"},
            "chat": {"id": "forger", "chat_type": "PRIVATE"},
            "date": 1,
            "text": "/start",
        },
    }
    async with zalo_factory("webhook") as h:
        url = h.api_base + "/zalo/webhook"
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {"X-Bot-Api-Secret-Token": "wrong-secret"}):
                async with http.post(url, json=update, headers=headers) as resp:
                    assert resp.status == 403
                    assert (await resp.json())["error"]["code"] == "bad_secret"
            async with http.post(
                url, json={"no": "event"}, headers={"X-Bot-Api-Secret-Token": ZALO_SECRET}
            ) as resp:
                assert resp.status == 400
    async with db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(MessengerAddress)) == 0
        assert await s.scalar(select(func.count()).select_from(ProcessedUpdate)) == 0
    assert await h.zc.get_messages("forger") == []


async def test_link_zalo_from_toi_without_registering_again(db: Database, zalo_factory: Any) -> None:
    async with db.transaction() as s:
        t = await make_tree(s)
        made = await create_invitation(
            s, scope=await scope_of(s, t.officer_a), unit=t.school_a, role=Role.leader
        )
    async with zalo_factory("polling") as h:
        tg, zc = h.client, h.zc
        user = await tg.create_user(first_name="Hoa")
        await tg.send_user_message(user["id"], text=f"/start {made.token}")
        await tg.wait_for_messages(user["id"], count=1)
        await tg.send_user_message(user["id"], text="/toi")
        toi = (await tg.wait_for_messages(user["id"], count=2))[-1]["text"]
        assert "Đang dùng Loa trên: Telegram" in toi and "/ketnoi" in toi
        await tg.send_user_message(user["id"], text="/ketnoi")
        shown = (await tg.wait_for_messages(user["id"], count=3))[-1]["text"]
        code = re.search(r"/ketnoi (\w+)", shown)
        assert code is not None and "Zalo" in shown
        hoa = await zc.create_user("Hoa")
        await zc.send_user_message(hoa["id"], "/ketnoi SAIMA234")
        await zc.wait_for_text(hoa["id"], "không đúng hoặc đã hết hạn")
        await zc.send_user_message(hoa["id"], f"/ketnoi {code.group(1).lower()}")
        await zc.wait_for_text(hoa["id"], "Telegram, Zalo")
        await zc.send_user_message(hoa["id"], "/toi")
        msgs = await zc.wait_for_text(hoa["id"], "DN-HV-01")
        assert "Chủ tịch CĐCS" in msgs[-1]["text"]
        other = await zc.create_user("Người khác")
        await zc.send_user_message(other["id"], f"/ketnoi {code.group(1)}")  # single use
        await zc.wait_for_text(other["id"], "không đúng hoặc đã hết hạn")
    async with db.transaction() as s:
        people = list(await s.scalars(select(Person).where(Person.full_name == "Hoa")))
        assert len(people) == 1 and people[0].telegram_user_id == user["id"] and people[0].zalo_user_id
        chats = list(await s.scalars(select(Chat).where(Chat.person_id == people[0].id)))
        assert sorted(c.channel for c in chats) == ["telegram", "zalo"]
