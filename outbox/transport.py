"""The engine's only view of a messenger: send, edit and delete text, photo and document parts.

Messenger errors become the engine's `SendError`s, so adding a second messenger means writing one
more `Transport`, not touching the engine. The Telegram one is in `broadcasts.telegram` (this module
stays free of aiogram, so a worker imports quickly).
"""

from __future__ import annotations

from typing import Protocol

from broadcasts.content import Markup, Part


class SendError(Exception):
    """Base of the outcomes a transport reports instead of a message id."""

    def __init__(self, reason: str = "") -> None:
        super().__init__(reason)
        self.reason = reason[:255]


class RetryAfter(SendError):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds}s")
        self.seconds = seconds


class Blocked(SendError):
    """The recipient blocked the bot or removed it from the group: final, the chat goes inactive."""


class Migrated(SendError):
    def __init__(self, new_chat_id: int) -> None:
        super().__init__(f"migrated to {new_chat_id}")
        self.new_chat_id = new_chat_id


class Transient(SendError):
    """Network trouble or a server error: worth retrying later."""


class Permanent(SendError):
    """The request cannot succeed (chat not found, bad content, message too old to delete…)."""


class Transport(Protocol):
    async def send(self, chat_id: int, part: Part, *, paid: bool = False) -> int: ...

    async def edit(self, chat_id: int, message_id: int, part: Part) -> None: ...

    async def edit_markup(self, chat_id: int, message_id: int, markup: Markup | None) -> None: ...

    async def delete(self, chat_id: int, message_id: int) -> None: ...
