"""The petitions inbox: a member's petition shows on the officer's home, is answered in the console, and
the answer reaches the member in chat through the sandbox; the statistics count it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from archive import petitions
from tests.broadcasts.factories import tg
from tests.console.world import build, sign_in


async def test_a_petition_is_answered_and_the_member_gets_it_in_chat(
    console: Any, new_page: Callable[..., Any]
) -> None:
    async with console.loa.db.transaction() as s:
        w = await build(s, console.client)
        member = w.p.leaders[0]
        routing = await petitions.submit_petition(
            s,
            sender=member,
            category="tien_luong",
            text="Đề nghị công đoàn làm rõ việc chậm trả lương tháng 11.",
            sender_chat_id=tg(member),
        )
        reference = routing.petition.reference

    page = await new_page(console.api_base)
    await sign_in(page, "canbohuyen")
    await page.get_by_role("link", name=reference).click()
    await page.get_by_text("chậm trả lương tháng 11").wait_for()
    await page.get_by_label("Nội dung trả lời").fill("Công ty cam kết trả đủ lương trước ngày 05/12.")
    await page.get_by_role("button", name="Gửi trả lời").click()
    await page.get_by_text("Đã gửi câu trả lời tới người kiến nghị.").wait_for()
    await page.locator("#p-status").filter(has_text="Đã trả lời").wait_for()

    messages = await console.client.wait_for_messages(tg(member), count=1, timeout=30)
    assert any("trước ngày 05/12" in (m.get("text") or "") for m in messages)

    await page.get_by_role("link", name="Về danh sách").click()
    await page.get_by_text("Tổng 1 kiến nghị, đã trả lời 1, đang mở 0").wait_for()
