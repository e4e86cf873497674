"""Where Telegram is strict, the sandbox is too: HTML rules, floods on every call, tokens, webhooks, media."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter, TelegramUnauthorizedError
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

from sandbox.client import SandboxClient
from sandbox.server import SandboxServer
from tests.sandbox.conftest import make_bot


@pytest.mark.parametrize(
    ("html", "detail"),
    [
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("x <b", "Unclosed start tag at byte offset 2"),
        ("Số <10 người>", 'Unsupported start tag "10" at byte offset 5'),  # offsets in UTF-8 bytes
        ("<p>đoạn</p>", 'Unsupported start tag "p" at byte offset 0'),
    ],
)
async def test_bare_less_than_and_unknown_tags_are_refused(
    bot: Bot, client: SandboxClient, html: str, detail: str
) -> None:
    user = await client.create_user("Lan")
    with pytest.raises(TelegramBadRequest, match="can't parse entities") as caught:
        await bot.send_message(user["id"], html, parse_mode="HTML")
    assert detail in caught.value.message
    assert await client.get_messages(user["id"]) == []


async def test_only_telegrams_named_entities_are_decoded(bot: Bot, client: SandboxClient) -> None:
    user = await client.create_user("Lan")
    sent = await bot.send_message(
        user["id"], "1 &lt; 2 &amp;&amp; a&nbsp;b &quot;c&quot; &#8364;", parse_mode="HTML"
    )
    assert sent.text == '1 < 2 && a&nbsp;b "c" €'


async def test_edits_deletes_actions_and_callback_answers_get_429_during_a_flood(
    frozen_bot: Bot, frozen_client: SandboxClient
) -> None:
    users = [await frozen_client.create_user(f"U{i}") for i in range(31)]
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="OK", callback_data="ok")]])
    first = await frozen_bot.send_message(users[0]["id"], "tin", reply_markup=markup)
    pressed = await frozen_client.press_button(users[0]["id"], first.message_id, "ok")
    sent = [await frozen_bot.send_message(user["id"], "tin") for user in users[1:30]]  # 30 in one second
    with pytest.raises(TelegramRetryAfter) as caught:
        await frozen_bot.edit_message_text(
            "tin (đã sửa)", chat_id=users[0]["id"], message_id=first.message_id
        )
    assert caught.value.retry_after >= 1
    with pytest.raises(TelegramRetryAfter):
        await frozen_bot.delete_message(users[1]["id"], sent[0].message_id)
    with pytest.raises(TelegramRetryAfter):
        await frozen_bot.send_chat_action(users[0]["id"], "typing")
    with pytest.raises(TelegramRetryAfter):
        await frozen_bot.answer_callback_query(pressed["callback_query_id"], text="Đã nhận")

    await frozen_client.advance_clock(1.0)  # the flood is over: the same calls go through
    edited = await frozen_bot.edit_message_text(
        "tin (đã sửa)", chat_id=users[0]["id"], message_id=first.message_id
    )
    assert not isinstance(edited, bool) and edited.text == "tin (đã sửa)"
    assert await frozen_bot.answer_callback_query(pressed["callback_query_id"], text="Đã nhận")


async def test_malformed_token_is_unauthorized(sandbox: SandboxServer) -> None:
    short = make_bot(sandbox.base_url, token="123456:short-token")
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await short.get_me()
    finally:
        await short.session.close()


async def test_set_webhook_requires_https_on_a_telegram_port() -> None:
    async with SandboxServer() as strict:  # no dev flag: Telegram's rules
        bot = make_bot(strict.base_url)
        try:
            with pytest.raises(TelegramBadRequest, match="HTTPS URL must be provided"):
                await bot.set_webhook("http://loa.example.vn/telegram/webhook")
            with pytest.raises(TelegramBadRequest, match="ports 80, 88, 443 or 8443"):
                await bot.set_webhook("https://loa.example.vn:8080/telegram/webhook")
            assert await bot.set_webhook("https://loa.example.vn:8443/telegram/webhook")
            assert await bot.set_webhook("https://loa.example.vn/telegram/webhook")
        finally:
            await bot.session.close()


async def test_text_is_trimmed_and_entities_detected(bot: Bot, client: SandboxClient) -> None:
    user = await client.create_user("Lan")
    sent = await bot.send_message(
        user["id"],
        "\n  <b>Xem</b> https://congdoan.vn, gõ /baocao, hỏi @loa_bot #tinmoi  \n",
        parse_mode="HTML",
    )
    assert sent.text == "Xem https://congdoan.vn, gõ /baocao, hỏi @loa_bot #tinmoi"
    found = {(e.type, e.extract_from(sent.text)) for e in sent.entities or []}
    assert found == {
        ("bold", "Xem"),
        ("url", "https://congdoan.vn"),
        ("bot_command", "/baocao"),
        ("mention", "@loa_bot"),
        ("hashtag", "#tinmoi"),
    }


async def test_garbage_photo_bytes_are_refused(bot: Bot, client: SandboxClient) -> None:
    user = await client.create_user("Lan")
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(user["id"], BufferedInputFile(b"not an image at all", filename="x.png"))
