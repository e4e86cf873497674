"""getUpdates semantics, users' messages and callbacks, and an aiogram Dispatcher end to end."""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.exceptions import TelegramBadRequest, TelegramConflictError
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from sandbox.client import SandboxClient
from sandbox.server import SandboxServer


async def test_offset_limit_and_confirmation(bot: Bot, client: SandboxClient) -> None:
    user = await client.create_user("Mai")
    ids = [(await client.send_user_message(user["id"], f"tin {i}"))["update_id"] for i in range(5)]
    assert ids == sorted(ids) and len(set(ids)) == 5

    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == ids
    assert updates[0].message is not None and updates[0].message.text == "tin 0"
    assert updates[0].message.from_user is not None and updates[0].message.from_user.id == user["id"]
    # not confirmed yet: asking again returns the same
    assert [u.update_id for u in await bot.get_updates(limit=2)] == ids[:2]
    # offset confirms everything below it
    assert [u.update_id for u in await bot.get_updates(offset=ids[2])] == ids[2:]
    assert [u.update_id for u in await bot.get_updates()] == ids[2:]
    # negative offset keeps only the last -offset updates
    assert [u.update_id for u in await bot.get_updates(offset=-1)] == ids[4:]
    assert [u.update_id for u in await bot.get_updates()] == ids[4:]
    assert await bot.get_updates(offset=ids[4] + 1) == []
    assert await client.pending_updates() == []


async def test_long_poll_wakes_on_new_update(bot: Bot, client: SandboxClient) -> None:
    user = await client.create_user("Đức")
    loop = asyncio.get_running_loop()
    started = loop.time()
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await client.wait_until(client.get_stats, lambda s: s["active_polls"] == 1, what="a waiting poll")
    await client.send_user_message(user["id"], "/start")
    updates = await asyncio.wait_for(poll, 5)
    assert loop.time() - started < 3
    assert len(updates) == 1
    message = updates[0].message
    assert message is not None and message.entities is not None
    assert message.entities[0].type == "bot_command" and message.entities[0].length == len("/start")


async def test_long_poll_times_out_empty(sandbox: SandboxServer, bot: Bot) -> None:
    # aiogram only sends whole seconds; a raw call can ask for a fraction
    loop = asyncio.get_running_loop()
    started = loop.time()
    url = f"{sandbox.base_url}/bot{bot.token}/getUpdates"
    async with aiohttp.ClientSession() as http, http.post(url, json={"timeout": 0.3}) as resp:
        assert await resp.json() == {"ok": True, "result": []}
    assert 0.25 <= loop.time() - started < 2


async def test_second_poller_conflicts_the_first(bot: Bot, client: SandboxClient) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=10))
    await client.wait_until(client.get_stats, lambda s: s["active_polls"] == 1, what="a waiting poll")
    assert await bot.get_updates() == []
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await asyncio.wait_for(first, 5)


async def test_allowed_updates_filter(bot: Bot, client: SandboxClient) -> None:
    user = await client.create_user("Bình")
    await bot.get_updates(allowed_updates=["callback_query"])
    sent = await bot.send_message(
        user["id"],
        "?",
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="ok", callback_data="ok")]]
        ),
    )
    assert (await client.send_user_message(user["id"], "ignored"))["update_id"] is None
    pressed = await client.press_button(user["id"], sent.message_id, "ok")
    updates = await bot.get_updates(allowed_updates=[])
    assert [u.update_id for u in updates] == [pressed["update_id"]]
    assert updates[0].callback_query is not None and updates[0].callback_query.data == "ok"


async def test_callback_query_and_answer(bot: Bot, client: SandboxClient) -> None:
    user = await client.create_user("Nam")
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Đồng ý", callback_data="vote:yes")]]
    )
    sent = await bot.send_message(user["id"], "Biểu quyết", reply_markup=markup)
    with pytest.raises(Exception, match="no inline button"):
        await client.press_button(user["id"], sent.message_id, "vote:no")
    pressed = await client.press_button(user["id"], sent.message_id, "vote:yes")
    [update] = await bot.get_updates()
    query = update.callback_query
    assert query is not None and query.id == pressed["callback_query_id"]
    assert query.message is not None and query.message.message_id == sent.message_id
    assert query.from_user.id == user["id"]
    assert await bot.answer_callback_query(query.id, text="Đã ghi nhận", show_alert=True)
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query.id)
    [answer] = await client.get_callback_answers()
    assert answer["callback_query_id"] == query.id
    assert answer["text"] == "Đã ghi nhận" and answer["show_alert"] is True
    assert answer["data"] == "vote:yes" and answer["user_id"] == user["id"]


async def test_redeliver_and_raw_injection(bot: Bot, client: SandboxClient) -> None:
    user = await client.create_user("Khoa")
    said = await client.send_user_message(user["id"], "một lần")
    [update] = await bot.get_updates()
    assert await bot.get_updates(offset=update.update_id + 1) == []
    await client.redeliver_update(said["update_id"])
    [again] = await bot.get_updates(offset=update.update_id + 1)
    assert again.update_id == update.update_id
    assert again.message is not None and again.message.text == "một lần"
    assert await bot.get_updates(offset=again.update_id + 1) == []

    raw = {
        "message": {
            "message_id": 1,
            "date": 1,
            "chat": {"id": 5, "type": "private", "first_name": "X"},
            "text": "hi",
        }
    }
    injected = await client.inject_update(raw)
    [got] = await bot.get_updates(offset=again.update_id + 1)
    assert got.update_id == injected > again.update_id
    assert got.message is not None and got.message.text == "hi"


async def test_dispatcher_end_to_end(bot: Bot, client: SandboxClient) -> None:
    """A real aiogram Dispatcher polling the sandbox: deep link, command args and a callback."""
    dp = Dispatcher()

    @dp.message(CommandStart(deep_link=True))
    async def start(message: Message, command: CommandObject) -> None:
        markup = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="Xác nhận", callback_data="ok")]]
        )
        await message.answer(f"Mã mời: {command.args}", reply_markup=markup)

    @dp.message(Command("baocao"))
    async def report(message: Message, command: CommandObject) -> None:
        await message.reply(f"Đã nhận báo cáo {command.args}")

    @dp.callback_query(F.data == "ok")
    async def confirm(query: CallbackQuery) -> None:
        await query.answer("Xong")
        if isinstance(query.message, Message):
            await query.message.edit_text("Đã xác nhận")

    user = await client.create_user("Thảo")
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
    try:
        await client.send_user_message(user["id"], "/start INVITE42")
        [welcome] = await client.wait_for_messages(
            user["id"], predicate=lambda m: "Mã mời" in (m.get("text") or "")
        )
        assert welcome["text"] == "Mã mời: INVITE42"
        await client.press_button(user["id"], welcome["message_id"], "ok")
        await client.wait_for_callback_answers()
        [edited] = await client.wait_for_messages(user["id"], predicate=lambda m: m["edited"])
        assert edited["text"] == "Đã xác nhận"
        said = await client.send_user_message(user["id"], "/baocao T5")
        [reply] = await client.wait_for_messages(user["id"], predicate=lambda m: "reply_to_message" in m)
        assert reply["reply_to_message"]["message_id"] == said["message"]["message_id"]
        assert reply["text"] == "Đã nhận báo cáo T5"
    finally:
        await dp.stop_polling()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(polling, 5)
