"""Async client of the Zalo sandbox's control API, for tests, the demo and benchmarks."""

# The polling helpers take a ``timeout`` on purpose: they poll, they do not wrap one awaitable.

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import TracebackType
from typing import Any

import aiohttp

from sandbox.client import SandboxControlError

JSON = dict[str, Any]


class ZaloSandboxClient:
    """``async with ZaloSandboxClient(sb.base_url) as zc: lan = await zc.create_user("Lan")``."""

    def __init__(self, base_url: str, poll_interval: float = 0.02) -> None:
        self.base_url = base_url.rstrip("/")
        self.poll_interval = poll_interval
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> ZaloSandboxClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def request(self, method: str, path: str, json: Any = None, params: JSON | None = None) -> Any:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        async with self._session.request(method, self.base_url + path, json=json, params=params) as resp:
            data = await resp.json()
            if resp.status >= 400:
                raise SandboxControlError(resp.status, str(data.get("error", data)))
            return data

    # ------------------------------------------------------------------ the world

    async def reset(self) -> None:
        await self.request("POST", "/sandbox/reset")

    async def set_limits(self, **changes: Any) -> JSON:
        result: JSON = await self.request("PUT", "/sandbox/limits", json=changes)
        return result

    async def create_user(self, display_name: str) -> JSON:
        result: JSON = await self.request("POST", "/sandbox/users", json={"display_name": display_name})
        return result

    async def create_group(self, title: str, member_ids: list[str] = (), bot_can_post: bool = True) -> JSON:  # type: ignore[assignment]
        body = {"title": title, "member_ids": list(member_ids), "bot_can_post": bot_can_post}
        result: JSON = await self.request("POST", "/sandbox/groups", json=body)
        return result

    async def set_group(self, group_id: str, *, bot_can_post: bool) -> JSON:
        result: JSON = await self.request(
            "POST", f"/sandbox/groups/{group_id}", json={"bot_can_post": bot_can_post}
        )
        return result

    async def send_user_message(self, user_id: str, text: str, chat_id: str | None = None) -> JSON:
        body: JSON = {"text": text}
        if chat_id is not None:
            body["chat_id"] = chat_id
        result: JSON = await self.request("POST", f"/sandbox/users/{user_id}/messages", json=body)
        return result

    async def block_user(self, user_id: str, blocked: bool = True) -> JSON:
        result: JSON = await self.request(
            "POST", f"/sandbox/users/{user_id}/block", json={"blocked": blocked}
        )
        return result

    async def get_messages(self, chat_id: str, include_users: bool = False) -> list[JSON]:
        params = {"all": "1"} if include_users else None
        result: list[JSON] = await self.request("GET", f"/sandbox/chats/{chat_id}/messages", params=params)
        return result

    async def add_fault(
        self,
        kind: str = "error",
        count: int = 1,
        status: int | None = None,
        delay: float | None = None,
        method: str | None = None,
        chat_id: str | None = None,
        description: str | None = None,
    ) -> list[JSON]:
        body = {
            k: v
            for k, v in {
                "kind": kind,
                "count": count,
                "status": status,
                "delay": delay,
                "method": method,
                "chat_id": chat_id,
                "description": description,
            }.items()
            if v is not None
        }
        result: list[JSON] = await self.request("POST", "/sandbox/faults", json=body)
        return result

    async def clear_faults(self) -> None:
        await self.request("DELETE", "/sandbox/faults")

    async def get_calls(self, method: str | None = None) -> list[JSON]:
        result: list[JSON] = await self.request(
            "GET", "/sandbox/calls", params={"method": method} if method else None
        )
        return result

    async def get_stats(self) -> JSON:
        result: JSON = await self.request("GET", "/sandbox/stats")
        return result

    async def get_webhook(self) -> JSON:
        result: JSON = await self.request("GET", "/sandbox/webhook")
        return result

    async def pending_updates(self) -> list[JSON]:
        result: list[JSON] = await self.request("GET", "/sandbox/updates")
        return result

    # ------------------------------------------------------------------ polling helpers

    async def wait_until(
        self, fetch: Callable[[], Any], done: Callable[[Any], bool], timeout: float = 5.0, what: str = ""
    ) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = await fetch()
            if done(value):
                return value
            if loop.time() > deadline:
                raise TimeoutError(f"timed out waiting for {what or 'a condition'}; last: {value!r}"[:2000])
            await asyncio.sleep(self.poll_interval)

    async def wait_for_messages(
        self,
        chat_id: str,
        count: int = 1,
        timeout: float = 5.0,
        predicate: Callable[[JSON], bool] | None = None,
    ) -> list[JSON]:
        """Every message the bot sent to the chat (matching ``predicate``), once there are ``count``."""

        async def fetch() -> list[JSON]:
            rows = await self.get_messages(chat_id)
            return [m for m in rows if predicate is None or predicate(m)]

        result: list[JSON] = await self.wait_until(
            fetch, lambda rows: len(rows) >= count, timeout, f"{count} message(s) in {chat_id}"
        )
        return result

    async def wait_for_text(self, chat_id: str, needle: str, timeout: float = 5.0) -> list[JSON]:
        """The bot's messages to the chat once one of them contains ``needle``."""
        return await self.wait_until(
            lambda: self.get_messages(chat_id),
            lambda rows: any(needle in (m.get("text") or m.get("caption") or "") for m in rows),
            timeout,
            f"{needle!r} in {chat_id}",
        )
