"""Leaders who forget to tap «reply»: a bare line of figures, `/baocao` with or without the form code, and
the choice between several open requests, through the real bot."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from reports.models import ReportRevision, ReportSubmission
from storage.base import utcnow
from tests.reports.factories import round_for, template
from tests.reports.test_chat import button, last_text, setup, stored


async def test_a_bare_line_goes_to_the_only_open_request(harness_factory: Any) -> None:
    async with harness_factory("polling") as h:
        sb = h.client
        t, _, ids = await setup(h)
        await sb.send_user_message(ids["G1"], text="1234 12 3 co")
        reply = await last_text(sb, ids["G1"], 2)
        assert "Đã nhận báo cáo" in reply and "Đã hiểu:" in reply and "1.234 người" in reply
        [rev] = await stored(h.loa.db, t.g["G1"].id)
        assert rev.values == {"tt": "1234", "kn": "12", "ntg": "3", "hd": True}


async def test_baocao_without_code_with_code_and_with_a_wrong_code(harness_factory: Any) -> None:
    async with harness_factory("polling") as h:
        sb = h.client
        t, _, ids = await setup(h)
        chat = ids["G2"]
        await sb.send_user_message(chat, text="/baocao khoảng 150 12 3")
        assert "Đã nhận báo cáo" in await last_text(sb, chat, 2)
        await sb.send_user_message(chat, text="/baocao kn 6 tt 150 ntg 3")
        assert "bản sửa lần 1" in await last_text(sb, chat, 3)
        await sb.send_user_message(chat, text="/baocao tk 150 7 3")
        assert "bản sửa lần 2" in await last_text(sb, chat, 4)
        await sb.send_user_message(chat, text="/baocao XY 150 8 3")
        wrong = await last_text(sb, chat, 5)
        assert "Không có biểu mẫu «XY» đang mở. Biểu mẫu đang mở: TK (" in wrong
        revs = await stored(h.loa.db, t.g["G2"].id)
        assert [(r.values["tt"], r.values["kn"], r.estimates) for r in revs] == [
            ("150", "12", ["tt"]),
            ("150", "6", []),
            ("150", "7", []),
        ]


async def test_several_open_requests_ask_which_one_with_buttons(harness_factory: Any) -> None:
    async with harness_factory("polling") as h:
        sb, db = h.client, h.loa.db
        t, first_round, ids = await setup(h)
        async with db.transaction() as session:
            other = await round_for(
                session, t, await template(session, "HD"), deadline=utcnow() + timedelta(days=3), now=utcnow()
            )
            other_id = other.id
        chat = ids["G1"]
        await sb.send_user_message(chat, text="100 10 5")
        question = await last_text(sb, chat, 2)
        assert "dành cho kỳ báo cáo nào" in question
        msg_id, data = await button(sb, chat, 2, f"rpl:pick:{other_id}:")
        await sb.press_button(chat, msg_id, data)
        assert "Đã nhận báo cáo" in await last_text(sb, chat, 3)
        async with db.sessions() as session:
            rows = (
                await session.execute(
                    select(ReportSubmission.round_id, ReportRevision.values).join(
                        ReportRevision, ReportRevision.submission_id == ReportSubmission.id
                    )
                )
            ).all()
        assert [(r, v) for r, v in rows] == [(other_id, {"tt": "100", "kn": "10", "ntg": "5"})]
        assert other_id != first_round
        await sb.send_user_message(chat, text="/baocao 100 11 5")
        assert "dành cho kỳ báo cáo nào" in await last_text(sb, chat, 4)


async def test_a_sentence_with_a_number_is_not_taken_for_figures(harness_factory: Any) -> None:
    async with harness_factory("polling") as h:
        sb = h.client
        t, _, ids = await setup(h)
        await sb.send_user_message(ids["G1"], text="cho tôi hỏi về 2 vấn đề trong công văn mới nhé")
        assert "Loa chưa hiểu" in await last_text(sb, ids["G1"], 2)
        assert await stored(h.loa.db, t.g["G1"].id) == []
