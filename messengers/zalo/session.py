"""An aiogram session that speaks Zalo: handlers written for Telegram run unchanged on Zalo.

The handlers call Bot API methods (sendMessage, editMessageText, answerCallbackQuery, …); this
session turns each into what Zalo can do — plain text in parts of at most 2,000 characters,
buttons as numbered choices, an edit as a new message, a callback answer as a short message or
nothing — and returns the aiogram objects the handlers expect.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any, cast

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.fsm.storage.base import StorageKey
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMessage,
    EditMessageCaption,
    EditMessageReplyMarkup,
    EditMessageText,
    GetMe,
    SendChatAction,
    SendDocument,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.methods.base import Response, TelegramType
from aiogram.types import (
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    Update,
    User,
)

from bot import replies, retry
from directory.identities import is_zalo
from messengers.zalo.api import ZaloApi, ZaloError
from messengers.zalo.choices import ChoiceStore, Shown
from messengers.zalo.render import Choice, choices_block, html_to_text, with_choices

log = logging.getLogger(__name__)

AddressOf = Callable[[int], Awaitable[str | None]]
InForm = Callable[[int], Awaitable[bool]]

# Methods with nothing to do on Zalo: answered True so handlers carry on.
_NOOP = frozenset(
    {
        "setMyCommands",
        "deleteMyCommands",
        "setChatMenuButton",
        "deleteWebhook",
        "setWebhook",
        "pinChatMessage",
    }
)


def message_number(native_id: str) -> int:
    """A stable integer for Zalo's string message id (aiogram's messages carry integers)."""
    return int(hashlib.sha1(native_id.encode()).hexdigest()[:12], 16)  # noqa: S324 (an id, not security)


def callback_id(chat_id: int, n: int) -> str:
    return f"zalo:{chat_id}:{n}"


def chat_of_callback(query_id: str) -> int | None:
    parts = query_id.split(":")
    return int(parts[1]) if len(parts) == 3 and parts[0] == "zalo" else None


def markup_choices(markup: object) -> tuple[list[Choice], list[tuple[str, str]]]:
    choices: list[Choice] = []
    links: list[tuple[str, str]] = []
    if isinstance(markup, InlineKeyboardMarkup):
        for row in markup.inline_keyboard:
            for button in row:
                if button.url:
                    links.append((button.text, button.url))
                elif button.callback_data:
                    choices.append(Choice(button.text, data=button.callback_data))
    elif isinstance(markup, ReplyKeyboardMarkup):
        for krow in markup.keyboard:
            for kbutton in krow:
                choices.append(Choice(kbutton.text, text=kbutton.text))
    return choices, links


class ZaloSession(BaseSession):
    def __init__(self, *, api: ZaloApi, choices: ChoiceStore, address_of: AddressOf, in_form: InForm) -> None:
        super().__init__()
        self.zalo = api
        self.choices = choices
        self._address_of = address_of
        self._in_form = in_form

    async def close(self) -> None:
        await self.zalo.close()

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        raise TelegramBadRequest(GetMe(), "Zalo has no file downloads")  # pragma: no cover
        yield b""  # pragma: no cover

    # ------------------------------------------------------------------ the translation

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        try:
            return cast(TelegramType, await self._translate(bot, method))
        except ZaloError as exc:
            raise self._aiogram_error(method, exc) from None

    async def _translate(self, bot: Bot, method: TelegramMethod[Any]) -> Any:
        if isinstance(method, GetMe):
            return User(id=bot.id, is_bot=True, first_name="Loa", username="loa_zalo")
        if isinstance(method, SendMessage):
            return await self._send_text(bot, int(method.chat_id), method.text, method.reply_markup)
        if isinstance(method, EditMessageText):
            if method.chat_id is None:
                return True
            return await self._send_text(bot, int(method.chat_id), method.text or "", method.reply_markup)
        if isinstance(method, EditMessageCaption):
            if method.chat_id is None:
                return True
            return await self._send_text(bot, int(method.chat_id), method.caption or "", method.reply_markup)
        if isinstance(method, EditMessageReplyMarkup):
            return await self._edit_markup(bot, method)
        if isinstance(method, AnswerCallbackQuery):
            chat_id = chat_of_callback(method.callback_query_id)
            if method.text and chat_id is not None:
                await self._plain(chat_id, html_to_text(method.text))
            return True
        if isinstance(method, SendPhoto | SendDocument):
            return await self._send_media(bot, method)
        if isinstance(method, SendChatAction):
            address = await self._address(int(method.chat_id))
            await self.zalo.call("sendChatAction", chat_id=address, action="typing")
            return True
        if isinstance(method, DeleteMessage):
            return True  # Zalo bots cannot delete; the message simply stays
        if method.__api_method__ in _NOOP:
            return True
        raise TelegramBadRequest(method, f"{method.__api_method__} is not available on Zalo")

    async def _address(self, chat_id: int) -> str:
        address = await self._address_of(chat_id)
        if address is None:
            raise ZaloError(400, "Bad Request: chat not found")
        return address

    async def _plain(self, chat_id: int, text: str) -> str:
        address = await self._address(chat_id)
        result = await self.zalo.call("sendMessage", chat_id=address, text=text)
        return str((result or {}).get("message_id") or time.time_ns())

    async def _send_text(self, bot: Bot, chat_id: int, html: str, markup: object) -> Message:
        choices, links = markup_choices(markup)
        in_form = bool(choices) and chat_id > 0 and await self._in_form(chat_id)
        text = html_to_text(html)
        native = ""
        for part in with_choices(text, choices_block(choices, links, in_form=in_form)):
            native = await self._plain(chat_id, part)
        message = self._message(bot, chat_id, native, text)
        shown = Shown(message.message_id, text, [c.as_dict() for c in choices]) if choices else None
        await self.choices.save(chat_id, shown)
        return message

    async def _edit_markup(self, bot: Bot, method: EditMessageReplyMarkup) -> Any:
        if method.chat_id is None or method.message_id is None:
            return True
        chat_id = int(method.chat_id)
        choices, _ = markup_choices(method.reply_markup)
        shown = await self.choices.load(chat_id)
        if shown is not None and shown.message_id == method.message_id:
            # new labels (e.g. «✅ Đã nhận (2)») or none: the choices change, nothing is posted again
            updated = Shown(shown.message_id, shown.text, [c.as_dict() for c in choices]) if choices else None
            await self.choices.save(chat_id, updated)
        return True

    async def _send_media(self, bot: Bot, method: SendPhoto | SendDocument) -> Message:
        chat_id = int(method.chat_id)
        media = method.photo if isinstance(method, SendPhoto) else method.document
        caption = html_to_text(method.caption)
        if isinstance(method, SendPhoto) and isinstance(media, str) and media.startswith("http"):
            address = await self._address(chat_id)
            result = await self.zalo.call("sendPhoto", chat_id=address, photo=media, caption=caption[:2000])
            return self._message(bot, chat_id, str((result or {}).get("message_id")), caption)
        if isinstance(media, str) and media.startswith("http"):
            note = f"Tệp đính kèm: {media}"
        else:
            name = getattr(media, "filename", None) or "tệp đính kèm"
            note = f"📎 {name} — Zalo chưa nhận tệp từ Loa; xin xem tệp trên trang quản trị hoặc Telegram."
        text = f"{caption}\n\n{note}" if caption else note
        return await self._send_text(bot, chat_id, text.replace("<", "&lt;"), method.reply_markup)

    @staticmethod
    def _message(bot: Bot, chat_id: int, native_id: str, text: str) -> Message:
        data = {
            "message_id": message_number(native_id),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "text": text or "…",
        }
        return Message.model_validate(data, context={"bot": bot})

    @staticmethod
    def _aiogram_error(method: TelegramMethod[Any], exc: ZaloError) -> Exception:
        text = exc.description or str(exc.code)
        if exc.code == 403:
            return TelegramForbiddenError(method, f"Forbidden: {text}")
        if exc.code == 401:
            return TelegramUnauthorizedError(method, text)
        if exc.code == 429:
            return TelegramRetryAfter(method, text, retry_after=1)
        if exc.code == 599:
            return TelegramNetworkError(method, text)
        if exc.code >= 500:
            return TelegramServerError(method, text)
        return TelegramBadRequest(method, text)


# --- the rest of Loa's dealings with aiogram on Zalo's behalf (this module is Zalo's one aiogram adapter)


def zalo_bot(token: str, session: ZaloSession) -> Bot:
    """The Zalo side's aiogram Bot. Like Telegram's: replies leave after the update's commit, 429s wait."""
    bot = Bot(token=token, session=session)
    replies.install(bot)
    return retry.install(bot)


def update_of(data: dict[str, Any], bot: Bot) -> Update:
    return Update.model_validate(data, context={"bot": bot})


def fsm_key(bot: Bot, chat_id: int, user_id: int) -> StorageKey:
    return StorageKey(bot_id=bot.id, chat_id=chat_id, user_id=user_id)


class ZaloRouting(BaseRequestMiddleware):
    """On the Telegram bot's session: a call aimed at a Zalo chat goes to the Zalo bot instead."""

    def __init__(self, zalo_bot: Bot) -> None:
        self.zalo_bot = zalo_bot

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        chat_id = getattr(method, "chat_id", None)
        if isinstance(chat_id, int) and is_zalo(chat_id) and bot is not self.zalo_bot:
            # the middleware chain passes results, not Response envelopes (aiogram BaseSession.__call__)
            return cast(Response[TelegramType], await self.zalo_bot.session(self.zalo_bot, method))
        return await make_request(bot, method)
