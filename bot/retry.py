"""Interactive replies honour Telegram's `retry_after` instead of failing the update.

A person who taps quickly can hit the per-chat flood limit; Telegram then answers 429 with
`retry_after`. For a reply to that person the right thing is to wait that long (briefly) and send
again. The broadcast engine does its own pacing and 429 accounting, so its worker turns this off
for the tasks it runs (`interactive_retry.set(False)`)."""

from __future__ import annotations

import asyncio
from contextvars import ContextVar
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType

interactive_retry: ContextVar[bool] = ContextVar("loa_interactive_retry", default=True)


class RetryAfterMiddleware(BaseRequestMiddleware):
    def __init__(self, *, max_wait: float = 5.0, attempts: int = 3) -> None:
        self.max_wait = max_wait
        self.attempts = attempts

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        attempt = 1
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if not interactive_retry.get() or attempt >= self.attempts or exc.retry_after > self.max_wait:
                    raise
                attempt += 1
                await asyncio.sleep(exc.retry_after)


def install(bot: Bot, **kwargs: Any) -> Bot:
    bot.session.middleware(RetryAfterMiddleware(**kwargs))
    return bot
