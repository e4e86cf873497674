"""The outbox's `Transport` for Zalo: what the engine sends, rendered for a messenger of plain text.

A part becomes one or more messages of at most 2,000 characters cut at sentence ends, its buttons
numbered choices at the end («Gõ 1 để chọn «✅ Đã nhận»»), so an acknowledgment is typed as «1».
A photo given by URL goes as a photo; other files as a link or a note (Zalo bots send no files).
Zalo cannot edit or delete: an edit arrives as a new message marked as an update; a delete is
reported as failed, so the officer sees which Zalo chats still show a recalled message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from messengers.zalo.api import ZaloApi, ZaloError
from messengers.zalo.choices import ChoiceStore, Shown
from messengers.zalo.render import TEXT_LIMIT, Choice, choices_block, html_to_text, split_text, with_choices
from messengers.zalo.session import message_number
from outbox.parts import Markup, Part, PartKind
from outbox.transport import Blocked, Permanent, RetryAfter, SendError, Transient

AddressOf = Callable[[int], Awaitable[str | None]]
EDITED = "✏️ Cập nhật:"


def map_error(exc: ZaloError) -> SendError:
    if exc.code == 403:
        return Blocked(exc.description)
    if exc.code == 429:
        return RetryAfter(1.0)  # Zalo publishes no retry_after: wait a second, the pacer slows down
    if exc.code >= 500 or exc.code == 408:
        return Transient(f"{exc.code}: {exc.description}")
    return Permanent(f"{exc.code}: {exc.description}")


def _choices(markup: Markup | None) -> tuple[list[Choice], list[tuple[str, str]]]:
    choices: list[Choice] = []
    links: list[tuple[str, str]] = []
    for row in markup or ():
        for b in row:
            if b.url:
                links.append((b.text, b.url))
            elif b.callback_data:
                choices.append(Choice(b.text, data=b.callback_data))
    return choices, links


class ZaloTransport:
    def __init__(self, *, api: ZaloApi, choices: ChoiceStore, address_of: AddressOf) -> None:
        self.api = api
        self.choices = choices
        self._address_of = address_of

    async def _call(self, method: str, **params: Any) -> str:
        try:
            result = await self.api.call(method, **params)
        except ZaloError as exc:
            raise map_error(exc) from exc
        return str((result or {}).get("message_id") or "")

    async def _address(self, chat_id: int) -> str:
        address = await self._address_of(chat_id)
        if address is None:
            raise Permanent("chat not found (no Zalo address)")
        return address

    async def send(self, chat_id: int, part: Part, *, paid: bool = False) -> int:
        address = await self._address(chat_id)
        choices, links = _choices(part.markup)
        text = html_to_text(part.html)
        native = ""
        media = part.media or ""
        if part.kind is PartKind.photo and media.startswith(("http://", "https://")):
            caption, *rest = split_text(text, TEXT_LIMIT) if text else [""]
            native = await self._call("sendPhoto", chat_id=address, photo=media, caption=caption)
            text = "\n\n".join(rest)
        elif part.kind is not PartKind.text:
            note = (
                f"📎 Tệp đính kèm: {media}"
                if media.startswith(("http://", "https://"))
                else f"📎 {part.filename or 'Tệp đính kèm'}: xin xem trên trang quản trị hoặc Telegram."
            )
            text = f"{text}\n\n{note}" if text else note
        block = choices_block(choices, links)
        if text or block:
            for piece in with_choices(text, block):
                native = await self._call("sendMessage", chat_id=address, text=piece)
        message_id = message_number(native or f"{chat_id}:{part.html[:50]}")
        await self.choices.save(
            chat_id, Shown(message_id, text, [c.as_dict() for c in choices]) if choices else None
        )
        return message_id

    async def edit(self, chat_id: int, message_id: int, part: Part) -> None:
        marked = Part(part.kind, f"{EDITED}\n{part.html}", part.media, part.filename, part.markup)
        await self.send(chat_id, marked)

    async def edit_markup(self, chat_id: int, message_id: int, markup: Markup | None) -> None:
        choices, _ = _choices(markup)
        shown = await self.choices.load(chat_id)
        if shown is not None and shown.message_id == message_id:
            # the choices change quietly; posting the buttons again would only add noise
            updated = Shown(message_id, shown.text, [c.as_dict() for c in choices]) if choices else None
            await self.choices.save(chat_id, updated)

    async def delete(self, chat_id: int, message_id: int) -> None:
        raise Permanent("Zalo cannot delete a sent message")

    async def close(self) -> None:
        await self.choices.drain()
        await self.api.close()


class AddressBook:
    """Synthetic chat id → Zalo's native id, cached (the mapping never changes)."""

    def __init__(self, lookup: AddressOf) -> None:
        self._lookup = lookup
        self._cache: dict[int, str] = {}

    async def __call__(self, chat_id: int) -> str | None:
        found = self._cache.get(chat_id)
        if found is None:
            found = await self._lookup(chat_id)
            if found is not None:
                self._cache[chat_id] = found
        return found
