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
from broadcasts.models import Broadcast
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
    assert await officer.get_by_role("button", name="Duyệt").count() == 0  # no approving one's own

    await approver.goto("/console/")
    await approver.get_by_role("link", name="Chỉ thị 07").click()
    await approver.get_by_role("button", name="Duyệt").click()
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
