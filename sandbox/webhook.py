"""Background delivery of queued updates to the webhook.

Like Telegram, up to ``max_connections`` updates are in flight at once; updates of one chat are
never in flight together, so each chat receives its updates in order.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import aiohttp

from sandbox.methods import bot_id_of, execute
from sandbox.params import Params, Upload
from sandbox.state import QueuedUpdate, SandboxState, WebhookConfig

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
MAX_CONNECTIONS_LIMIT = 100  # setWebhook accepts 1-100


async def _reply_method(resp: aiohttp.ClientResponse) -> tuple[str, Params] | None:
    """A Bot API call returned in the webhook's response body, if any."""
    if resp.content_type == "application/json":
        try:
            data = await resp.json()
        except (ValueError, aiohttp.ContentTypeError):
            return None
        if isinstance(data, dict) and isinstance(data.get("method"), str):
            method = data.pop("method")
            return method, Params(data)
        return None
    if resp.content_type == "multipart/form-data":
        values: dict[str, Any] = {}
        uploads: dict[str, Upload] = {}
        reader = aiohttp.MultipartReader.from_response(resp)
        async for part in reader:
            if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                continue
            if part.filename:
                uploads[part.name] = Upload(
                    part.filename, part.headers.get("Content-Type"), await part.read()
                )
            else:
                values[part.name] = await part.text()
        method = values.pop("method", None)
        if isinstance(method, str):
            return method, Params(values, uploads)
    return None


async def _push_one(
    state: SandboxState, session: aiohttp.ClientSession, hook: WebhookConfig, entry: QueuedUpdate
) -> str | None:
    """POST one update; returns None on success or the error to record."""
    headers = {"Content-Type": "application/json"}
    if hook.secret_token:
        headers[SECRET_HEADER] = hook.secret_token
    body = json.dumps(state.update_dict(entry, bot_id_of(hook.token)), ensure_ascii=False)
    try:
        async with session.post(
            hook.url,
            data=body.encode("utf-8"),
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=state.webhook_timeout),
        ) as resp:
            if not 200 <= resp.status < 300:
                return f"Wrong response from the webhook: {resp.status} {resp.reason or ''}".rstrip()
            reply = await _reply_method(resp)
    except TimeoutError:
        return "Timeout expired"
    except aiohttp.ClientConnectorError as exc:
        return f"Connection refused: {exc.os_error}" if exc.os_error else "Connection refused"
    except aiohttp.ClientError as exc:
        return f"Connection error: {type(exc).__name__}"
    if reply is not None:
        method, params = reply
        await execute(state, hook.token, method, params)
    return None


def chat_key(entry: QueuedUpdate) -> int | None:
    """The chat (or else the user) an update belongs to: two of the same key are never in flight at once."""
    payload = entry.payload
    for source in (payload, payload.get("message")):
        if isinstance(source, dict) and isinstance(source.get("chat"), dict):
            chat_id = source["chat"].get("id")
            if isinstance(chat_id, int):
                return chat_id
    sender = payload.get("from") or payload.get("user")
    if isinstance(sender, dict) and isinstance(sender.get("id"), int):
        return int(sender["id"])
    return None


class _Pusher:
    """Up to ``max_connections`` deliveries at once; one update per chat at a time, oldest first."""

    def __init__(self, state: SandboxState, session: aiohttp.ClientSession) -> None:
        self.state = state
        self.session = session
        self.tasks: set[asyncio.Task[None]] = set()
        self.in_flight: set[int] = set()  # id() of the entries being pushed
        self.busy_chats: set[int] = set()

    def dispatch(self, hook: WebhookConfig) -> None:
        """Start a delivery for every queued update that may go now (synchronously: no wake-up is lost)."""
        state = self.state
        seen = set(self.busy_chats)
        for entry in state.updates:
            if len(self.in_flight) >= hook.max_connections:
                return
            key = chat_key(entry)
            if id(entry) in self.in_flight or (key is not None and key in seen):
                if key is not None:
                    seen.add(key)
                continue
            if key is not None:
                seen.add(key)
                self.busy_chats.add(key)
            self.in_flight.add(id(entry))
            task = asyncio.create_task(self.deliver(hook, entry, key), name=f"webhook-{entry.update_id}")
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
            state.webhook_in_flight = len(self.in_flight)

    async def deliver(self, hook: WebhookConfig, entry: QueuedUpdate, key: int | None) -> None:
        state = self.state
        try:
            failures = 0
            while not state.closing:
                error = await _push_one(state, self.session, hook, entry)
                if error is None:
                    state.updates = [queued for queued in state.updates if queued is not entry]
                    state.stats.webhook_deliveries += 1
                    state.stats.updates_delivered += 1
                    return
                state.stats.webhook_failures += 1
                if state.webhook is hook:
                    hook.last_error_date = state.clock.now()
                    hook.last_error_message = error
                log.debug("webhook delivery of update %s failed: %s", entry.update_id, error)
                # The chat stays busy while backing off, so its later updates keep their place.
                await state.sleep(min(state.webhook_retry_delay * 2**failures, state.webhook_max_retry_delay))
                failures += 1
                if state.webhook is not hook or not any(queued is entry for queued in state.updates):
                    return  # webhook changed or queue dropped: the main loop decides again
        finally:
            self.in_flight.discard(id(entry))
            if key is not None:
                self.busy_chats.discard(key)
            state.webhook_in_flight = len(self.in_flight)
            state.notify()

    async def cancel(self) -> None:
        tasks = list(self.tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def run_webhook_pusher(state: SandboxState) -> None:
    """Deliver updates while a webhook is set; retry failures with a capped exponential backoff."""
    connector = aiohttp.TCPConnector(limit=MAX_CONNECTIONS_LIMIT)
    async with aiohttp.ClientSession(connector=connector) as session:
        pusher = _Pusher(state, session)
        try:
            while not state.closing:
                hook = state.webhook
                if hook is not None:
                    pusher.dispatch(hook)
                await state.wait_changed(30.0)
        finally:
            await pusher.cancel()
