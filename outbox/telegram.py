"""The Telegram `Transport` over aiogram: Bot API errors mapped to the engine's outcomes."""

from __future__ import annotations

from pathlib import Path

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import FSInputFile, InlineKeyboardButton, InlineKeyboardMarkup, InputFile

from broadcasts.content import Markup, Part, PartKind
from outbox.transport import Blocked, Migrated, Permanent, RetryAfter, SendError, Transient


def to_inline(markup: Markup | None) -> InlineKeyboardMarkup | None:
    if not markup:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=b.text, url=b.url, callback_data=b.callback_data) for b in row]
            for row in markup
        ]
    )


def _media(ref: str) -> str | InputFile:
    if ref.startswith(("http://", "https://")) or not Path(ref).is_file():
        return ref  # an URL or a file_id Telegram already knows
    return FSInputFile(ref)


def map_error(exc: Exception) -> SendError:
    if isinstance(exc, TelegramRetryAfter):
        return RetryAfter(float(exc.retry_after))
    if isinstance(exc, TelegramMigrateToChat):
        return Migrated(int(exc.migrate_to_chat_id))
    if isinstance(exc, TelegramForbiddenError):
        return Blocked(exc.message)
    if isinstance(exc, TelegramNetworkError | TelegramServerError):
        return Transient(f"{type(exc).__name__}: {exc}")
    if isinstance(exc, TelegramBadRequest | TelegramNotFound | TelegramUnauthorizedError):
        return Permanent(exc.message)
    return Transient(f"{type(exc).__name__}: {exc}")


class TelegramTransport:
    """A Transport over aiogram. A local file is uploaded once; its file_id is reused after that."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._uploaded: dict[str, str] = {}

    async def send(self, chat_id: int, part: Part, *, paid: bool = False) -> int:
        markup = to_inline(part.markup)
        paid_flag = True if paid else None  # None leaves the field out of the request
        try:
            if part.kind is PartKind.text:
                msg = await self.bot.send_message(
                    chat_id, part.html, reply_markup=markup, parse_mode="HTML", allow_paid_broadcast=paid_flag
                )
            else:
                ref = part.media or ""
                media = self._uploaded.get(ref) or _media(ref)
                caption = part.html or None
                if part.kind is PartKind.photo:
                    msg = await self.bot.send_photo(
                        chat_id,
                        media,
                        caption=caption,
                        reply_markup=markup,
                        parse_mode="HTML",
                        allow_paid_broadcast=paid_flag,
                    )
                    if msg.photo and not isinstance(media, str):
                        self._uploaded[ref] = msg.photo[-1].file_id
                else:
                    msg = await self.bot.send_document(
                        chat_id,
                        media,
                        caption=caption,
                        reply_markup=markup,
                        parse_mode="HTML",
                        allow_paid_broadcast=paid_flag,
                    )
                    if msg.document and not isinstance(media, str):
                        self._uploaded[ref] = msg.document.file_id
        except Exception as exc:
            raise map_error(exc) from exc
        return msg.message_id

    async def edit(self, chat_id: int, message_id: int, part: Part) -> None:
        markup = to_inline(part.markup)
        try:
            if part.kind is PartKind.text:
                await self.bot.edit_message_text(
                    text=part.html,
                    chat_id=chat_id,
                    message_id=message_id,
                    reply_markup=markup,
                    parse_mode="HTML",
                )
            else:
                await self.bot.edit_message_caption(
                    chat_id=chat_id,
                    message_id=message_id,
                    caption=part.html,
                    reply_markup=markup,
                    parse_mode="HTML",
                )
        except TelegramBadRequest as exc:
            if "not modified" not in exc.message:
                raise map_error(exc) from exc
        except Exception as exc:
            raise map_error(exc) from exc

    async def edit_markup(self, chat_id: int, message_id: int, markup: Markup | None) -> None:
        try:
            await self.bot.edit_message_reply_markup(
                chat_id=chat_id, message_id=message_id, reply_markup=to_inline(markup)
            )
        except TelegramBadRequest as exc:
            if "not modified" not in exc.message:
                raise map_error(exc) from exc
        except Exception as exc:
            raise map_error(exc) from exc

    async def delete(self, chat_id: int, message_id: int) -> None:
        try:
            await self.bot.delete_message(chat_id, message_id)
        except Exception as exc:
            raise map_error(exc) from exc
