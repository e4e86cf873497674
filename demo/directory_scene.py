"""The directory part of `loa demo`: people join through invitation links and an officer binds a
block group, all through the sandbox against the running bot. Returns readable summary lines."""

from __future__ import annotations

import re
from typing import Any

from common.text import first_line
from demo.province import DemoProvince
from directory.access import Grant, Scope, scope_for_person
from directory.invitations import create_bulk_invitations, create_invitation
from directory.models import Department, Role
from sandbox.client import SandboxClient
from storage.db import Database


async def _reply(sandbox: SandboxClient, chat_id: int, count: int, timeout: float) -> dict[str, Any]:
    messages: list[dict[str, Any]] = await sandbox.wait_for_messages(chat_id, count=count, timeout=timeout)
    return messages[-1]


async def play_directory_scene(
    *, sandbox: SandboxClient, db: Database, province: DemoProvince, leaders: int = 3, timeout: float = 15.0
) -> list[str]:
    cluster = province.upper_unions[0]
    officer = province.officers[cluster.id][0]
    # Only an admin hands out the officer role (directory/grants.py): the province's administrator does.
    admin = Scope(actor="demo:admin", grants=(Grant(Role.admin, province.root.id, province.root.path),))
    async with db.transaction() as session:
        invite = await create_invitation(
            session,
            scope=admin,
            unit=cluster,
            role=Role.officer,
            department=Department.propaganda.value,
            person_id=officer.id,
        )
    lines: list[str] = []
    me = await sandbox.create_user(first_name=officer.full_name)
    await sandbox.send_user_message(me["id"], text=f"/start {invite.token}")
    welcome = await _reply(sandbox, me["id"], 1, timeout)
    lines.append(f"Cán bộ {officer.full_name} bấm đường dẫn mời → «{first_line(welcome['text'])}»")

    async with db.transaction() as session:
        scope = await scope_for_person(session, person=officer)
        made = await create_bulk_invitations(session, scope=scope, root=cluster, role=Role.leader)
    lines.append(f"{cluster.name}: tạo {len(made)} đường dẫn mời Chủ tịch CĐCS (XLSX và mã QR để in)")
    joined: list[int] = []
    for m in made[:leaders]:
        leader = province.leaders[m.unit.id]
        user = await sandbox.create_user(first_name=leader.full_name)
        await sandbox.send_user_message(user["id"], text=f"/start {m.token}")
        reply = await _reply(sandbox, user["id"], 1, timeout)
        joined.append(user["id"])
        lines.append(f"  {leader.full_name} ({m.unit.name}) → «{first_line(reply['text'])}»")

    await sandbox.send_user_message(me["id"], text=f"/malienket {cluster.code} truong_hoc")
    code_msg = await _reply(sandbox, me["id"], 2, timeout)
    found = re.search(r"/lienket ([A-Z0-9]{8})", code_msg["text"])
    if found is None:
        return [*lines, f"Không tạo được mã liên kết: {first_line(code_msg['text'])}"]
    code = found.group(1)
    lines.append(f"Cán bộ {officer.full_name} gõ /malienket → mã {code} cho khối trường học")
    short = cluster.name.removeprefix("Công đoàn ")
    short = short[:1].upper() + short[1:]
    group = await sandbox.create_group(
        title=f"{short} — Khối trường học", member_ids=[me["id"], *joined], bot_status="left"
    )
    await sandbox.add_bot(group["id"], by_user_id=me["id"])
    await _reply(sandbox, group["id"], 1, timeout)
    await sandbox.send_user_message(me["id"], text=f"/lienket {code}", chat_id=group["id"])
    bound = await _reply(sandbox, group["id"], 2, timeout)
    lines.append(f"Nhóm «{group['title']}»: thêm Loa, gửi /lienket → «{first_line(bound['text'])}»")

    await sandbox.send_user_message(me["id"], text="/donvi")
    view = await _reply(sandbox, me["id"], 3, timeout)
    lines.append("/donvi → " + " · ".join(first_line(x) for x in view["text"].split("\n")[1:3]))
    return lines
