"""A directive from compose to «xong»: an officer writes it to one block of a district's groups, sees the
chat preview and the counts, schedules it; an approver approves; the scheduler and the worker deliver it
through the Telegram sandbox while the page follows the progress."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from broadcasts import audience
from broadcasts.audience import AudienceSpec
from broadcasts.models import Broadcast, BroadcastSchedule
from tests.console.world import build, sign_in


async def test_compose_preview_schedule_approve_deliver(console: Any, new_page: Callable[..., Any]) -> None:
    async with console.loa.db.transaction() as s:
        w = await build(s, console.client)
        district = w.p.uppers[0]
        expected = await audience.preview(s, AudienceSpec(roots=[district.id], blocks=["co_quan"]))
        everyone = await audience.preview(s, AudienceSpec(roots=[district.id]))
    assert 0 < expected.total < everyone.total

    approver = await new_page(console.api_base)
    await sign_in(approver, "pheduyet")
    officer = await new_page(console.api_base)
    await sign_in(officer, "tuyengiao")
    await officer.get_by_role("link", name="Phát tin").click()
    await officer.get_by_role("link", name="Soạn tin mới").click()
    await officer.get_by_label("Tiêu đề").fill("Chỉ thị 07")
    body = "Kính gửi các đồng chí. " * 200  # over 4096 characters: two messages in chat
    await officer.get_by_label("Nội dung", exact=True).fill(f"<b>Chỉ thị 07</b> {body}")
    await officer.get_by_text("Phần 2/2").wait_for()
    assert await officer.locator("#preview b").first.inner_text() == "Chỉ thị 07"

    await officer.get_by_label(district.name, exact=True).check()
    await officer.get_by_text(f"Tổng: {everyone.total} nơi nhận").wait_for()
    await officer.get_by_label("Khối cơ quan", exact=True).check()
    await officer.get_by_text(f"Tổng: {expected.total} nơi nhận").wait_for()

    at = datetime.now(console.loa.settings.tz) + timedelta(seconds=12)
    await officer.get_by_label("Hẹn giờ").check()
    await officer.get_by_label("Gửi lúc").fill(at.strftime("%Y-%m-%dT%H:%M:%S"))
    await officer.get_by_role("button", name="Gửi duyệt").click()
    await officer.locator("#status").filter(has_text="chờ duyệt").wait_for()
    assert await officer.get_by_role("button", name="Duyệt và gửi").count() == 0  # not one's own

    await approver.goto("/console/")
    await approver.get_by_role("link", name="Chỉ thị 07").click()
    await approver.get_by_role("button", name="Duyệt và gửi theo lịch hẹn").click()
    await approver.get_by_text("Đã duyệt tin.").wait_for()
    await approver.locator("#status").filter(has_text="đã hẹn giờ").wait_for()

    await officer.reload()
    await officer.locator("#progress").filter(has_text="xong").wait_for(timeout=60_000)
    async with console.loa.db.transaction() as s:
        b = (await s.scalars(select(Broadcast))).one()
        assert b.status == "done" and b.total == expected.total
        assert b.started_at is not None and b.started_at >= at
        chats = [
            g.telegram_chat_id
            for g in w.p.groups
            if g.unit_id in {district.id, *[u.id for u in w.p.grassroots]}
        ]
    received = 0
    for chat_id in chats:
        messages = await console.client.get_messages(chat_id)
        if messages:
            received += 1
            assert len(messages) == 2 and messages[0]["text"].startswith("Chỉ thị 07")
    assert received == expected.total
    await officer.reload()
    await officer.get_by_role("heading", name="Thống kê").wait_for()
    assert "đã gửi" in await officer.locator("#h-stats + p + table").inner_text()

    # correct what was sent: the messages change in every chat
    await officer.get_by_label("Nội dung đính chính").fill("<b>Chỉ thị 07</b> (đính chính) Kính gửi.")
    await officer.get_by_role("button", name="Đính chính").click()
    await officer.get_by_text("Đã đính chính tin đã gửi.").wait_for()
    edited = await console.client.wait_for_messages(
        chats[0], predicate=lambda m: "(đính chính)" in (m.get("text") or ""), timeout=30
    )
    assert edited


async def test_return_with_a_comment_then_a_monthly_recurrence(
    console: Any, new_page: Callable[..., Any]
) -> None:
    async with console.loa.db.transaction() as s:
        w = await build(s, console.client)
    approver = await new_page(console.api_base)
    await sign_in(approver, "pheduyet")
    officer = await new_page(console.api_base)
    await sign_in(officer, "tuyengiao")
    await officer.goto("/console/broadcasts/new")
    await officer.get_by_label("Tiêu đề").fill("Bản tin đầu tháng")
    await officer.get_by_label("Nội dung", exact=True).fill("Bản tin <i>Công đoàn</i> tháng này.")
    await officer.get_by_label(w.p.uppers[1].name, exact=True).check()
    await officer.get_by_role("button", name="Gửi duyệt").click()
    await officer.locator("#status").filter(has_text="chờ duyệt").wait_for()
    page_url = officer.url

    await approver.goto(page_url)
    await approver.get_by_label("Trả lại kèm ý kiến").fill("Thêm lịch sinh hoạt chi đoàn")
    await approver.get_by_role("button", name="Trả lại").click()
    await approver.get_by_text("Đã trả lại tin cho người soạn.").wait_for()

    await officer.reload()
    await officer.get_by_text("Lý do trả lại: Thêm lịch sinh hoạt chi đoàn").wait_for()
    await officer.get_by_role("button", name="Gửi duyệt").click()
    await officer.locator("#status").filter(has_text="chờ duyệt").wait_for()

    await approver.goto(page_url)
    await approver.get_by_role("button", name="Duyệt, đặt lịch sau").click()
    await approver.locator("#status").filter(has_text="đã duyệt").wait_for()

    await officer.reload()
    await officer.get_by_role("radio", name="Lặp lại").check()
    await officer.get_by_label("Kiểu lặp lại").select_option("monthly_nth")
    await officer.get_by_label("Giờ", exact=True).fill("07:30")
    await officer.get_by_label("Lần thứ").select_option("1")
    await officer.get_by_label("Thứ", exact=True).select_option("0")
    await officer.get_by_role("button", name="Đặt lịch gửi").click()
    await officer.get_by_text("Đã đặt lịch gửi.").wait_for()
    await officer.get_by_text("07:30 Thứ Hai đầu tiên hằng tháng").wait_for()
    async with console.loa.db.transaction() as s:
        (sched,) = (await s.scalars(select(BroadcastSchedule))).all()
    assert sched.rule == {"kind": "monthly_nth", "time": "07:30", "nth": 1, "weekday": 0}
    assert sched.next_run_at is not None
    local = sched.next_run_at.astimezone(console.loa.settings.tz)
    assert local.weekday() == 0 and local.day <= 7 and (local.hour, local.minute) == (7, 30)
