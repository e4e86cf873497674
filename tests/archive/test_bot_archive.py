"""/vanban through the real bot and the sandbox: diacritics, numbers, ranking, pages, permissions,
and choosing a result sends the summary and the file."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from archive.document_numbers import DocumentKind
from archive.documents import NewDocument, attach_file, create_document
from archive.models import Document
from archive.sample import import_sample
from archive.tables import DocumentFile
from handlers.archive import ArchiveSearch, DocCb
from storage.db import Database
from tests.archive.factories import make_province
from tests.archive.helpers import button_starting, buttons, wait_state


async def test_search_without_diacritics_numbers_and_open_document(db: Database, running_bot: Any) -> None:
    async with db.transaction() as s:
        p = await make_province(s)
        await import_sample(s)
        ct07 = await create_document(
            s,
            new=NewDocument(
                kind=DocumentKind.directive,
                number="07-CT/TW",
                issuer="Ban Bí thư",
                subject="Về đẩy mạnh công tác thông tin cơ sở trong tình hình mới",
                body="Ban Bí thư yêu cầu đẩy mạnh công tác thông tin cơ sở.",
                issued_on=date(2016, 9, 5),
            ),
        )
        await attach_file(
            s, document_id=ct07.id, filename="07-CT-TW.pdf", mime_type="application/pdf", data=b"%PDF-1.4"
        )
        member = p.member_a.telegram_user_id
    sb = running_bot.client
    await sb.create_user(first_name="Minh", user_id=member)
    await sb.send_user_message(member, text="/vanban chi thi 07")
    results = (await sb.wait_for_messages(member, count=1))[0]
    assert "Kết quả cho «chi thi 07»" in results["text"]
    labels = [t for t in buttons(results) if t[0].isdigit()]
    assert labels[:2] == ["1. Chỉ thị 07-CT/TW", "2. Báo cáo 178/BC-LĐLĐ"]
    # a number alone finds its document
    await sb.send_user_message(member, text="/vanban 178")
    by_number = (await sb.wait_for_messages(member, count=2))[1]
    assert next(iter(buttons(by_number))) == "1. Báo cáo 178/BC-LĐLĐ"
    # choosing a result: the summary, then the attached file (uploaded once, then by file_id)
    await sb.press_button(member, results["message_id"], button_starting(results, "1. Chỉ thị"))
    msgs = await sb.wait_for_messages(member, count=4)
    assert "Chỉ thị số 07-CT/TW" in msgs[2]["text"] and "05/09/2016" in msgs[2]["text"]
    assert msgs[3]["document"]["file_name"] == "07-CT-TW.pdf"

    async def stored_file_id() -> str | None:
        async with db.transaction() as s:
            return await s.scalar(select(DocumentFile.telegram_file_id))

    # the handler's transaction commits just after the bot's last call
    stored = await sb.wait_until(stored_file_id, lambda v: v is not None, what="file_id kept")
    assert stored == msgs[3]["document"]["file_id"]
    # a seed without an attachment comes with its full text as a .txt file
    await sb.press_button(member, by_number["message_id"], button_starting(by_number, "1. Báo cáo"))
    msgs = await sb.wait_for_messages(member, count=6)
    assert "Sơ kết 05 năm" in msgs[4]["text"] and "25/07/2022" in msgs[4]["text"]
    assert msgs[5]["document"]["file_name"].endswith(".txt")


async def test_pages_and_permissions(db: Database, harness_factory: Any) -> None:
    async with db.transaction() as s:
        p = await make_province(s)
        for i in range(7):
            await create_document(
                s,
                new=NewDocument(
                    kind=DocumentKind.letter,
                    number=f"{200 + i}/LĐLĐ-TG",
                    issuer="LĐLĐ tỉnh",
                    subject=f"Về việc hưởng ứng Tháng Công nhân, đợt {i + 1}",
                    issued_on=date(2025, 4, 1 + i),
                ),
            )
        await create_document(
            s,
            new=NewDocument(
                kind=DocumentKind.plan,
                number="31/KH-LĐLĐ",
                issuer="LĐLĐ thành phố Tam Kỳ",
                subject="Kế hoạch riêng Tháng Công nhân của Tam Kỳ",
                issued_on=date(2025, 5, 1),
                visibility_unit_id=p.district_a.id,
            ),
        )
        inside, outside = 7004, 7005  # members of district A and of district B
    async with harness_factory("polling") as h:
        sb = h.client
        for uid in (inside, outside):
            await sb.create_user(first_name="U", user_id=uid)
        await sb.send_user_message(inside, text="/vanban thang cong nhan")
        first = (await sb.wait_for_messages(inside, count=1))[0]
        assert "trang 1" in first["text"] and "5." in first["text"] and "6." not in first["text"]
        await sb.press_button(inside, first["message_id"], buttons(first)["Sau ▶️"])
        second = await sb.wait_until(
            lambda: sb.get_messages(inside),
            lambda ms: "trang 2" in ms[0]["text"],
            what="page 2",
        )
        page2 = second[0]
        assert "6." in page2["text"] and "8." in page2["text"] and "Sau ▶️" not in buttons(page2)
        assert "◀️ Trước" in buttons(page2)
        assert "31/KH-LĐLĐ" in first["text"] + page2["text"]  # the member's own district's plan
        # another district's member never sees the Tam Kỳ plan, even by its number
        await sb.send_user_message(outside, text="/vanban thang cong nhan")
        other = (await sb.wait_for_messages(outside, count=1))[0]
        assert "31/KH-LĐLĐ" not in other["text"]
        await sb.send_user_message(outside, text="/vanban 31")
        none = (await sb.wait_for_messages(outside, count=2))[1]
        assert "Không tìm thấy" in none["text"]
        # the button of a hidden document cannot be forged either
        async with db.transaction() as s:
            hidden_id = await s.scalar(select(Document.id).where(Document.number == "31/KH-LĐLĐ"))
        await sb.press_button(outside, other["message_id"], DocCb(document_id=hidden_id).pack(), strict=False)
        answers = await sb.wait_for_callback_answers(2)
        assert "không có quyền" in answers[-1]["text"]
        # /vanban alone asks for the words; an unregistered person is told how to register
        await sb.send_user_message(inside, text="/vanban")
        await wait_state(h, inside, ArchiveSearch.query)
        await sb.send_user_message(inside, text="Chỉ thị")
        msgs = await sb.wait_for_messages(inside, count=3)
        assert "gõ từ khoá" in msgs[1]["text"] and "Không tìm thấy" in msgs[2]["text"]
        stranger = await sb.create_user(first_name="Lạ")
        await sb.send_user_message(stranger["id"], text="/vanban 178")
        assert "chưa được đăng ký" in (await sb.wait_for_messages(stranger["id"]))[0]["text"]
