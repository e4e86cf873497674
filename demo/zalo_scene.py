"""The Zalo part of `loa demo`: most CĐCS chairs and block groups of one upper union move to Zalo
(where the union's groups really live); a member registers by typing the code from the invitation
sheet, a Telegram chair links Zalo with /ketnoi, a long directive reaches both messengers and is
acknowledged on Zalo by typing «1», and a chair replies to an open report round with one line.
Outer ring: demo only, never imported by production code."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

from sqlalchemy import select

from broadcasts import service, stats
from broadcasts.config import BroadcastConfig
from broadcasts.models import Status
from demo.province import DemoProvince
from directory.access import scope_for_person
from directory.identities import messenger_id_for
from directory.invitations import create_invitation, format_short_code
from directory.models import Channel, Chat, ChatKind, Person, Role, RoleAssignment
from reports.lines import usage
from reports.services import form_of_round, open_rounds_for_unit
from sandbox.client import SandboxClient
from sandbox.zalo.client import ZaloSandboxClient
from storage.db import Database

SENTENCE = (
    "Đề nghị Ban Chấp hành các CĐCS phổ biến kế hoạch đến từng tổ công đoàn và đoàn viên, "
    "báo cáo kết quả về LĐLĐ tỉnh trước ngày 25 hằng tháng. "
)


async def _to_zalo(s: Any, zc: ZaloSandboxClient, chat: Chat, name: str, members: list[str]) -> str:
    if chat.kind == ChatKind.group.value:
        native = (await zc.create_group(chat.title or name, members))["id"]
        chat.telegram_chat_id = await messenger_id_for(
            s, channel=Channel.zalo, kind="group", native_id=native
        )
    else:
        native = (await zc.create_user(name))["id"]
        chat.telegram_chat_id = await messenger_id_for(s, channel=Channel.zalo, kind="user", native_id=native)
    chat.channel, chat.address = Channel.zalo.value, native
    return str(native)


async def _wait_done(db: Database, bid: int, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while True:
        async with db.transaction() as s:
            current = await service.get(s, bid)
        if current.status in (Status.done, Status.failed) or time.monotonic() > deadline:
            return str(current.status)
        await asyncio.sleep(0.2)


async def play_zalo_scene(
    *,
    sandbox: SandboxClient,
    zalo: ZaloSandboxClient,
    db: Database,
    province: DemoProvince,
    timeout: float = 60.0,
) -> list[str]:
    lines: list[str] = []
    upper = province.upper_unions[-1]
    units = [u for u in province.grassroots if u.path.startswith(upper.path) and u.id in province.leaders]
    on_zalo: dict[int, str] = {}  # person id → Zalo id
    async with db.transaction() as s:
        for unit in units[: max(1, len(units) * 2 // 3)]:
            person = await s.get(Person, province.leaders[unit.id].id)
            if person is None:
                continue
            chat = await s.scalar(select(Chat).where(Chat.person_id == person.id, Chat.kind == "private"))
            if chat is None:
                continue
            on_zalo[person.id] = await _to_zalo(s, zalo, chat, person.full_name, [])
            person.telegram_user_id, person.zalo_user_id = None, chat.telegram_chat_id
        groups = list(await s.scalars(select(Chat).where(Chat.unit_id == upper.id, Chat.kind == "group")))
        for chat in groups:
            await _to_zalo(s, zalo, chat, chat.title, list(on_zalo.values())[:3])
    telegram_chairs = [province.leaders[u.id] for u in units if province.leaders[u.id].id not in on_zalo]
    lines.append(
        f"{upper.name}: {len(on_zalo)}/{len(units)} Chủ tịch CĐCS và {len(groups)} nhóm khối dùng Zalo, "
        f"{len(telegram_chairs)} đơn vị vẫn dùng Telegram"
    )

    # a member registers on Zalo with the short code printed on the invitation sheet
    async with db.transaction() as s:
        officer = province.officers[upper.id][0]
        made = await create_invitation(
            s, scope=await scope_for_person(s, person=officer), unit=units[0], role=Role.member
        )
    member = await zalo.create_user("Phạm Thị Thu")
    await zalo.send_user_message(member["id"], f"DK {format_short_code(made.short_code)}")
    welcome = await zalo.wait_for_text(member["id"], "Đăng ký thành công", timeout=timeout)
    lines.append(
        f"Đoàn viên gõ «DK {format_short_code(made.short_code)}» trên Zalo → «{welcome[0]['text'][:70]}…»"
    )

    # a Telegram chair adds Zalo without registering again
    if telegram_chairs:
        chair = telegram_chairs[0]
        async with db.transaction() as s:
            tg_id = (await s.get(Person, chair.id)).telegram_user_id  # type: ignore[union-attr]
        if tg_id:
            before = len(await sandbox.get_messages(tg_id))
            await sandbox.send_user_message(tg_id, text="/ketnoi")
            shown = (await sandbox.wait_for_messages(tg_id, count=before + 1, timeout=timeout))[-1]["text"]
            code = re.search(r"/ketnoi (\w+)", shown)
            if code:
                z = await zalo.create_user(chair.full_name)
                await zalo.send_user_message(z["id"], f"/ketnoi {code.group(1)}")
                done = await zalo.wait_for_text(z["id"], "Đã liên kết", timeout=timeout)
                lines.append(
                    f"{chair.full_name} gõ /ketnoi trên Telegram rồi trên Zalo → «{done[-1]['text'][:80]}»"
                )

    # a long directive to groups and chairs on both messengers, acknowledged on Zalo with «1»
    async with db.transaction() as s:
        approver = Person(full_name="Phó Chủ tịch phụ trách (Zalo)")
        s.add(approver)
        await s.flush()
        s.add(RoleAssignment(person_id=approver.id, unit_id=province.root.id, role=Role.approver))
        who = await scope_for_person(s, person=province.officers[province.root.id][0])
        b, _ = await service.create(
            s,
            scope=who,
            title="Kế hoạch tuyên truyền tháng (Zalo và Telegram)",
            content={"kind": "text", "html": "<b>Kế hoạch tuyên truyền tháng</b>\n\n" + SENTENCE * 16},
            audience_spec={"roots": [upper.id], "targets": ["group", "leader"]},
            require_ack=True,
        )
        b = await service.submit(s, scope=who, broadcast_id=b.id, config=BroadcastConfig())
        if b.status == Status.submitted:
            await service.approve(s, scope=await scope_for_person(s, person=approver), broadcast_id=b.id)
        await service.schedule(s, scope=who, broadcast_id=b.id)
        bid = b.id
    status = await _wait_done(db, bid, timeout)
    acked = 0
    for zalo_id in list(on_zalo.values())[:2]:
        parts = await zalo.wait_for_messages(zalo_id, count=2, timeout=timeout)
        await zalo.send_user_message(zalo_id, "1")
        await zalo.wait_for_text(zalo_id, "Đã ghi nhận", timeout=timeout)
        acked += 1
    async with db.transaction() as s:
        st = await stats.stats(s, broadcast_id=bid, with_units=False)
    lines.append(
        f"Phát «{b.title}» ({len(SENTENCE * 16)} ký tự): {status}; theo kênh {st.channel_line()}; "
        f"trên Zalo chia {len(parts)} phần ≤ 2.000 ký tự; {acked} Chủ tịch gõ «1» để xác nhận"
    )

    # a chair on Zalo replies to the open report round with one line, no reply-to needed
    for unit in units:
        person_id = province.leaders[unit.id].id
        if person_id not in on_zalo:
            continue
        async with db.transaction() as s:
            rounds = await open_rounds_for_unit(session=s, unit_id=unit.id)
            example = usage(await form_of_round(session=s, round_=rounds[0])) if rounds else ""
        match = re.search(r"<code>([^<]+)</code>", example)
        if len(rounds) != 1 or match is None:
            continue
        before = len(await zalo.get_messages(on_zalo[person_id]))
        await zalo.send_user_message(on_zalo[person_id], match.group(1))
        answer = (await zalo.wait_for_messages(on_zalo[person_id], count=before + 1, timeout=timeout))[-1]
        lines.append(
            f"Chủ tịch {unit.name} gõ «{match.group(1)}» trên Zalo → «{answer['text'].splitlines()[0][:80]}»"
        )
        break
    return lines
