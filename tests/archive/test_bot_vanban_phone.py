"""/vanban as people search on phones: a document's number in any written form, a typo answered with a
suggestion, an honest «không tìm thấy», results labelled with number and date, and a document shown as
formatted chat text rather than raw Markdown."""

from __future__ import annotations

from datetime import date
from typing import Any

from archive.document_numbers import DocumentKind
from archive.documents import NewDocument, create_document
from storage.db import Database
from tests.archive.factories import make_province
from tests.archive.helpers import button_starting, buttons

BODY = (
    "## **CHỈ THỊ**\n\n**Về công tác thông tin, báo cáo** trong hệ thống Công đoàn\n\n"
    "- Các cấp công đoàn thực hiện nghiêm chế độ thông tin định kỳ\n" + "Nội dung chi tiết. " * 80
)


async def test_numbers_typos_honest_misses_and_formatted_text(db: Database, harness_factory: Any) -> None:
    async with db.transaction() as s:
        p = await make_province(s)
        await create_document(
            s,
            new=NewDocument(
                kind=DocumentKind.directive,
                number="07/CT-TLĐ",
                issuer="Tổng Liên đoàn Lao động Việt Nam",
                subject="Về công tác thông tin, báo cáo trong hệ thống Công đoàn",
                body=BODY,
                issued_on=date(2010, 10, 1),
            ),
        )
        await create_document(
            s,
            new=NewDocument(
                kind=DocumentKind.directive,
                number="",
                issuer="Ban Thường vụ LĐLĐ tỉnh",
                subject="Về tăng cường kỷ luật phát ngôn",
                body="Nội dung.",
            ),
        )
        member = p.member_a.telegram_user_id
    async with harness_factory("polling") as h:
        sb = h.client
        await sb.create_user(first_name="Minh", user_id=member)
        count = 0

        async def ask(text: str) -> dict[str, Any]:
            nonlocal count
            await sb.send_user_message(member, text=text)
            count += 1
            return (await sb.wait_for_messages(member, count=count))[-1]

        for typed in ("/vanban 07/CT-TLĐ", "/vanban 07-CT/TLĐ", "/vanban 7/ct-tld", "/vanban số 07/CT-TLĐ"):
            found = await ask(typed)
            labels = [t for t in buttons(found) if t[0].isdigit()]
            assert labels == ["1. Chỉ thị 07/CT-TLĐ"], (typed, found["text"])
            assert "ngày 01/10/2010" in found["text"]
        assert [t for t in buttons(await ask("/vanban 07/KH-TLĐ")) if t[0].isdigit()] == []
        typo = await ask("/vanban chi thj thong tim")
        assert "Không tìm thấy «chi thj thong tim». Có phải «chi thi thong tin»?" in typo["text"]
        assert "1. Chỉ thị 07/CT-TLĐ" in buttons(typo)
        miss = await ask("/vanban bao hiem xa hoi")
        assert miss["text"].startswith("Không tìm thấy văn bản nào khớp với «bao hiem xa hoi»")
        unnumbered = await ask("/vanban ky luat phat ngon")
        assert (
            "Chỉ thị (không số) — Ban Thường vụ LĐLĐ tỉnh</b> · không ghi ngày" in unnumbered["html_text"]
            if ("html_text" in unnumbered)
            else "Chỉ thị (không số) — Ban Thường vụ LĐLĐ tỉnh · không ghi ngày" in unnumbered["text"]
        )
        found = await ask("/vanban 07/CT-TLĐ")
        await sb.press_button(member, found["message_id"], button_starting(found, "1. Chỉ thị"))
        shown = (await sb.wait_for_messages(member, count=count + 2))[count]  # the summary, then the .txt
        assert "##" not in shown["text"] and "**" not in shown["text"]
        assert "CHỈ THỊ" in shown["text"] and "• Các cấp công đoàn" in shown["text"]
        utf16 = shown["text"].encode("utf-16-le")  # entity offsets count UTF-16 units
        bold = [
            utf16[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le").strip()
            for e in shown.get("entities", [])
            if e["type"] == "bold"
        ]
        assert "CHỈ THỊ" in bold and "Về công tác thông tin, báo cáo" in bold
        assert shown["text"].rstrip().endswith("…") and not shown["text"].rstrip().endswith(" Nội…")
