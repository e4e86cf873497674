"""Report rounds on Zalo: requests arrive as plain text, a bare line of figures is stored, the guided form
is driven by numbered choices, and with two open rounds Loa asks which one."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from directory.identities import messenger_id_for
from directory.models import Channel, Chat, Person
from reports.models import ReportSubmission
from reports.scheduled import announce_pending
from storage.base import utcnow
from tests.reports.factories import round_for, template, tree
from tests.reports.test_chat import stored
from tests.zalo.conftest import ZaloHarness


async def move_to_zalo(session: Any, zc: Any, person: Person) -> str:
    """The person uses Zalo only: their identity and private chat become Zalo's."""
    user = await zc.create_user(person.full_name)
    mid = await messenger_id_for(session, channel=Channel.zalo, kind="user", native_id=user["id"])
    chat = await session.scalar(select(Chat).where(Chat.person_id == person.id))
    person.telegram_user_id, person.zalo_user_id = None, mid
    chat.telegram_chat_id, chat.channel, chat.address = mid, "zalo", user["id"]
    return str(user["id"])


async def stored_soon(db: Any, unit_id: int, timeout: float = 5.0) -> list[Any]:
    """The confirmation is sent inside the update's transaction: poll for its commit."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        rows = await stored(db, unit_id)
        if rows or asyncio.get_running_loop().time() > deadline:
            return rows
        await asyncio.sleep(0.02)


async def last(zc: Any, chat: str, count: int) -> str:
    msgs = await zc.wait_for_messages(chat, count=count)
    return str(msgs[-1]["text"])


async def test_zalo_leaders_reply_by_line_form_and_choice(zalo_bot: ZaloHarness) -> None:
    zc, loa = zalo_bot.zc, zalo_bot.loa
    assert loa is not None
    ids: dict[str, str] = {}
    async with loa.db.transaction() as session:
        t = await tree(session)
        await round_for(
            session, t, await template(session), deadline=utcnow() + timedelta(days=5), now=utcnow()
        )
        for code in ("G1", "G5"):
            ids[code] = await move_to_zalo(session, zc, t.leaders[code])
    await announce_pending(db=loa.db, settings=loa.settings)
    request = await last(zc, ids["G1"], 1)
    assert (
        "Yêu cầu báo cáo" in request and "<b>" not in request and "Gõ 1 để chọn «📝 Nhập theo mẫu»" in request
    )

    # one line typed on a phone, no reply-to: it goes to the one open request
    await zc.send_user_message(ids["G1"], "1.200 người 12 300")
    reply = await last(zc, ids["G1"], 2)
    assert "Đã nhận báo cáo" in reply and "1.200 người" in reply
    [rev] = await stored_soon(loa.db, t.g["G1"].id)
    assert rev.values == {"tt": "1200", "kn": "12", "ntg": "300"} and rev.channel == "line"

    # the guided form by numbered choices
    chat = ids["G5"]
    await zc.wait_for_messages(chat, count=1)
    await zc.send_user_message(chat, "1")
    assert "Câu 1/5" in await last(zc, chat, 2)
    await zc.send_user_message(chat, "1.000 người")
    assert "Câu 2/5" in await last(zc, chat, 3)
    await zc.send_user_message(chat, "10")
    third = await last(zc, chat, 4)
    assert "Câu 3/5" in third and "Gõ «số N» để chọn" in third  # a bare number is an answer here
    await zc.send_user_message(chat, "số 1")  # ⬅️ Quay lại
    assert "Câu 2/5" in await last(zc, chat, 5)
    await zc.send_user_message(chat, "12")
    assert "Câu 3/5" in await last(zc, chat, 6)
    await zc.send_user_message(chat, "300")
    assert "Câu 4/5" in await last(zc, chat, 7)
    await zc.send_user_message(chat, "bỏ qua")  # the choice's label typed out
    assert "Câu 5/5" in await last(zc, chat, 8)
    await zc.send_user_message(chat, "co")
    summary = await last(zc, chat, 9)
    assert "kiểm tra lại" in summary and "(bỏ trống)" in summary
    assert await stored(loa.db, t.g["G5"].id) == []
    await zc.send_user_message(chat, "số 1")  # ✅ Gửi báo cáo
    assert "Đã nhận báo cáo" in await last(zc, chat, 10)
    [rev] = await stored_soon(loa.db, t.g["G5"].id)
    assert rev.values == {"tt": "1000", "kn": "12", "ntg": "300", "hd": True} and rev.channel == "form"


async def test_two_open_rounds_loa_asks_which(zalo_factory: Any) -> None:
    async with zalo_factory("polling") as h:
        zc, loa = h.zc, h.loa
        async with loa.db.transaction() as session:
            t = await tree(session)
            first = await round_for(
                session, t, await template(session), deadline=utcnow() + timedelta(days=5), now=utcnow()
            )
            second = await round_for(
                session,
                t,
                await template(session, "TK2"),
                deadline=utcnow() + timedelta(days=6),
                now=utcnow(),
            )
            chat = await move_to_zalo(session, zc, t.leaders["G2"])
        await announce_pending(db=loa.db, settings=loa.settings)
        await zc.wait_for_messages(chat, count=2)
        await zc.send_user_message(chat, "100 10 50")
        question = await last(zc, chat, 3)
        assert "dành cho kỳ báo cáo nào" in question and "1. " in question and "2. " in question
        assert await stored(loa.db, t.g["G2"].id) == []
        await zc.send_user_message(chat, "2")
        assert "Đã nhận báo cáo" in await last(zc, chat, 4)
        [rev] = await stored_soon(loa.db, t.g["G2"].id)
        assert rev.values == {"tt": "100", "kn": "10", "ntg": "50"}
        async with loa.db.sessions() as session:
            subs = list(
                await session.scalars(
                    select(ReportSubmission).where(ReportSubmission.unit_id == t.g["G2"].id)
                )
            )
        assert len(subs) == 1 and subs[0].round_id in {first.id, second.id}
