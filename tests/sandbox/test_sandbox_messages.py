"""Sending, reading back, editing and deleting messages through a real aiogram Bot."""

from __future__ import annotations

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramNotFound
from aiogram.types import (
    BotCommand,
    ChatMemberAdministrator,
    ChatMemberMember,
    ChatMemberOwner,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    LinkPreviewOptions,
    ReplyKeyboardMarkup,
    ReplyParameters,
)

from sandbox.client import SandboxClient
from sandbox.server import SandboxServer


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=d, callback_data=d) for d in data]]
    )


async def test_get_me(bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == bot.id
    assert me.is_bot
    assert me.username == "loa_bot"


async def test_send_message_round_trip(bot: Bot, client: SandboxClient) -> None:
    user = await client.create_user("Lan", last_name="Nguyễn", username="lan_ng")
    sent = await bot.send_message(
        user["id"],
        "<b>Thông báo</b> họp công đoàn",
        parse_mode="HTML",
        reply_markup=keyboard("yes", "no"),
        disable_notification=True,
        protect_content=True,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )
    assert sent.chat.id == user["id"]
    assert sent.chat.type == "private"
    assert sent.from_user is not None and sent.from_user.id == bot.id
    assert sent.text == "Thông báo họp công đoàn"
    assert sent.entities is not None and sent.entities[0].type == "bold"
    assert sent.reply_markup is not None
    assert sent.has_protected_content

    [seen] = await client.wait_for_messages(user["id"])
    assert seen["message_id"] == sent.message_id
    assert seen["text"] == sent.text
    assert seen["reply_markup"]["inline_keyboard"][0][1]["callback_data"] == "no"
    assert seen["options"]["disable_notification"] is True
    assert seen["options"]["parse_mode"] == "HTML"
    assert seen["edited"] is False and seen["deleted"] is False

    # reply keyboards are not echoed in the Message, but the control API keeps them
    markup = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="Báo cáo")]], resize_keyboard=True)
    second = await bot.send_message(
        user["id"], "Chọn", reply_markup=markup, reply_parameters=ReplyParameters(message_id=sent.message_id)
    )
    assert second.reply_markup is None
    assert second.reply_to_message is not None and second.reply_to_message.message_id == sent.message_id
    messages = await client.wait_for_messages(user["id"], count=2)
    assert messages[1]["reply_markup"]["keyboard"][0][0]["text"] == "Báo cáo"
    # like Telegram, a private user's @username does not name a chat
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message("@lan_ng", "by username")


async def test_parameter_limits(bot: Bot, client: SandboxClient) -> None:
    user = await client.create_user("Minh")
    uid = user["id"]
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(uid, "   ")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(uid, "a" * 4097)
    # 4096 characters after entity parsing is fine even if the HTML source is longer
    await bot.send_message(uid, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(uid, "x", reply_markup=keyboard("d" * 65))
    await bot.send_message(uid, "x", reply_markup=keyboard("đ" * 32))  # 64 bytes in UTF-8
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(uid, "x", reply_markup=keyboard("đ" * 32 + "a"))
    with pytest.raises(TelegramBadRequest, match="can't parse entities: Unsupported start tag"):
        await bot.send_message(uid, "<div>x</div>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match=r"can't parse entities: Character '\.' is reserved"):
        await bot.send_message(uid, "Hạn chót 1.5", parse_mode="MarkdownV2")
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await bot.send_message(uid, "x", reply_parameters=ReplyParameters(message_id=999))
    await bot.send_message(
        uid, "x", reply_parameters=ReplyParameters(message_id=999, allow_sending_without_reply=True)
    )


async def test_unknown_chat_and_method(sandbox: SandboxServer, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(777, "hello")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.get_chat(-100123)
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{sandbox.base_url}/bot{bot.token}/sendTelepathy", json={}) as resp:
            assert resp.status == 404
            assert await resp.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        async with http.get(f"{sandbox.base_url}/botnot-a-token/getMe") as resp:
            assert resp.status == 401
        # urlencoded form with a JSON-encoded nested object, as some clients send
        form = {"chat_id": "1", "text": "x", "reply_markup": "{bad json"}
        async with http.post(f"{sandbox.base_url}/bot{bot.token}/sendMessage", data=form) as resp:
            assert resp.status == 400


async def test_edit_and_delete(sandbox: SandboxServer, bot: Bot, client: SandboxClient) -> None:
    user = await client.create_user("Hoa")
    uid = user["id"]
    sent = await bot.send_message(uid, "Bản nháp", reply_markup=keyboard("a"))
    edited = await bot.edit_message_text(
        "Bản cuối", chat_id=uid, message_id=sent.message_id, reply_markup=keyboard("a")
    )
    assert not isinstance(edited, bool)
    assert edited.text == "Bản cuối" and edited.edit_date is not None
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "Bản cuối", chat_id=uid, message_id=sent.message_id, reply_markup=keyboard("a")
        )
    # without reply_markup the keyboard is removed: that is a modification
    await bot.edit_message_text("Bản cuối", chat_id=uid, message_id=sent.message_id)
    await bot.edit_message_reply_markup(chat_id=uid, message_id=sent.message_id, reply_markup=keyboard("b"))
    with pytest.raises(TelegramBadRequest, match="there is no caption in the message to edit"):
        await bot.edit_message_caption(chat_id=uid, message_id=sent.message_id, caption="c")
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=uid, message_id=999)

    [seen] = await client.get_messages(uid)
    assert seen["edited"] is True
    assert [h["text"] for h in seen["edit_history"]] == ["Bản nháp", "Bản cuối", "Bản cuối"]
    assert seen["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "b"

    assert await bot.delete_message(uid, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(uid, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=uid, message_id=sent.message_id)
    [seen] = await client.get_messages(uid)
    assert seen["deleted"] is True
    assert await client.get_messages(uid, include_deleted=False) == []


async def test_delete_window_in_groups(bot: Bot, client: SandboxClient) -> None:
    user = await client.create_user("Tuấn")
    group = await client.create_group("Tổ công đoàn", [user["id"]])
    old = await bot.send_message(group["id"], "cũ")
    fresh = await bot.send_message(group["id"], "mới")
    private = await bot.send_message(user["id"], "riêng")
    await client.advance_clock(49 * 3600)
    newest = await bot.send_message(group["id"], "mới nhất")
    with pytest.raises(TelegramBadRequest, match="message can't be deleted"):
        await bot.delete_message(group["id"], old.message_id)
    with pytest.raises(TelegramBadRequest, match="message can't be deleted"):
        await bot.delete_message(group["id"], fresh.message_id)
    assert await bot.delete_message(group["id"], newest.message_id)
    assert await bot.delete_message(user["id"], private.message_id)
    # a user's message in a group needs admin rights
    said = await client.send_user_message(user["id"], "xin chào", chat_id=group["id"])
    with pytest.raises(TelegramBadRequest, match="message can't be deleted"):
        await bot.delete_message(group["id"], said["message"]["message_id"])
    await client.promote_bot(group["id"])
    assert await bot.delete_message(group["id"], said["message"]["message_id"])


async def test_copy_and_forward(bot: Bot, client: SandboxClient) -> None:
    a = await client.create_user("A")
    b = await client.create_user("B")
    said = await client.send_user_message(a["id"], "Báo cáo tháng 5")
    copied = await bot.copy_message(b["id"], a["id"], said["message"]["message_id"])
    forwarded = await bot.forward_message(b["id"], a["id"], said["message"]["message_id"])
    assert forwarded.forward_origin is not None
    assert forwarded.text == "Báo cáo tháng 5"
    messages = await client.wait_for_messages(b["id"], count=2)
    assert messages[0]["message_id"] == copied.message_id
    assert messages[0]["text"] == "Báo cáo tháng 5"
    assert "forward_origin" not in messages[0]
    with pytest.raises(TelegramBadRequest, match="message to copy not found"):
        await bot.copy_message(b["id"], a["id"], 12345)


async def test_chat_info_and_members(bot: Bot, client: SandboxClient) -> None:
    owner = await client.create_user("Chủ tịch")
    member = await client.create_user("Đoàn viên")
    outsider = await client.create_user("Người ngoài")
    group = await client.create_group("Ban chấp hành", [owner["id"], member["id"]], type="supergroup")
    assert group["id"] < -1000000000000
    chat = await bot.get_chat(group["id"])
    assert chat.title == "Ban chấp hành" and chat.type == "supergroup"
    assert isinstance(await bot.get_chat_member(group["id"], owner["id"]), ChatMemberOwner)
    assert isinstance(await bot.get_chat_member(group["id"], member["id"]), ChatMemberMember)
    assert (await bot.get_chat_member(group["id"], outsider["id"])).status == "left"
    assert (await bot.get_chat_member(group["id"], bot.id)).status == "member"
    assert await bot.get_chat_member_count(group["id"]) == 3
    await client.promote_bot(group["id"])
    assert isinstance(await bot.get_chat_member(group["id"], bot.id), ChatMemberAdministrator)
    await client.join_group(group["id"], outsider["id"])
    assert await bot.get_chat_member_count(group["id"]) == 4
    assert await bot.leave_chat(group["id"])
    assert (await client.get_chat(group["id"]))["bot_status"] == "left"


async def test_commands(bot: Bot) -> None:
    commands = [
        BotCommand(command="start", description="Bắt đầu"),
        BotCommand(command="baocao", description="Báo cáo"),
    ]
    assert await bot.set_my_commands(commands)
    assert [c.command for c in await bot.get_my_commands()] == ["start", "baocao"]
    assert await bot.get_my_commands(language_code="en") == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad Command", description="x")])
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == []
    assert (await bot.get_chat_menu_button()).type == "commands"


async def test_unsupported_method_is_not_found(bot: Bot, client: SandboxClient) -> None:
    user = await client.create_user("P")
    with pytest.raises(TelegramNotFound):
        await bot.send_dice(user["id"])
    calls = await client.get_calls(method="sendDice")
    assert calls[0]["status"] == 404
