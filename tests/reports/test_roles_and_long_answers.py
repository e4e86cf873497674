"""Menus, /help and the command list by role; a command typed with a space; /thongke over many
children split under Telegram's 4,096 characters. Through the real bot."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiogram.types import BotCommandScopeChat, BotCommandScopeDefault
from sqlalchemy import select

from directory.models import Chat, Role, UnitKind
from handlers.menu import register_commands
from storage.base import utcnow
from tests.factories import make_unit
from tests.reports.factories import person, round_for, template, unit
from tests.reports.test_chat import setup


def keyboard(msg: dict[str, Any]) -> list[str]:
    return [b["text"] for row in (msg.get("reply_markup") or {}).get("keyboard", []) for b in row]


async def test_members_leaders_and_officers_see_their_own_menu_help_and_commands(
    harness_factory: Any,
) -> None:
    async with harness_factory("polling") as h:
        sb, loa = h.client, h.loa
        t, _, ids = await setup(h)
        member_user = await sb.create_user(first_name="Đoàn viên")
        async with loa.db.transaction() as session:
            m = await person(session, "Đoàn viên", at=t.g["G1"], role=Role.member)
            m.telegram_user_id = member_user["id"]
            chat = await session.scalar(select(Chat).where(Chat.person_id == m.id))
            assert chat is not None
            chat.telegram_chat_id = member_user["id"]
        await sb.send_user_message(member_user["id"], text="/help")
        member_help = (await sb.wait_for_messages(member_user["id"], count=1))[-1]
        assert "/vanban" in member_help["text"] and "/guitin" not in member_help["text"]
        assert "Chủ tịch CĐCS" not in member_help["text"]
        assert "📋 Báo cáo số liệu" not in keyboard(member_help)
        assert "📊 Thống kê báo cáo" not in keyboard(member_help)
        await sb.send_user_message(member_user["id"], text="/baocao 12 3 4")
        refusal = (await sb.wait_for_messages(member_user["id"], count=2))[-1]
        assert "dành cho Chủ tịch CĐCS" in refusal["text"] and "đường dẫn mời" not in refusal["text"]

        await sb.send_user_message(ids["G1"], text="/help")
        leader_help = (await sb.wait_for_messages(ids["G1"], count=2))[-1]
        assert "Chủ tịch CĐCS" in leader_help["text"] and "/guitin" not in leader_help["text"]
        assert "📋 Báo cáo số liệu" in keyboard(leader_help) and "📊 Thống kê báo cáo" not in keyboard(
            leader_help
        )

        await sb.send_user_message(ids["OD1"], text="/help")
        officer_help = (await sb.wait_for_messages(ids["OD1"], count=1))[-1]
        assert "/guitin" in officer_help["text"] and "📊 Thống kê báo cáo" in keyboard(officer_help)

        # command lists: the default scope for members, each leader's and officer's own chat after /start
        await register_commands(loa.bot)
        for chat_id in (ids["G1"], ids["OD1"]):
            await sb.send_user_message(chat_id, text="/start")
        await sb.wait_for_messages(ids["G1"], count=3)
        await sb.wait_for_messages(ids["OD1"], count=2)
        default = [c.command for c in await loa.bot.get_my_commands(scope=BotCommandScopeDefault())]
        leader = [
            c.command for c in await loa.bot.get_my_commands(scope=BotCommandScopeChat(chat_id=ids["G1"]))
        ]
        officer = [
            c.command for c in await loa.bot.get_my_commands(scope=BotCommandScopeChat(chat_id=ids["OD1"]))
        ]
        assert "vanban" in default and "baocao" not in default and "guitin" not in default
        assert "baocao" in leader and "guitin" not in leader
        assert "guitin" in officer and "thongke" in officer

        await sb.send_user_message(ids["OD1"], text="/thong ke")
        typo = (await sb.wait_for_messages(ids["OD1"], count=3))[-1]
        assert "Có phải /thongke?" in typo["text"]


async def test_thongke_over_many_children_is_split_under_the_limit(harness_factory: Any) -> None:
    async with harness_factory("polling") as h:
        sb, loa = h.client, h.loa
        await sb.set_limits(enabled=False)
        officer_user = await sb.create_user(first_name="Cán bộ ngành Y tế")
        async with loa.db.transaction() as session:
            root = await unit(session, "YT", kind="sector_union")
            for i in range(55):
                parent = await make_unit(
                    session,
                    f"YT{i:02d}",
                    f"Công đoàn Trung tâm Y tế và Bệnh viện Đa khoa khu vực miền núi số {i:02d}",
                    parent=root,
                    kind=UnitKind.district_federation,
                )
                await unit(session, f"YT{i:02d}G", parent, block="co_quan")
            officer = await person(session, "Cán bộ ngành Y tế", at=root, role=Role.officer)
            officer.telegram_user_id = officer_user["id"]
            chat = await session.scalar(select(Chat).where(Chat.person_id == officer.id))
            assert chat is not None
            chat.telegram_chat_id = officer_user["id"]
            tpl = await template(session)
            from tests.reports.factories import Tree

            fake = Tree(root, root, root, {}, {}, officer, officer)
            await round_for(session, fake, tpl, deadline=utcnow() + timedelta(days=3), now=utcnow())
        await sb.send_user_message(officer_user["id"], text="/thongke")
        msgs = await sb.wait_until(
            lambda: sb.get_messages(officer_user["id"]),
            lambda ms: any("photo" in m for m in ms),
            what="the statistics and the chart",
        )
        texts = [m["text"] for m in msgs if "text" in m]
        assert len(texts) >= 2 and all(len(t) <= 4096 for t in texts)
        assert "Đã nộp: 0/55" in texts[0] and "khu vực miền núi số 54" in "\n".join(texts)
        assert msgs[len(texts) - 1].get("reply_markup") and not msgs[0].get("reply_markup")
