"""Metrics taken at the two seams every message passes: the Bot API session and the dispatcher.

Counting at the session sees every Bot API call whatever made it (the outbox engine, a reply, an
edit), so 429s and ``retry_after`` need no code in the domains. Deliveries by kind are counted by
the outbox engine itself (``loa_deliveries_total``), which knows what each message is.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
)
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import TelegramObject

from bot.metrics import Metrics

CHANNEL = "telegram"


class MessengerCallMetrics(BaseRequestMiddleware):
    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        name = type(method).__name__
        outcome = "failed"
        try:
            response = await make_request(bot, method)
            outcome = "ok"
            return response
        except TelegramRetryAfter as exc:
            outcome = "rate_limited"
            self.metrics.rate_limited.labels(channel=CHANNEL, method=name).inc()
            self.metrics.retry_after_seconds.labels(channel=CHANNEL).inc(exc.retry_after)
            raise
        except TelegramForbiddenError:
            outcome = "blocked"
            raise
        except TelegramBadRequest:
            outcome = "rejected"
            raise
        except TelegramAPIError:
            outcome = "failed"
            raise
        finally:
            self.metrics.messenger_calls.labels(channel=CHANNEL, method=name, outcome=outcome).inc()


class UpdateMetrics(BaseMiddleware):
    """Counts updates whose handling raised (``loa_update_errors_total``) and when the last one came."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        self.metrics.last_update.set(time.time())
        try:
            return await handler(event, data)
        except Exception:
            self.metrics.update_errors.inc()
            raise


def instrument(*, bot: Bot, dispatcher: Dispatcher, metrics: Metrics) -> None:
    """Attach the metrics seams to a built bot and dispatcher (idempotent per object)."""
    if not any(isinstance(m, MessengerCallMetrics) for m in bot.session.middleware):
        bot.session.middleware(MessengerCallMetrics(metrics))
    if not any(isinstance(m, UpdateMetrics) for m in dispatcher.update.outer_middleware):
        dispatcher.update.outer_middleware(UpdateMetrics(metrics))
