"""The broadcast part of `loa demo`: the demo province receives the sample directive as a document that
asks for "Đã nhận"; some groups acknowledge, one group had removed the bot; a weekly bulletin is
scheduled; the summary shows delivered, acknowledged and failed per upper union.
Needs the worker role running (the engine delivers). Returns readable summary lines."""

from __future__ import annotations

import asyncio
import time
from datetime import date

from archive.document_header import stated_subject
from archive.models import Document
from archive.sample import sample_path
from broadcasts import schedules, service, stats
from broadcasts.config import BroadcastConfig
from broadcasts.models import Status
from common.vietnamese import VN_TZ
from demo.province import DemoProvince
from directory.access import scope_for_person
from directory.models import Chat, Person, Role, RoleAssignment
from sandbox.client import SandboxClient
from storage.db import Database

SAMPLE_DIRECTIVE = "chi-thi-thong-tin-bao-cao.txt"


async def _bind_groups(
    sandbox: SandboxClient, db: Database, province: DemoProvince, uppers: int
) -> list[dict[str, int]]:
    """One Telegram group per (upper union, block) for the first upper unions, each with one member."""
    made: list[dict[str, int]] = []
    async with db.transaction() as s:
        for upper, block in [
            (u, b) for (u, b) in province.block_groups if u in province.upper_unions[:uppers]
        ]:
            member = await sandbox.create_user(first_name=f"Chủ tịch CĐCS ({block})")
            kicked = not made  # the first group removed the bot: it shows as a failure
            group = await sandbox.create_group(
                f"{upper.name} — {block}",
                member_ids=[member["id"]],
                bot_status="kicked" if kicked else "member",
            )
            s.add(
                Chat(
                    telegram_chat_id=group["id"],
                    kind="group",
                    title=group["title"],
                    unit_id=upper.id,
                    block=block,
                )
            )
            made.append({"chat": group["id"], "member": member["id"], "kicked": int(kicked)})
    return made


async def play_broadcast_scene(
    *, sandbox: SandboxClient, db: Database, province: DemoProvince, uppers: int = 3, timeout: float = 60.0
) -> list[str]:
    lines: list[str] = []
    groups = await _bind_groups(sandbox, db, province, uppers)
    document = sample_path(SAMPLE_DIRECTIVE)
    text = document.read_text(encoding="utf-8").strip()
    officer = province.officers[province.root.id][0]
    async with db.transaction() as s:
        approver = Person(full_name="Phó Chủ tịch LĐLĐ tỉnh")
        s.add(approver)
        await s.flush()
        s.add(RoleAssignment(person_id=approver.id, unit_id=province.root.id, role=Role.approver))
        doc = Document(
            kind="Chỉ thị",
            number="07/CT-TLĐ",
            issuer="Tổng Liên đoàn Lao động Việt Nam",
            issued_on=date(2010, 10, 1),
            subject=stated_subject(text)[:255],
        )
        s.add(doc)
        await s.flush()
        who = await scope_for_person(s, person=officer)
        content = {
            "kind": "document",
            "media": str(document),
            "filename": "chi-thi-07.txt",
            "html": "<b>Chỉ thị 07/CT-TLĐ</b> về công tác thông tin, báo cáo. Đề nghị các đơn vị bấm "
            "«✅ Đã nhận» sau khi nhận văn bản.",
        }
        b, _ = await service.create(
            s,
            scope=who,
            title="Chỉ thị 07 về công tác thông tin, báo cáo",
            content=content,
            audience_spec={"roots": [province.root.id], "targets": ["group"]},
            document_id=doc.id,
            require_ack=True,
        )
        b = await service.submit(s, scope=who, broadcast_id=b.id, config=BroadcastConfig())
        lines.append(
            f"Cán bộ {officer.full_name} soạn tin «{b.title}» → {b.total} nhóm, "
            f"{'cần lãnh đạo duyệt' if b.requires_approval else 'không cần duyệt'}"
        )
        await service.approve(s, scope=await scope_for_person(s, person=approver), broadcast_id=b.id)
        await service.schedule(s, scope=who, broadcast_id=b.id)
        bid = b.id
    deadline = time.monotonic() + timeout
    while True:
        async with db.transaction() as s:
            current = await service.get(s, bid)
        if current.status in (Status.done, Status.failed) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    lines.append(f"Phát xong: trạng thái «{current.status}»")
    pressed = 0
    for g in groups[1::2]:  # every other group acknowledges
        (msg,) = await sandbox.wait_for_messages(g["chat"], count=1, timeout=timeout)
        data = msg["reply_markup"]["inline_keyboard"][-1][0]["callback_data"]
        await sandbox.press_button(g["member"], msg["message_id"], data, chat_id=g["chat"])
        pressed += 1
    if pressed:
        await sandbox.wait_for_callback_answers(pressed, timeout=timeout)
    async with db.transaction() as s:
        who = await scope_for_person(s, person=officer)
        template, _ = await service.create(
            s,
            scope=who,
            title="Bản tin Công đoàn tuần",
            content={"kind": "text", "html": "<b>Bản tin tuần</b>"},
            audience_spec={"roots": [u.id for u in province.upper_unions[:uppers]], "targets": ["group"]},
        )
        await service.submit(
            s, scope=who, broadcast_id=template.id, config=BroadcastConfig(approval_wide_kinds=())
        )
        rule = {"kind": "weekly", "time": "07:00", "weekdays": [0]}
        sched = await schedules.create_schedule(s, scope=who, template_id=template.id, rule=rule, tz=VN_TZ)
        when = sched.next_run_at.astimezone(VN_TZ) if sched.next_run_at else None
        lines.append(f"Đặt lịch «{template.title}»: 07:00 Thứ Hai hằng tuần, lần tới {when:%d/%m/%Y %H:%M}")
        st = await stats.stats(s, broadcast_id=bid)
    for unit in st.by_unit:
        sent = unit.by_outcome.get("sent", 0)
        bad = unit.by_outcome.get("failed", 0) + unit.by_outcome.get("blocked", 0)
        lines.append(f"  {unit.name}: đã gửi {sent}, đã nhận {unit.acknowledged}, lỗi {bad}")
    return lines
