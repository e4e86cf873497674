"""Async client of the sandbox control API (``/sandbox/...``), for tests, the demo and benchmarks."""

# The polling helpers take a ``timeout`` on purpose: they poll, they do not wrap one awaitable.

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import Any, TypeVar

import aiohttp

JSON = dict[str, Any]
T = TypeVar("T")
MessagePredicate = Callable[[JSON], bool]


class SandboxControlError(Exception):
    """The control API answered an error (``{"ok": false, "error": ...}``)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class SandboxClient:
    """``async with SandboxClient(sb.base_url) as client: await client.create_user("An")``."""

    def __init__(self, base_url: str, poll_interval: float = 0.02) -> None:
        self.base_url = base_url.rstrip("/")
        self.poll_interval = poll_interval
        self._session: aiohttp.ClientSession | None = None

    # ------------------------------------------------------------------ plumbing

    async def __aenter__(self) -> SandboxClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def request(
        self, method: str, path: str, body: JSON | None = None, query: dict[str, str] | None = None
    ) -> Any:
        url = f"{self.base_url}/sandbox{path}"
        async with self._http().request(method, url, json=body, params=query) as resp:
            data = await resp.json(content_type=None)
            if resp.status >= 400:
                message = (
                    data.get("error") or data.get("description") if isinstance(data, dict) else str(data)
                )
                raise SandboxControlError(resp.status, str(message))
            return data

    @staticmethod
    def _clean(body: JSON) -> JSON:
        return {k: v for k, v in body.items() if v is not None}

    # ------------------------------------------------------------------ world

    async def reset(self) -> None:
        await self.request("POST", "/reset")

    async def get_limits(self) -> JSON:
        result: JSON = await self.request("GET", "/limits")
        return result

    async def set_limits(self, **changes: Any) -> JSON:
        """``set_limits(enabled=False)``, ``set_limits(per_group_per_min=60)`` ..."""
        result: JSON = await self.request("PUT", "/limits", changes)
        return result

    async def get_clock(self) -> JSON:
        result: JSON = await self.request("GET", "/clock")
        return result

    async def advance_clock(self, seconds: float) -> JSON:
        """Shift the sandbox's wall and monotonic clocks (message ages, rate-limit refill)."""
        result: JSON = await self.request("POST", "/clock", {"advance": seconds})
        return result

    async def create_user(
        self,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "vi",
        user_id: int | None = None,
        started: bool = True,
    ) -> JSON:
        body = self._clean(
            {
                "first_name": first_name,
                "last_name": last_name,
                "username": username,
                "language_code": language_code,
                "id": user_id,
                "started": started,
            }
        )
        result: JSON = await self.request("POST", "/users", body)
        return result

    async def list_users(self) -> list[JSON]:
        result: list[JSON] = await self.request("GET", "/users")
        return result

    async def create_group(
        self,
        title: str,
        member_ids: Sequence[int] = (),
        type: str = "group",
        bot_status: str = "member",
    ) -> JSON:
        body = {"title": title, "type": type, "member_ids": list(member_ids), "bot_status": bot_status}
        result: JSON = await self.request("POST", "/groups", body)
        return result

    async def get_chat(self, chat_id: int) -> JSON:
        result: JSON = await self.request("GET", f"/chats/{chat_id}")
        return result

    async def get_messages(
        self, chat_id: int, include_all: bool = False, include_deleted: bool = True
    ) -> list[JSON]:
        """Messages of a chat: by default those the bot sent (with edit history and deleted flag)."""
        query = {"all": "1" if include_all else "0", "include_deleted": "1" if include_deleted else "0"}
        result: list[JSON] = await self.request("GET", f"/chats/{chat_id}/messages", query=query)
        return result

    # ------------------------------------------------------------------ acting as users

    async def send_user_message(
        self,
        user_id: int,
        text: str | None = None,
        chat_id: int | None = None,
        reply_to_message_id: int | None = None,
        document: bytes | None = None,
        file_name: str = "file.bin",
        mime_type: str | None = None,
        photo: bytes | None = None,
        caption: str | None = None,
    ) -> JSON:
        """A user writes to the bot (private chat by default); returns ``{"update_id", "message"}``."""
        body: JSON = self._clean(
            {"text": text, "chat_id": chat_id, "reply_to_message_id": reply_to_message_id, "caption": caption}
        )
        if document is not None:
            body["document"] = self._clean(
                {
                    "file_name": file_name,
                    "mime_type": mime_type,
                    "content_b64": base64.b64encode(document).decode("ascii"),
                }
            )
        if photo is not None:
            body["photo"] = {"content_b64": base64.b64encode(photo).decode("ascii")}
        result: JSON = await self.request("POST", f"/users/{user_id}/messages", body)
        return result

    async def press_button(
        self, user_id: int, message_id: int, data: str, chat_id: int | None = None, strict: bool = True
    ) -> JSON:
        """A user presses an inline button; returns ``{"update_id", "callback_query_id"}``."""
        body = self._clean({"chat_id": chat_id, "message_id": message_id, "data": data, "strict": strict})
        result: JSON = await self.request("POST", f"/users/{user_id}/callback", body)
        return result

    async def block_user(self, user_id: int, blocked: bool = True) -> JSON:
        result: JSON = await self.request("POST", f"/users/{user_id}/block", {"blocked": blocked})
        return result

    async def unblock_user(self, user_id: int) -> JSON:
        return await self.block_user(user_id, blocked=False)

    async def deactivate_user(self, user_id: int, deactivated: bool = True) -> JSON:
        result: JSON = await self.request(
            "POST", f"/users/{user_id}/deactivate", {"deactivated": deactivated}
        )
        return result

    # ------------------------------------------------------------------ groups

    async def bot_action(
        self, chat_id: int, action: str, by_user_id: int | None = None, as_admin: bool = False
    ) -> JSON:
        """``action``: "add" | "remove" | "promote" | "demote"."""
        body = self._clean({"action": action, "by_user_id": by_user_id, "as_admin": as_admin or None})
        result: JSON = await self.request("POST", f"/groups/{chat_id}/bot", body)
        return result

    async def add_bot(self, chat_id: int, by_user_id: int | None = None, as_admin: bool = False) -> JSON:
        return await self.bot_action(chat_id, "add", by_user_id, as_admin)

    async def remove_bot(self, chat_id: int, by_user_id: int | None = None) -> JSON:
        return await self.bot_action(chat_id, "remove", by_user_id)

    async def promote_bot(self, chat_id: int, by_user_id: int | None = None) -> JSON:
        return await self.bot_action(chat_id, "promote", by_user_id)

    async def demote_bot(self, chat_id: int, by_user_id: int | None = None) -> JSON:
        return await self.bot_action(chat_id, "demote", by_user_id)

    async def member_action(self, chat_id: int, user_id: int, action: str) -> JSON:
        """``action``: "join" | "leave"."""
        result: JSON = await self.request(
            "POST", f"/groups/{chat_id}/members", {"user_id": user_id, "action": action}
        )
        return result

    async def join_group(self, chat_id: int, user_id: int) -> JSON:
        return await self.member_action(chat_id, user_id, "join")

    async def leave_group(self, chat_id: int, user_id: int) -> JSON:
        return await self.member_action(chat_id, user_id, "leave")

    async def migrate_group(self, chat_id: int, by_user_id: int | None = None) -> int:
        """Upgrade a basic group to a supergroup; returns the new chat id."""
        result = await self.request(
            "POST", f"/groups/{chat_id}/migrate", self._clean({"by_user_id": by_user_id})
        )
        return int(result["new_chat_id"])

    # ------------------------------------------------------------------ faults

    async def add_fault(
        self,
        kind: str = "error",
        count: int = 1,
        status: int | None = None,
        delay: float | None = None,
        method: str | None = None,
        chat_id: int | None = None,
        description: str | None = None,
        html: bool = False,
    ) -> list[JSON]:
        """The next ``count`` matching calls fail with ``status`` ("error") or wait ``delay`` s ("slow")."""
        body = self._clean(
            {
                "kind": kind,
                "count": count,
                "status": status,
                "delay": delay,
                "method": method,
                "chat_id": chat_id,
                "description": description,
                "html": html or None,
            }
        )
        result = await self.request("POST", "/faults", body)
        faults: list[JSON] = result["faults"]
        return faults

    async def list_faults(self) -> list[JSON]:
        result = await self.request("GET", "/faults")
        faults: list[JSON] = result["faults"]
        return faults

    async def clear_faults(self) -> None:
        await self.request("DELETE", "/faults")

    # ------------------------------------------------------------------ inspection

    async def get_calls(
        self, method: str | None = None, chat_id: int | None = None, status: int | None = None
    ) -> list[JSON]:
        query = {
            k: str(v)
            for k, v in {"method": method, "chat_id": chat_id, "status": status}.items()
            if v is not None
        }
        result: list[JSON] = await self.request("GET", "/calls", query=query)
        return result

    async def get_callback_answers(self) -> list[JSON]:
        result: list[JSON] = await self.request("GET", "/callback_answers")
        return result

    async def get_stats(self) -> JSON:
        result: JSON = await self.request("GET", "/stats")
        return result

    async def get_webhook(self) -> JSON:
        result: JSON = await self.request("GET", "/webhook")
        return result

    # ------------------------------------------------------------------ updates

    async def inject_update(self, update: JSON) -> int:
        """Queue a raw update (e.g. ``{"message": {...}}``); returns the assigned update_id."""
        result = await self.request("POST", "/updates", update)
        return int(result["update_id"])

    async def pending_updates(self) -> list[JSON]:
        result: list[JSON] = await self.request("GET", "/updates")
        return result

    async def redeliver_update(self, update_id: int) -> int:
        """Queue an already issued update again, with the same update_id."""
        result = await self.request("POST", f"/updates/{update_id}/redeliver")
        return int(result["update_id"])

    # ------------------------------------------------------------------ waiting

    async def wait_until(
        self,
        fetch: Callable[[], Awaitable[T]],
        done: Callable[[T], bool],
        timeout: float = 5.0,
        what: str = "",
    ) -> T:
        """Poll ``fetch`` every ``poll_interval`` until ``done(result)``; TimeoutError after ``timeout``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = await fetch()
            if done(result):
                return result
            if loop.time() >= deadline:
                raise TimeoutError(
                    f"timed out after {timeout}s waiting for {what or 'condition'}; last: {result!r}"
                )
            await asyncio.sleep(self.poll_interval)

    async def wait_for_messages(
        self,
        chat_id: int,
        count: int = 1,
        timeout: float = 5.0,
        predicate: MessagePredicate | None = None,
    ) -> list[JSON]:
        """Wait until the bot has sent at least ``count`` messages (matching ``predicate``) to a chat.

        Returns all matching messages the chat received from the bot, oldest first.
        """

        async def fetch() -> list[JSON]:
            messages = await self.get_messages(chat_id)
            return [m for m in messages if predicate is None or predicate(m)]

        return await self.wait_until(
            fetch, lambda found: len(found) >= count, timeout, f"{count} message(s) in chat {chat_id}"
        )

    async def wait_for_calls(self, method: str, count: int = 1, timeout: float = 5.0) -> list[JSON]:
        """Wait until the bot made at least ``count`` calls of ``method``."""
        return await self.wait_until(
            lambda: self.get_calls(method=method),
            lambda calls: len(calls) >= count,
            timeout,
            f"{count} {method}",
        )

    async def wait_for_callback_answers(self, count: int = 1, timeout: float = 5.0) -> list[JSON]:
        return await self.wait_until(
            self.get_callback_answers, lambda answers: len(answers) >= count, timeout, "callback answers"
        )

    async def wait_for_no_pending_updates(self, timeout: float = 5.0) -> None:
        """Wait until the bot confirmed (or the webhook received) every queued update."""
        await self.wait_until(
            self.pending_updates, lambda pending: not pending, timeout, "an empty update queue"
        )
