"""The guided form as people answer it on phones: each step echoes what was understood, a figure in
words never replaces an earlier figure, and yes/no questions have Có/Không buttons and accept `có ạ`,
`khong co`."""

from __future__ import annotations

from typing import Any

from tests.reports.test_chat import button, last_text, setup, stored


async def test_form_echoes_refuses_words_and_offers_yes_no_buttons(harness_factory: Any) -> None:
    async with harness_factory("polling") as h:
        sb = h.client
        t, _, ids = await setup(h)
        chat = ids["G5"]
        msg_id, data = await button(sb, chat, 1, "rpf:start:")
        await sb.press_button(chat, msg_id, data)
        assert "Câu 1/5" in await last_text(sb, chat, 2)
        await sb.send_user_message(chat, text="1.240")
        step = await last_text(sb, chat, 3)
        assert "✔️ Đã hiểu: Tổng số đoàn viên: 1.240 người" in step and "Câu 2/5" in step
        msg_id, data = await button(sb, chat, 3, "rpf:back")
        await sb.press_button(chat, msg_id, data)
        assert "Câu 1/5" in await last_text(sb, chat, 4)
        await sb.send_user_message(chat, text="khoang 1 tram")
        refused = await last_text(sb, chat, 5)
        assert "«tram» là số viết bằng chữ — xin gõ bằng chữ số, ví dụ 100" in refused
        assert "Câu 1/5" in refused and "Đã nhập: 1.240" in refused
        await sb.send_user_message(chat, text="1,3k")
        assert "✔️ Đã hiểu: Tổng số đoàn viên: 1.300 người ← đã gõ «1,3k»" in await last_text(sb, chat, 6)
        await sb.send_user_message(chat, text="2oo")
        assert "«2oo» có chữ «o» lẫn trong số — có phải 200?" in await last_text(sb, chat, 7)
        await sb.send_user_message(chat, text="12")
        await sb.send_user_message(chat, text="300")
        assert "Câu 4/5" in await last_text(sb, chat, 9)
        await sb.send_user_message(chat, text="45,5 %")
        question = await last_text(sb, chat, 10)
        assert "✔️ Đã hiểu: Tỷ lệ CNVCLĐ được tuyên truyền: 45,5%" in question and "Câu 5/5" in question
        msgs = await sb.wait_for_messages(chat, count=10)
        labels = [b["text"] for row in msgs[-1]["reply_markup"]["inline_keyboard"] for b in row]
        assert labels[:2] == ["Có", "Không"]
        await sb.send_user_message(chat, text="có lẽ")
        again = await last_text(sb, chat, 11)
        assert "(hd): đã nhập «có lẽ» — cần «có» hoặc «không»" in again and "Câu 5/5" in again
        await sb.send_user_message(chat, text="khong co")
        summary = await last_text(sb, chat, 12)
        assert "Loa đã hiểu" in summary and "Có tổ chức hội nghị NLĐ: Không" in summary
        msg_id, data = await button(sb, chat, 12, "rpf:back")
        await sb.press_button(chat, msg_id, data)
        assert "Câu 5/5" in await last_text(sb, chat, 13)
        await sb.send_user_message(chat, text="có ạ")
        assert "Có tổ chức hội nghị NLĐ: Có" in await last_text(sb, chat, 14)
        msg_id, data = await button(sb, chat, 14, "rpf:back")
        await sb.press_button(chat, msg_id, data)
        msg_id, data = await button(sb, chat, 15, "rpf:a:khong")
        await sb.press_button(chat, msg_id, data)
        assert "Có tổ chức hội nghị NLĐ: Không" in await last_text(sb, chat, 16)
        await sb.send_user_message(chat, text="xem lai")
        hint = await last_text(sb, chat, 17)
        assert "Xin bấm" in hint
        msg_id, data = await button(sb, chat, 17, "rpf:ok")
        await sb.press_button(chat, msg_id, data)
        done = await last_text(sb, chat, 18)
        assert "Đã nhận báo cáo" in done and "Đã hiểu:" in done
        [rev] = await stored(h.loa.db, t.g["G5"].id)
        assert rev.values == {"tt": "1300", "kn": "12", "ntg": "300", "tl": "45.5", "hd": False}
