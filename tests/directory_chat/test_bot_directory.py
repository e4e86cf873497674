"""The real bot through the sandbox: invitations, /toi, /donvi, group binding and the group lifecycle."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from directory.invitations import create_invitation
from directory.models import Chat, Person, Role, RoleAssignment, UnitKind
from storage.db import Database
from tests.directory_chat.factories import make_person, make_tree, make_unit, scope_of


async def eventually(db: Database, done: Callable[[list[Chat]], bool], timeout: float = 5.0) -> list[Chat]:
    """Poll the group chats until `done` holds: a reply or a confirmed update does not mean the
    handler's transaction has committed yet."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with db.transaction() as s:
            rows = list(await s.scalars(select(Chat).where(Chat.kind == "group").order_by(Chat.id)))
        if done(rows) or asyncio.get_running_loop().time() > deadline:
            assert done(rows), [(c.telegram_chat_id, c.is_active, c.bot_status) for c in rows]
            return rows
        await asyncio.sleep(0.02)


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


async def test_start_token_registers_then_toi_and_start_show_roles(
    db: Database, harness_factory: Any
) -> None:
    async with db.transaction() as s:
        t = await make_tree(s)
        made = await create_invitation(
            s, scope=await scope_of(s, t.officer_a), unit=t.school_a, role=Role.leader
        )
    async with harness_factory("polling") as h:
        sb = h.client
        user = await sb.create_user(first_name="Hoa", last_name="Lê Thị")
        await sb.send_user_message(user["id"], text=f"/start {made.token}")
        msgs = await sb.wait_for_messages(user["id"], count=1)
        assert "Đăng ký thành công" in msgs[0]["text"] and "CĐCS Trường THCS Hòa Tiến" in msgs[0]["text"]
        await sb.send_user_message(user["id"], text="/toi")  # updates are handled concurrently: one at a time
        await sb.wait_for_messages(user["id"], count=2)
        await sb.send_user_message(user["id"], text="/start")
        msgs = await sb.wait_for_messages(user["id"], count=3)
        assert "Chủ tịch CĐCS" in msgs[1]["text"] and "DN-HV-01" in msgs[1]["text"]
        assert "trở lại" in msgs[2]["text"] and "Chủ tịch CĐCS" in msgs[2]["text"]
        # the link is single-use: somebody else gets a clear refusal and nothing is written
        other = await sb.create_user(first_name="Khác")
        await sb.send_user_message(other["id"], text=f"/start {made.token}")
        refusal = await sb.wait_for_messages(other["id"], count=1)
        assert "hết số lần" in refusal[0]["text"]
        # the menu button is /toi too
        await sb.send_user_message(user["id"], text="👤 Thông tin của tôi")
        msgs = await sb.wait_for_messages(user["id"], count=4)
        assert "Chủ tịch CĐCS" in msgs[3]["text"]
    async with db.transaction() as s:
        person = await s.scalar(select(Person).where(Person.telegram_user_id == user["id"]))
        assert person is not None and person.full_name == "Hoa Lê Thị"
        assert (
            await s.scalar(
                select(func.count()).select_from(Person).where(Person.telegram_user_id == other["id"])
            )
            == 0
        )
        chat = await s.scalar(select(Chat).where(Chat.telegram_chat_id == user["id"]))
        assert chat is not None and chat.person_id == person.id and chat.is_active


async def test_donvi_pages_children_and_goes_back_up(db: Database, harness_factory: Any) -> None:
    async with db.transaction() as s:
        t = await make_tree(s)
        for i in range(19):  # 21 children under the province: three pages of eight
            await make_unit(s, f"DN-X{i:02d}", f"Trường THCS số {i:02d}", parent=t.province, member_count=10)
        await make_person(s, "Phạm Văn Tỉnh", telegram_user_id=6001, roles=((Role.officer, t.province),))
    async with harness_factory("polling") as h:
        sb = h.client
        await sb.create_user(first_name="Tỉnh", user_id=6001)
        await sb.send_user_message(6001, text="/donvi")
        msg = (await sb.wait_for_messages(6001, count=1))[0]
        assert "LĐLĐ thành phố Đà Nẵng" in msg["text"] and "trang 1/3" in msg["text"]
        labels = [b[0] for b in buttons(msg)]
        assert (
            len(labels) == 9 and labels[-1].startswith("Sau") and not any("Lên cấp trên" in x for x in labels)
        )
        assert all(len(data.encode()) <= 64 for _, data in buttons(msg))
        next_data = dict(buttons(msg))["Sau ▶️"]
        await sb.press_button(6001, msg["message_id"], next_data)
        await sb.wait_until(
            lambda: sb.get_messages(6001), lambda m: "trang 2/3" in m[0]["text"], what="page 2"
        )
        msg = (await sb.get_messages(6001))[0]
        assert {"◀️ Trước", "Sau ▶️"} <= {b[0] for b in buttons(msg)}
        # back to page 1, open the cluster Hòa Vang, then climb back up
        await sb.press_button(6001, msg["message_id"], dict(buttons(msg))["◀️ Trước"])
        await sb.wait_until(
            lambda: sb.get_messages(6001), lambda m: "trang 1/3" in m[0]["text"], what="page 1"
        )
        msg = (await sb.get_messages(6001))[0]
        hoa_vang = dict(buttons(msg))["Công đoàn cụm Hòa Vang"]
        await sb.press_button(6001, msg["message_id"], hoa_vang)
        await sb.wait_until(
            lambda: sb.get_messages(6001), lambda m: "Hòa Vang" in m[0]["text"].split("\n")[0], what="child"
        )
        msg = (await sb.get_messages(6001))[0]
        assert "CĐCS: <b>2</b>" in msg["text"] or "CĐCS: 2" in msg["text"]
        up = dict(buttons(msg))["⬆️ Lên cấp trên"]
        await sb.press_button(6001, msg["message_id"], up)
        await sb.wait_until(lambda: sb.get_messages(6001), lambda m: "Đà Nẵng" in m[0]["text"], what="parent")
        assert len(await sb.get_messages(6001)) == 1  # navigation edits one message, no flood


async def test_officer_of_one_district_cannot_open_another(db: Database, harness_factory: Any) -> None:
    async with db.transaction() as s:
        t = await make_tree(s)
        other_id = t.district_b.id
    async with harness_factory("polling") as h:
        sb = h.client
        await sb.create_user(first_name="An", user_id=5001)
        await sb.send_user_message(5001, text="/donvi")
        msg = (await sb.wait_for_messages(5001, count=1))[0]
        assert "Hòa Vang" in msg["text"]
        await sb.press_button(5001, msg["message_id"], f"dv:{other_id}:0", strict=False)
        answers = await sb.wait_for_callback_answers(1)
        assert "Không có quyền" in (answers[-1].get("text") or "")
        await sb.create_user(first_name="Ai", user_id=7777)
        await sb.send_user_message(7777, text="/donvi")
        assert "cán bộ" in (await sb.wait_for_messages(7777, count=1))[0]["text"]


async def test_bind_group_then_promote_migrate_and_remove(db: Database, harness_factory: Any) -> None:
    async with db.transaction() as s:
        await make_tree(s)
    async with harness_factory("polling") as h:
        sb = h.client
        await sb.create_user(first_name="An", user_id=5001)
        stranger = await sb.create_user(first_name="Lạ")
        await sb.send_user_message(5001, text="/malienket DN-HV truong hoc")
        reply = (await sb.wait_for_messages(5001, count=1))[0]["text"]
        code = re.search(r"/lienket ([A-Z0-9]{8})", reply)
        assert code is not None, reply
        await sb.send_user_message(5001, text=f"/lienket {code.group(1)}")  # in private: explain where
        assert "trong nhóm" in (await sb.wait_for_messages(5001, count=2))[1]["text"]
        group = await sb.create_group(
            "CĐ cụm Hòa Vang — khối trường học", member_ids=[5001, stranger["id"]], bot_status="left"
        )
        gid = group["id"]
        await sb.add_bot(gid, by_user_id=5001)
        await sb.wait_for_messages(gid, count=1)
        await sb.send_user_message(stranger["id"], text=f"/lienket {code.group(1)}", chat_id=gid)
        await sb.wait_for_messages(gid, count=2)
        await sb.send_user_message(5001, text=f"/lienket@loa_bot {code.group(1)}", chat_id=gid)
        msgs = await sb.wait_for_messages(gid, count=3)
        assert "Chỉ cán bộ" in msgs[1]["text"]
        assert "đã được liên kết" in msgs[2]["text"] and "Khối trường học" in msgs[2]["text"]
        await sb.send_user_message(5001, text=f"/lienket {code.group(1)}", chat_id=gid)
        assert "đã được dùng" in (await sb.wait_for_messages(gid, count=4))[3]["text"]
        await sb.promote_bot(gid, by_user_id=5001)
        await eventually(db, lambda rows: [c.bot_status for c in rows] == ["administrator"])
        new_id = await sb.migrate_group(gid, by_user_id=5001)
        rows = await eventually(db, lambda rows: [c.telegram_chat_id for c in rows] == [new_id])
        chat = rows[0]
        assert chat.migrated_from_chat_id == gid and chat.block == "truong_hoc"
        assert chat.is_active and chat.bot_status == "administrator" and chat.unit_id is not None
        await sb.remove_bot(new_id, by_user_id=5001)
        rows = await eventually(db, lambda rows: [c.is_active for c in rows] == [False])
        assert rows[0].unit_id == chat.unit_id and rows[0].telegram_chat_id == new_id


async def test_malienket_with_buttons(db: Database, harness_factory: Any) -> None:
    async with db.transaction() as s:
        t = await make_tree(s)
        await make_unit(
            s,
            "DN-HV-NG",
            "Công đoàn ngành Giáo dục Hòa Vang",
            parent=t.district_a,
            kind=UnitKind.sector_union,
        )
    async with harness_factory("polling") as h:
        sb = h.client
        await sb.create_user(first_name="An", user_id=5001)
        await sb.send_user_message(5001, text="/malienket")
        msg = (await sb.wait_for_messages(5001, count=1))[0]
        units = dict(buttons(msg))
        assert set(units) == {"Công đoàn cụm Hòa Vang", "Công đoàn ngành Giáo dục Hòa Vang"}
        await sb.press_button(5001, msg["message_id"], units["Công đoàn cụm Hòa Vang"])
        await sb.wait_until(
            lambda: sb.get_messages(5001), lambda m: "khối nào" in m[0]["text"], what="blocks"
        )
        msg = (await sb.get_messages(5001))[0]
        await sb.press_button(5001, msg["message_id"], dict(buttons(msg))["Khối xã/phường"])
        msgs = await sb.wait_for_messages(5001, count=2)
        assert re.search(r"/lienket [A-Z0-9]{8}", msgs[1]["text"]) and "Khối xã/phường" in msgs[1]["text"]
    async with db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(RoleAssignment)) == 2


async def test_private_chat_blocked_then_unblocked(db: Database, harness_factory: Any) -> None:
    async with db.transaction() as s:
        t = await make_tree(s)
        made = await create_invitation(
            s, scope=await scope_of(s, t.officer_a), unit=t.school_a, role=Role.member
        )
    async with harness_factory("polling") as h:
        sb = h.client
        user = await sb.create_user(first_name="Minh")
        await sb.send_user_message(user["id"], text=f"/start {made.token}")
        await sb.wait_for_messages(user["id"], count=1)

        async def private_chat() -> list[Chat]:
            async with db.transaction() as s:
                return list(await s.scalars(select(Chat).where(Chat.telegram_chat_id == user["id"])))

        await sb.block_user(user["id"])
        rows = await sb.wait_until(private_chat, lambda r: bool(r) and not r[0].is_active, what="blocked")
        assert rows[0].blocked_at is not None and rows[0].bot_status == "kicked"
        await sb.unblock_user(user["id"])
        rows = await sb.wait_until(private_chat, lambda r: bool(r) and r[0].is_active, what="unblocked")
        assert rows[0].blocked_at is None
