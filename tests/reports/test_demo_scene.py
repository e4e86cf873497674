"""The report-rounds demo scene plays end to end against the running bot: three ways of replying, review,
reminders only to the missing, late submissions, escalation, roll-up, and the XLSX and chart on disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select

from demo.province import build_demo_province
from demo.report_scene import play_report_scene
from demo.world import populate_world
from reports.models import ReportMessage, ReportRevision, ReportSubmission, ReportTarget
from storage.db import Database


async def test_demo_scene(db: Database, harness_factory: Any, tmp_path: Path) -> None:
    async with db.transaction() as s:
        province = await build_demo_province(s, members_per_unit=0)
    async with harness_factory("polling") as h:
        world = await populate_world(sandbox=h.client, db=db, province=province)
        lines = await play_report_scene(
            sandbox=h.client, loa=h.loa, province=province, world=world, workdir=tmp_path
        )
        text = "\n".join(lines)
        print(text)  # the story, for -s
        async with db.sessions() as s:
            targets = set(await s.scalars(select(ReportTarget.unit_id)))
            subs = {x.unit_id: x for x in await s.scalars(select(ReportSubmission))}
            revisions = list(await s.scalars(select(ReportRevision)))
            reminded = set(
                await s.scalars(
                    select(ReportMessage.unit_id).where(ReportMessage.kind.startswith("reminder"))
                )
            )
        # the guided form, a returned-then-corrected reply, an accepted one, the «khoang 150» estimate
        assert [r.channel for r in revisions].count("form") == 1
        [corrected] = [x for x in subs.values() if x.revision_count == 2]
        assert corrected.status == "submitted" and corrected.review_comment
        assert [x.status for x in subs.values()].count("accepted") == 1
        assert [r.estimates for r in revisions].count(["dv"]) == 1
        late = {u for u, x in subs.items() if x.is_late}
        assert len(late) == 2
        on_time_before_reminder = {u for u, x in subs.items() if not x.is_late}
        # reminders went only to units that had not submitted by then, and to every one of them
        assert reminded and not reminded & on_time_before_reminder
        assert reminded == targets - on_time_before_reminder
        assert late <= reminded
        # the request reached every target's chair through the bot
        requests = await h.client.get_messages(world.telegram_of[province.leaders[next(iter(late))].id])
        assert "Yêu cầu báo cáo" in requests[0]["text"] and "Nhắc báo cáo" in requests[1]["text"]

    assert f"cho khối doanh nghiệp toàn thành phố: {len(targets)} CĐCS" in lines[0], text
    assert "«2.507 người 15 4 co» → Đã nhận báo cáo" in text, text
    assert "kn=10-12" in text and "«10-12» là một khoảng — cần một con số cụ thể" in text, text
    assert "«muoi hai» là số viết bằng chữ" in text, text
    assert "Đã nhận bản sửa lần 1" in text and "4/4 đơn vị đã nộp không bị nhắc" in text, text
    missing = len(targets) - len(subs)
    assert f"{missing} đơn vị chưa nộp → báo" in text and "Quá hạn báo cáo" in text, text
    assert f"Đã nộp {len(subs)}/{len(targets)}" in text, text
    workbook = load_workbook(tmp_path / "bao-cao-doan-vien.xlsx")
    assert workbook["Chưa nộp"].max_row == missing + 1
    assert (tmp_path / "bao-cao-doan-vien.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
