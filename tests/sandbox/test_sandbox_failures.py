"""Failure simulation: blocked users, removed bot, migrated groups, injected 5xx and slow calls."""

from __future__ import annotations

import asyncio

import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramServerError,
)
from aiogram.types import ChatMemberBanned, ChatMemberMember

from sandbox.client import SandboxClient, SandboxControlError


async def test_blocked_user(bot: Bot, client: SandboxClient) -> None:
    user = await client.create_user("Thu")
    await bot.send_message(user["id"], "trước khi chặn")
    blocked = await client.block_user(user["id"])
    with pytest.raises(TelegramForbiddenError, match="Forbidden: bot was blocked by the user"):
        await bot.send_message(user["id"], "sau khi chặn")
    with pytest.raises(TelegramForbiddenError):
        await bot.send_chat_action(user["id"], "typing")
    [update] = await bot.get_updates()
    assert update.update_id == blocked["update_id"]
    assert update.my_chat_member is not None
    assert isinstance(update.my_chat_member.new_chat_member, ChatMemberBanned)
    assert update.my_chat_member.new_chat_member.user.id == bot.id
    assert update.my_chat_member.from_user.id == user["id"]

    await client.unblock_user(user["id"])
    await bot.send_message(user["id"], "đã bỏ chặn")
    updates = await bot.get_updates(offset=update.update_id + 1)
    assert updates[0].my_chat_member is not None
    assert isinstance(updates[0].my_chat_member.new_chat_member, ChatMemberMember)
    assert [m["text"] for m in await client.get_messages(user["id"])] == ["trước khi chặn", "đã bỏ chặn"]


async def test_user_writing_again_unblocks(bot: Bot, client: SandboxClient) -> None:
    user = await client.create_user("Sơn")
    await client.block_user(user["id"])
    said = await client.send_user_message(user["id"], "/start")
    assert len(said["other_update_ids"]) == 1
    await bot.send_message(user["id"], "chào mừng trở lại")


async def test_deactivated_and_never_started_users(bot: Bot, client: SandboxClient) -> None:
    gone = await client.create_user("Cũ")
    await client.deactivate_user(gone["id"])
    with pytest.raises(TelegramForbiddenError, match="user is deactivated"):
        await bot.send_message(gone["id"], "x")
    stranger = await client.create_user("Lạ", started=False)
    with pytest.raises(TelegramForbiddenError, match="bot can't initiate conversation with a user"):
        await bot.send_message(stranger["id"], "x")
    await client.send_user_message(stranger["id"], "/start")
    await bot.send_message(stranger["id"], "chào")


async def test_bot_removed_from_group(bot: Bot, client: SandboxClient) -> None:
    owner = await client.create_user("Chủ")
    group = await client.create_group("Nhóm", [owner["id"]], bot_status="left")
    with pytest.raises(TelegramForbiddenError, match="bot is not a member of the group chat"):
        await bot.send_message(group["id"], "x")
    added = await client.add_bot(group["id"], by_user_id=owner["id"])
    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == added["update_ids"]
    assert (
        updates[0].my_chat_member is not None and updates[0].my_chat_member.new_chat_member.status == "member"
    )
    service = updates[1].message
    assert service is not None and service.new_chat_members is not None
    assert service.new_chat_members[0].id == bot.id
    await bot.send_message(group["id"], "xin chào nhóm")

    removed = await client.remove_bot(group["id"])
    with pytest.raises(TelegramForbiddenError, match="Forbidden: bot was kicked from the group chat"):
        await bot.send_message(group["id"], "x")
    updates = await bot.get_updates(offset=updates[-1].update_id + 1)
    assert [u.update_id for u in updates] == removed["update_ids"]
    assert (
        updates[0].my_chat_member is not None and updates[0].my_chat_member.new_chat_member.status == "kicked"
    )
    with pytest.raises(SandboxControlError, match="cannot remove"):
        await client.remove_bot(group["id"])


async def test_members_join_and_leave(bot: Bot, client: SandboxClient) -> None:
    owner = await client.create_user("Chủ")
    newcomer = await client.create_user("Mới")
    group = await client.create_group("Nhóm", [owner["id"]])
    joined = await client.join_group(group["id"], newcomer["id"])
    left = await client.leave_group(group["id"], newcomer["id"])
    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == joined["update_ids"] + left["update_ids"]
    assert updates[0].message is not None and updates[0].message.new_chat_members is not None
    assert updates[1].message is not None and updates[1].message.left_chat_member is not None
    assert (await bot.get_chat_member(group["id"], newcomer["id"])).status == "left"


async def test_migrated_group(bot: Bot, client: SandboxClient) -> None:
    owner = await client.create_user("Chủ")
    group = await client.create_group("Nhóm cũ", [owner["id"]])
    await bot.send_message(group["id"], "trước khi nâng cấp")
    new_id = await client.migrate_group(group["id"])
    assert str(new_id).startswith("-100") and len(str(new_id)) == 14
    with pytest.raises(TelegramMigrateToChat) as caught:
        await bot.send_message(group["id"], "x")
    assert caught.value.migrate_to_chat_id == new_id
    assert "group chat was upgraded to a supergroup chat" in caught.value.message
    sent = await bot.send_message(new_id, "sau khi nâng cấp")
    assert sent.chat.type == "supergroup"
    updates = await bot.get_updates()
    assert updates[0].message is not None and updates[0].message.migrate_to_chat_id == new_id
    assert updates[0].message.chat.id == group["id"]
    assert updates[1].message is not None and updates[1].message.migrate_from_chat_id == group["id"]
    assert updates[1].message.chat.id == new_id
    assert (await client.get_chat(new_id))["members"] == {str(owner["id"]): "creator"}


async def test_injected_server_errors(bot: Bot, client: SandboxClient) -> None:
    user = await client.create_user("Lỗi")
    await client.add_fault("error", count=2, status=500)
    with pytest.raises(TelegramServerError, match="Internal Server Error"):
        await bot.send_message(user["id"], "1")
    with pytest.raises(TelegramServerError):
        await bot.get_me()
    await bot.send_message(user["id"], "3")
    await client.add_fault("error", status=502, method="sendMessage", chat_id=user["id"])
    await bot.get_me()  # another method is not affected
    with pytest.raises(TelegramServerError, match="Bad Gateway"):
        await bot.send_message(user["id"], "4")
    assert await client.list_faults() == []
    await client.add_fault("error", status=502, html=True)
    with pytest.raises(Exception, match="Failed to decode object"):
        await bot.get_me()
    stats = await client.get_stats()
    assert stats["server_errors"] == 4
    assert [m["text"] for m in await client.get_messages(user["id"])] == ["3"]


async def test_injected_slow_response(bot: Bot, client: SandboxClient) -> None:
    user = await client.create_user("Chậm")
    await client.add_fault("slow", delay=0.3, method="sendMessage")
    loop = asyncio.get_running_loop()
    started = loop.time()
    await bot.send_message(user["id"], "chậm")
    assert loop.time() - started >= 0.3
    # the fault matched one call only
    started = loop.time()
    await bot.send_message(user["id"], "nhanh")
    assert loop.time() - started < 0.3
    # a pending slow call does not hold up the server's shutdown
    await client.add_fault("slow", delay=30, method="getMe")
    slow = asyncio.create_task(bot.get_me())
    await client.wait_for_calls("sendMessage", count=2)
    assert not slow.done()
    slow.cancel()


async def test_unknown_chat(bot: Bot, client: SandboxClient) -> None:
    with pytest.raises(TelegramBadRequest, match="Bad Request: chat not found"):
        await bot.send_message(424242, "x")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message("@nobody_here", "x")
    with pytest.raises(SandboxControlError, match="not found"):
        await client.get_chat(424242)
