"""Replies leave only after the update's transaction has committed.

While an update is handled, every request that sends or changes a message (sendMessage, editMessageText,
answerCallbackQuery, deleteMessage…) is held back and a placeholder result is returned; the unit-of-work
middleware sends them, in order, after the commit. If the handler fails, the transaction rolls back and
the held replies are dropped: nobody is ever told about a change that was never stored, and SQLite's single
writer is never held while the messenger answers. Reads (getMe, getFile, getChat…) go through at once.
Messages Loa sends on its own initiative never pass here: they are outbox records (see `outbox`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import Chat, Message

log = logging.getLogger(__name__)

_HELD_PREFIXES = ("Send", "Edit", "Delete", "Answer", "Copy", "Forward", "Pin", "Unpin", "SetMessageReaction")


@dataclass
class _Held:
    call: Callable[[], Awaitable[Any]]
    name: str
    then: Callable[[Any], Awaitable[None]] | None = None


held_replies: ContextVar[list[_Held] | None] = ContextVar("loa_held_replies", default=None)


def _is_held(method: TelegramMethod[Any]) -> bool:
    return type(method).__name__.startswith(_HELD_PREFIXES)


def _placeholder(method: TelegramMethod[Any]) -> Any:
    returning = getattr(method, "__returning__", None)
    if returning is Message or (isinstance(returning, type) and issubclass(returning, Message)):
        chat_id = getattr(method, "chat_id", 0)
        chat = Chat.model_construct(id=chat_id if isinstance(chat_id, int) else 0, type="private")
        return Message.model_construct(message_id=0, date=datetime.now(UTC), chat=chat)
    return True


class HeldRepliesMiddleware(BaseRequestMiddleware):
    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        held = held_replies.get()
        if held is None or not _is_held(method):
            return await make_request(bot, method)
        held.append(_Held(lambda: make_request(bot, method), type(method).__name__))
        # the session's middleware chain passes results, not Response envelopes (aiogram BaseSession.__call__)
        return cast(Response[TelegramType], _placeholder(method))


async def send_then(
    bot: Bot, method: TelegramMethod[TelegramType], then: Callable[[Any], Awaitable[None]]
) -> None:
    """Sends `method` (after the commit when an update is being handled), then passes its real result
    to `then` — e.g. to remember the file_id Telegram gave an uploaded document."""
    held = held_replies.get()
    if held is None:
        await then(await bot(method))
        return
    held.append(_Held(lambda: bot(method), type(method).__name__, then))


async def send_held(held: list[_Held]) -> None:
    """Sends the replies held during an update, after its commit. One failure does not stop the rest."""
    for item in held:
        try:
            result = await item.call()
            if item.then is not None:
                await item.then(result)
        except Exception:
            log.warning("could not send a reply (%s)", item.name, exc_info=True)


def install(bot: Bot) -> Bot:
    bot.session.middleware(HeldRepliesMiddleware())
    return bot
