"""A report round from the console: an officer opens it, watches the status table change as leaders
reply in chat through the sandbox, reminds the missing, returns one submission with a comment and
downloads the XLSX."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from openpyxl import load_workbook

from tests.broadcasts.factories import tg
from tests.console.world import build, sign_in
from tests.reports.factories import template


async def test_open_follow_remind_return_download(console: Any, new_page: Callable[..., Any]) -> None:
    sb = console.client
    await sb.set_limits(enabled=False)
    async with console.loa.db.transaction() as s:
        w = await build(s, sb)
        await template(s)
    leaders = w.p.leaders[:3]  # the first district's three CĐCS
    district = w.p.uppers[0]

    page = await new_page(console.api_base)
    await sign_in(page, "tuyengiao")
    await page.get_by_role("link", name="Báo cáo").click()
    await page.get_by_role("link", name="Mở kỳ báo cáo").click()
    await page.get_by_label("Biểu mẫu").select_option("TK")
    await page.get_by_label("Kỳ", exact=True).select_option("month")
    deadline = datetime.now(console.loa.settings.tz) + timedelta(days=5)
    await page.get_by_label("Hạn nộp", exact=True).fill(deadline.strftime("%Y-%m-%dT%H:%M"))
    await page.get_by_label("Đơn vị", exact=True).select_option(str(district.id))
    await page.get_by_label("Công đoàn cơ sở").check()
    await page.get_by_role("button", name="Mở kỳ báo cáo").click()
    await page.get_by_text("Đã nộp 0/3").wait_for()
    table = page.locator("#status-table")
    assert await table.locator("td.st", has_text="Chưa nộp").count() == 3

    requests = {}
    for leader in leaders:
        (requests[leader.id],) = await sb.wait_for_messages(tg(leader), count=1, timeout=30)
    for leader in leaders[:2]:
        await sb.send_user_message(
            tg(leader), text="1.200 người 12 300", reply_to_message_id=requests[leader.id]["message_id"]
        )
    await table.locator("td.st", has_text="Đúng hạn").nth(1).wait_for(timeout=45_000)  # self-refreshing
    assert await table.locator("td.st", has_text="Chưa nộp").count() == 1

    await page.get_by_role("button", name="Nhắc đơn vị chưa nộp").click()
    await page.get_by_text("Đã nhắc 1 người").wait_for()
    reminder = (await sb.wait_for_messages(tg(leaders[2]), count=2, timeout=30))[-1]
    assert "Đơn vị" in reminder["text"] or "báo cáo" in reminder["text"].lower()

    returned_unit = w.p.grassroots[1]
    await page.get_by_label(f"Ý kiến khi trả lại ({returned_unit.name})").fill("Số kết nạp chưa khớp sổ")
    review = page.get_by_role("form", name=f"Xem xét {returned_unit.name}")
    await review.get_by_role("button", name="Trả lại").click()
    await page.get_by_text("Đã trả lại báo cáo kèm ý kiến.").wait_for()
    await page.locator(f"#u{returned_unit.id}").get_by_text("Số kết nạp chưa khớp sổ").wait_for()
    leader_of_returned = leaders[1]
    texts = [
        m.get("text", "") for m in await sb.wait_for_messages(tg(leader_of_returned), count=3, timeout=30)
    ]
    assert any("Số kết nạp chưa khớp sổ" in t for t in texts)

    async with page.expect_download() as info:
        await page.get_by_role("link", name="Tải XLSX").click()
    download = await info.value
    assert download.suggested_filename.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(open(await download.path(), "rb").read()))  # noqa: ASYNC230
    cells = {str(c.value) for row in workbook.active.iter_rows() for c in row if c.value is not None}
    assert {u.name for u in w.p.grassroots[:3]} <= cells
