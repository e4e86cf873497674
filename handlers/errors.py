"""Errors are mapped to a reply in one place."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.types import ErrorEvent

log = logging.getLogger(__name__)

SORRY = "Xin lỗi, Loa gặp sự cố khi xử lý yêu cầu. Không có dữ liệu nào bị lưu dở. Xin thử lại sau ít phút."


async def on_error(event: ErrorEvent) -> None:
    log.exception("update %s failed", event.update.update_id, exc_info=event.exception)
    message = event.update.message or (
        event.update.callback_query.message if event.update.callback_query else None
    )
    if message is not None and message.chat.type == "private":
        try:
            await message.bot.send_message(message.chat.id, SORRY)  # type: ignore[union-attr]
        except Exception:  # the messenger itself may be the failure
            log.warning("could not tell the user about the failure", exc_info=True)


def build_router() -> Router:
    router = Router(name="errors")
    router.errors.register(on_error)
    return router
