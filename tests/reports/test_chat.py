"""The real bot through the sandbox: each way of replying, errors then a fix, a restart mid-form,
and the officer's /thongke, /xuatbaocao, «nhắc lại» and review."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from directory.models import Chat, Person
from reports.models import ReportRevision, ReportSubmission
from reports.scheduled import announce_pending
from storage.base import utcnow
from storage.db import Database
from tests.reports.factories import Tree, round_for, template, tree

JSON = dict[str, Any]


async def setup(h: Any) -> tuple[Tree, int, dict[str, int]]:
    """Tree + open round; every leader and officer gets a sandbox user; the round is announced."""
    sb, loa = h.client, h.loa
    await sb.set_limits(enabled=False)  # the tests type faster than a person; flood control is tested apart
    ids: dict[str, int] = {}
    async with loa.db.transaction() as session:
        t = await tree(session)
        r = await round_for(
            session, t, await template(session), deadline=utcnow() + timedelta(days=5), now=utcnow()
        )
        people = {**{code: p for code, p in t.leaders.items()}, "OP": t.officer_p, "OD1": t.officer_d1}
        for code, person in people.items():
            user = await sb.create_user(first_name=person.full_name)
            ids[code] = user["id"]
            chat = await session.scalar(select(Chat).where(Chat.person_id == person.id))
            assert chat is not None
            person.telegram_user_id = user["id"]
            chat.telegram_chat_id = user["id"]
        round_id = r.id
    await announce_pending(db=loa.db, settings=loa.settings)  # the harness's worker sends the requests
    for code in ("G1", "G2", "G3", "G5"):
        await sb.wait_for_messages(ids[code], count=1)
    return t, round_id, ids


async def last_text(sb: Any, chat_id: int, count: int) -> str:
    msgs = await sb.wait_for_messages(chat_id, count=count)
    return str(msgs[-1].get("text") or msgs[-1].get("caption") or "")


async def button(sb: Any, chat_id: int, count: int, prefix: str) -> tuple[int, str]:
    msgs = await sb.wait_for_messages(chat_id, count=count)
    for m in reversed(msgs):
        for row in (m.get("reply_markup") or {}).get("inline_keyboard", []):
            for b in row:
                if b.get("callback_data", "").startswith(prefix):
                    return int(m["message_id"]), str(b["callback_data"])
    raise AssertionError(f"no button {prefix} in chat {chat_id}")


async def stored(db: Database, unit_id: int) -> list[ReportRevision]:
    async with db.sessions() as session:
        sub = await session.scalar(select(ReportSubmission).where(ReportSubmission.unit_id == unit_id))
        if sub is None:
            return []
        rows = await session.scalars(
            select(ReportRevision)
            .where(ReportRevision.submission_id == sub.id)
            .order_by(ReportRevision.number)
        )
        return list(rows)


async def test_reply_to_the_request_with_one_line(running_bot: Any) -> None:
    sb = running_bot.client
    t, _, ids = await setup(running_bot)
    request = (await sb.wait_for_messages(ids["G1"], count=1))[0]
    assert "Yêu cầu báo cáo" in request["text"] and "Hạn nộp" in request["text"]
    await sb.send_user_message(
        ids["G1"], text="1.200 người 12 300", reply_to_message_id=request["message_id"]
    )
    reply = await last_text(sb, ids["G1"], 2)
    assert "Đã nhận báo cáo" in reply and "1.200 người" in reply
    [rev] = await stored(running_bot.loa.db, t.g["G1"].id)
    assert rev.values == {"tt": "1200", "kn": "12", "ntg": "300"} and rev.channel == "line"


async def test_baocao_command_by_code_error_then_fix_then_revision(harness_factory: Any) -> None:
    async with harness_factory("polling") as h:
        sb = h.client
        t, _, ids = await setup(h)
        await sb.send_user_message(ids["G2"], text="/baocao TK kn=200 tt=120 ntg=abc")
        error = await last_text(sb, ids["G2"], 2)
        assert "Chưa lưu báo cáo" in error
        assert "«Số người tham gia hoạt động» (ntg): «abc» không phải là một con số" in error
        assert await stored(h.loa.db, t.g["G2"].id) == []
        await sb.send_user_message(ids["G2"], text="/baocao tk kn=200 tt=120 ntg=5")
        error = await last_text(sb, ids["G2"], 3)
        assert "«Số đoàn viên kết nạp mới» (kn): đã nhập 200 — cần không lớn hơn" in error
        await sb.send_user_message(ids["G2"], text="/baocao TK kn=khoảng 20 tt=120 ntg=5")
        ok = await last_text(sb, ids["G2"], 4)
        assert "Đã nhận báo cáo" in ok and "20 người (ước tính)" in ok
        await sb.send_user_message(ids["G2"], text="/baocao TK kn=21 tt=120 ntg=5")
        again = await last_text(sb, ids["G2"], 5)
        assert "bản sửa lần 1" in again
        revs = await stored(h.loa.db, t.g["G2"].id)
        assert [(r.number, r.values["kn"], r.estimates) for r in revs] == [(1, "20", ["kn"]), (2, "21", [])]


async def test_guided_form_with_error_back_skip_and_confirm(harness_factory: Any) -> None:
    async with harness_factory("polling") as h:
        sb = h.client
        t, _, ids = await setup(h)
        chat = ids["G5"]
        msg_id, data = await button(sb, chat, 1, "rpf:start:")
        await sb.press_button(chat, msg_id, data)
        assert "Câu 1/5" in await last_text(sb, chat, 2)
        await sb.send_user_message(chat, text="1.000 người")
        step = await last_text(sb, chat, 3)
        assert "✔️ Đã hiểu: Tổng số đoàn viên: 1.000 người" in step and "Câu 2/5" in step
        await sb.send_user_message(chat, text="mười")
        error = await last_text(sb, chat, 4)
        assert "(kn): «mười» là số viết bằng chữ — xin gõ bằng chữ số, ví dụ 10" in error
        assert "Câu 2/5" in error
        await sb.send_user_message(chat, text="10")
        assert "Câu 3/5" in await last_text(sb, chat, 5)
        msg_id, data = await button(sb, chat, 5, "rpf:back")
        await sb.press_button(chat, msg_id, data)
        back = await last_text(sb, chat, 6)
        assert "Câu 2/5" in back and "Đã nhập: 10" in back
        await sb.send_user_message(chat, text="12")
        assert "Câu 3/5" in await last_text(sb, chat, 7)
        await sb.send_user_message(chat, text="300")
        assert "Câu 4/5" in await last_text(sb, chat, 8)
        msg_id, data = await button(sb, chat, 8, "rpf:skip")  # optional percentage
        await sb.press_button(chat, msg_id, data)
        assert "Câu 5/5" in await last_text(sb, chat, 9)
        await sb.send_user_message(chat, text="co")
        summary = await last_text(sb, chat, 10)
        assert "kiểm tra lại" in summary and "1.000 người" in summary and "(bỏ trống)" in summary
        assert await stored(h.loa.db, t.g["G5"].id) == []  # nothing stored before confirming
        msg_id, data = await button(sb, chat, 10, "rpf:ok")
        await sb.press_button(chat, msg_id, data)
        assert "Đã nhận báo cáo" in await last_text(sb, chat, 11)
        [rev] = await stored(h.loa.db, t.g["G5"].id)
        assert rev.values == {"tt": "1000", "kn": "12", "ntg": "300", "hd": True} and rev.channel == "form"


async def test_form_in_progress_survives_a_restart(harness_factory: Any) -> None:
    async with harness_factory("polling") as h:
        sb = h.client
        t, _, ids = await setup(h)
        chat = ids["G3"]
        msg_id, data = await button(sb, chat, 1, "rpf:start:")
        await sb.press_button(chat, msg_id, data)
        assert "Câu 1/5" in await last_text(sb, chat, 2)
        await sb.send_user_message(chat, text="80")
        assert "Câu 2/5" in await last_text(sb, chat, 3)
        await sb.send_user_message(chat, text="8")
        assert "Câu 3/5" in await last_text(sb, chat, 4)
        await h.restart()
        await sb.send_user_message(chat, text="40")
        assert "Câu 4/5" in await last_text(sb, chat, 5)
        await sb.send_user_message(chat, text="50%")
        assert "Câu 5/5" in await last_text(sb, chat, 6)
        await sb.send_user_message(chat, text="không")
        assert "kiểm tra lại" in await last_text(sb, chat, 7)
        await sb.send_user_message(chat, text="gửi")
        assert "Đã nhận báo cáo" in await last_text(sb, chat, 8)
        [rev] = await stored(h.loa.db, t.g["G3"].id)
        assert rev.values == {"tt": "80", "kn": "8", "ntg": "40", "tl": "50", "hd": False}


async def test_officer_stats_export_remind_and_review(harness_factory: Any) -> None:
    async with harness_factory("polling") as h:
        sb = h.client
        t, _, ids = await setup(h)
        request = (await sb.wait_for_messages(ids["G1"], count=1))[0]
        await sb.send_user_message(ids["G1"], text="100 10 50", reply_to_message_id=request["message_id"])
        await sb.wait_for_messages(ids["G1"], count=2)
        officer = ids["OD1"]
        await sb.send_user_message(officer, text="/thongke")
        msgs = await sb.wait_for_messages(officer, count=2)
        assert "Đã nộp: 1/2 (50%), đúng hạn: 1/2 (50%)" in msgs[0]["text"]
        assert "CĐ G2" in msgs[0]["text"] and "photo" in msgs[1]
        await sb.send_user_message(officer, text="/xuatbaocao")
        doc = (await sb.wait_for_messages(officer, count=3))[-1]
        assert doc["document"]["file_name"].endswith(".xlsx")
        before = len(await sb.get_messages(ids["G2"]))
        msg_id, data = await button(sb, officer, 3, "rpo:remind:")
        await sb.press_button(officer, msg_id, data)
        assert "Đã nhắc lại 1 người" in await last_text(sb, officer, 4)
        assert len(await sb.wait_for_messages(ids["G2"], count=before + 1)) == before + 1
        assert len(await sb.get_messages(ids["G1"])) == 2  # G1 has submitted: not reminded
        await sb.send_user_message(officer, text="/duyet")
        msg_id, data = await button(sb, officer, 5, "rpv:ret:")
        await sb.press_button(officer, msg_id, data)
        assert "lý do trả lại" in await last_text(sb, officer, 6)
        await sb.send_user_message(officer, text="Số kết nạp chưa khớp")
        assert "Đã trả lại" in await last_text(sb, officer, 7)
        notice = await last_text(sb, ids["G1"], 3)
        assert "bị trả lại" in notice and "Số kết nạp chưa khớp" in notice
        async with h.loa.db.sessions() as session:
            sub = await session.scalar(
                select(ReportSubmission).where(ReportSubmission.unit_id == t.g["G1"].id)
            )
            assert sub is not None and (sub.status, sub.review_comment) == (
                "returned",
                "Số kết nạp chưa khớp",
            )


async def test_not_a_leader_cannot_report(harness_factory: Any) -> None:
    async with harness_factory("polling") as h:
        sb = h.client
        await setup(h)
        stranger = await sb.create_user(first_name="Khách")
        await sb.send_user_message(stranger["id"], text="/baocao TK 1 2 3")
        assert "Chỉ Chủ tịch CĐCS" in await last_text(sb, stranger["id"], 1)
        async with h.loa.db.sessions() as session:
            assert (
                await session.scalar(select(Person).where(Person.telegram_user_id == stranger["id"])) is None
            )


async def test_menu_buttons_open_the_report_and_the_statistics(harness_factory: Any) -> None:
    async with harness_factory("polling") as h:
        sb = h.client
        _, round_id, ids = await setup(h)
        await sb.send_user_message(ids["G1"], text="📋 Báo cáo số liệu")
        offer = (await sb.wait_for_messages(ids["G1"], count=2))[-1]
        assert "/baocao TK" in offer["text"]
        assert offer["reply_markup"]["inline_keyboard"][0][0]["callback_data"].startswith(
            f"rpf:start:{round_id}:"
        )
        await sb.send_user_message(ids["OP"], text="📊 Thống kê báo cáo")
        stats = await sb.wait_for_messages(ids["OP"], count=3)  # the «unreachable» note, the text, the chart
        assert "Đã nộp: 0/5" in stats[1]["text"] and "photo" in stats[2]
        await sb.send_user_message(ids["G1"], text="📊 Thống kê báo cáo")
        assert "dành cho cán bộ" in await last_text(sb, ids["G1"], 3)
