"""Background delivery of queued updates to the webhook, one at a time and in order."""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp

from sandbox.methods import bot_id_of, execute
from sandbox.params import Params, Upload
from sandbox.state import QueuedUpdate, SandboxState, WebhookConfig

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)


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


async def run_webhook_pusher(state: SandboxState) -> None:
    """Deliver updates while a webhook is set; retry failures with a capped exponential backoff."""
    failures = 0
    async with aiohttp.ClientSession() as session:
        while not state.closing:
            hook = state.webhook
            if hook is None or not state.updates:
                await state.wait_changed(30.0)
                continue
            entry = state.updates[0]
            error = await _push_one(state, session, hook, entry)
            if error is None:
                state.updates = [queued for queued in state.updates if queued is not entry]
                state.stats.webhook_deliveries += 1
                state.stats.updates_delivered += 1
                failures = 0
                continue
            state.stats.webhook_failures += 1
            if state.webhook is hook:
                hook.last_error_date = state.clock.now()
                hook.last_error_message = error
            log.debug("webhook delivery of update %s failed: %s", entry.update_id, error)
            await state.sleep(min(state.webhook_retry_delay * 2**failures, state.webhook_max_retry_delay))
            failures += 1
