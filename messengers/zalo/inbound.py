"""Zalo updates translated into aiogram `Update`s for the one dispatcher both messengers share.

Text stays text; a reply that is just the number of a choice the bot showed last (`1`, ` 2 `,
`số 1`) becomes that button's `callback_query`, and so does the choice's label typed out
(`đã nhận`). While a form waits for figures, a bare number is an answer, so choices are then
picked with «số N». `DK <mã>` or a bare invitation short code becomes `/start <mã>`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from common.vietnamese import fold
from directory.identities import messenger_id_for
from directory.invitations import looks_like_short_code, normalize_short_code
from directory.models import Channel
from messengers.zalo.choices import ChoiceStore
from messengers.zalo.session import callback_id, message_number
from storage.db import Database

JSON = dict[str, Any]
InForm = Callable[[int, int], Awaitable[bool]]

_NUMBER = re.compile(r"^\s*(số|so|#)?\s*(\d{1,2})\s*[.)]?\s*$", re.IGNORECASE)
_REGISTER = re.compile(r"^\s*(?:dk|đk|dang ky|đăng ký)\s*[:\-]?\s*(\S.*)$", re.IGNORECASE)


class Inbound:
    def __init__(self, *, db: Database, choices: ChoiceStore, in_form: InForm) -> None:
        self._db = db
        self._choices = choices
        self._in_form = in_form

    async def ids(self, message: JSON) -> tuple[int, int]:
        """The pipeline's integer ids of the sender and the chat, allocated on first sight."""
        sender = str(message["from"]["id"])
        chat = message.get("chat") or {}
        private = str(chat.get("chat_type", "PRIVATE")).upper() != "GROUP"
        async with self._db.transaction() as session:
            user_id = await messenger_id_for(session, channel=Channel.zalo, kind="user", native_id=sender)
            chat_native = str(chat.get("id") or sender)
            if private:
                chat_id = (
                    user_id
                    if chat_native == sender
                    else await messenger_id_for(
                        session, channel=Channel.zalo, kind="user", native_id=chat_native
                    )
                )
            else:
                chat_id = await messenger_id_for(
                    session, channel=Channel.zalo, kind="group", native_id=chat_native
                )
        return user_id, chat_id

    async def translate(self, update: JSON) -> JSON | None:
        """The aiogram update (as a dict), or None for what Loa does not handle (stickers, images)."""
        message = update.get("message")
        if not isinstance(message, dict) or not isinstance(message.get("from"), dict):
            return None
        text = message.get("text")
        if not isinstance(text, str) or not text.strip():
            return None
        user_id, chat_id = await self.ids(message)
        update_id = message_number(str(message.get("message_id") or f"{user_id}:{time.time_ns()}"))
        name = str(message["from"].get("display_name") or message["from"].get("name") or "Người dùng Zalo")
        user = {"id": user_id, "is_bot": False, "first_name": name[:64]}
        chat: JSON = (
            {"id": chat_id, "type": "private", "first_name": name[:64]}
            if chat_id > 0
            else {"id": chat_id, "type": "group", "title": "Nhóm Zalo"}
        )
        date = int(message.get("date") or time.time() * 1000) // 1000
        picked = await self._picked(text, chat_id, user_id)
        if picked is not None and picked.get("data"):
            return {
                "update_id": update_id,
                "callback_query": {
                    "id": callback_id(chat_id, update_id),
                    "from": user,
                    "chat_instance": str(chat_id),
                    "data": picked["data"],
                    "message": {
                        "message_id": picked["message_id"],
                        "date": date,
                        "chat": chat,
                        "text": picked["message_text"] or "…",
                    },
                },
            }
        if picked is not None and picked.get("text"):
            text = picked["text"]
        elif chat_id > 0:
            text = self._registration(text)
        return {
            "update_id": update_id,
            "message": {"message_id": update_id, "date": date, "chat": chat, "from": user, "text": text},
        }

    async def _picked(self, text: str, chat_id: int, user_id: int) -> JSON | None:
        shown = await self._choices.load(chat_id)
        if shown is None or not shown.choices:
            return None
        choice: dict[str, Any] | None = None
        number = _NUMBER.match(text)
        if number is not None:
            n = int(number.group(2))
            explicit = number.group(1) is not None
            if 1 <= n <= len(shown.choices) and (explicit or not await self._in_form(chat_id, user_id)):
                choice = shown.choices[n - 1]
        else:
            typed = _label_key(text)
            choice = next((c for c in shown.choices if typed and _label_key(c["label"]) == typed), None)
        if choice is None:
            return None
        return {**choice, "message_id": shown.message_id, "message_text": shown.text}

    @staticmethod
    def _registration(text: str) -> str:
        match = _REGISTER.match(text)
        if match is not None and looks_like_short_code(match.group(1)):
            return "/start " + normalize_short_code(match.group(1))
        if looks_like_short_code(text) and len(text.strip()) <= 12:
            return "/start " + normalize_short_code(text)
        return text


def _label_key(text: str) -> str:
    """`✅ Đã nhận` and `da nhan` alike: letters and digits only, folded."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", fold(text).lower()).split())
