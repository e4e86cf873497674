"""Errors are answered in one place. By the time these run, the update's transaction has rolled back
(bot/middlewares.py), so nothing half-written stays and no reply held for the failed attempt is sent.

A `DomainError` carries its own short Vietnamese message: it goes back to the person as is (an alert for
a button press). Anything else is a bug: logged, and the person gets a polite apology in private chats.
"""

from __future__ import annotations

import logging
from html import escape

from aiogram import Router
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent, Message

from common.errors import DomainError

log = logging.getLogger(__name__)

SORRY = "Xin lỗi, Loa gặp sự cố khi xử lý yêu cầu. Không có dữ liệu nào bị lưu dở. Xin thử lại sau ít phút."


def _message_of(event: ErrorEvent) -> Message | None:
    update = event.update
    if update.message is not None:
        return update.message
    if update.callback_query is not None and isinstance(update.callback_query.message, Message):
        return update.callback_query.message
    return None


async def on_domain_error(event: ErrorEvent) -> None:
    exc = event.exception
    assert isinstance(exc, DomainError)
    log.info("update %s refused: %s", event.update.update_id, exc.code)
    try:
        query = event.update.callback_query
        if query is not None:
            await query.answer(exc.message[:200], show_alert=True)
            return
        message = _message_of(event)
        if message is not None:
            await message.answer("⚠️ " + escape(exc.message))
    except Exception:  # the messenger itself may be the failure
        log.warning("could not send the refusal", exc_info=True)


async def on_error(event: ErrorEvent) -> None:
    log.exception("update %s failed", event.update.update_id, exc_info=event.exception)
    message = _message_of(event)
    if message is not None and message.chat.type == "private":
        try:
            await message.bot.send_message(message.chat.id, SORRY)  # type: ignore[union-attr]
        except Exception:
            log.warning("could not tell the user about the failure", exc_info=True)


def build_router() -> Router:
    router = Router(name="errors")
    router.errors.register(on_domain_error, ExceptionTypeFilter(DomainError))
    router.errors.register(on_error)
    return router
