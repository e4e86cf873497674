"""The published Zalo Bot API methods, with their limits and error answers.

Answers are ``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": N, "description": ...}``
with HTTP status ``N``. ``getUpdates`` returns ONE update per call (not a list) and answers
``error_code`` 408 when its long poll ends without one, as the published clients expect.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

from sandbox.zalo.state import JSON, SENDING_METHODS, ZaloState

TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
TEXT_LIMIT = 2000
CAPTION_LIMIT = 2000
CHAT_ACTIONS = frozenset({"typing", "upload_photo"})
MAX_POLL_TIMEOUT = 60.0


class ZaloApiError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def _str(params: JSON, name: str, *, required: bool = True) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise ZaloApiError(400, f"Bad Request: {name} is required")
        return None
    if not isinstance(value, str | int | float):
        raise ZaloApiError(400, f"Bad Request: {name} must be a string")
    return str(value)


def _target(state: ZaloState, params: JSON) -> str:
    chat_id = _str(params, "chat_id")
    assert chat_id is not None
    if state.chat_type(chat_id) is None:
        raise ZaloApiError(400, "Bad Request: chat not found")
    user = state.users.get(chat_id)
    if user is not None and user.blocked:
        raise ZaloApiError(403, "Forbidden: the user has blocked the bot")
    group = state.groups.get(chat_id)
    if group is not None and not group.bot_can_post:
        raise ZaloApiError(403, "Forbidden: the bot cannot post in this group")
    if not state.acquire(chat_id):
        raise ZaloApiError(429, "Too Many Requests")
    return chat_id


def _sent(message: JSON) -> JSON:
    return {"message_id": message["message_id"], "date": message["date"]}


async def _get_updates(state: ZaloState, params: JSON) -> Any:
    if state.webhook_url:
        raise ZaloApiError(409, "Conflict: a webhook is set; call deleteWebhook first")
    try:
        timeout = min(float(params.get("timeout") or 30), MAX_POLL_TIMEOUT)
    except (TypeError, ValueError) as exc:
        raise ZaloApiError(400, "Bad Request: timeout must be a number") from exc
    deadline = time.monotonic() + max(timeout, 0.0)
    while not state.updates:
        left = deadline - time.monotonic()
        if left <= 0 or state.closing or state.webhook_url:
            raise ZaloApiError(408, "Request Timeout")
        await state.changed(min(left, 0.5))
    return state.updates.popleft()


def _set_webhook(state: ZaloState, params: JSON) -> Any:
    url = _str(params, "url")
    secret = _str(params, "secret_token")
    assert url is not None and secret is not None
    if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise ZaloApiError(400, "Bad Request: url must be https")
    if not 8 <= len(secret) <= 256:
        raise ZaloApiError(400, "Bad Request: secret_token must be 8-256 characters")
    state.webhook_url, state.webhook_secret = url, secret
    state.notify()
    return {"url": url, "updated_at": int(time.time() * 1000)}


def _send_message(state: ZaloState, params: JSON) -> Any:
    text = _str(params, "text")
    assert text is not None
    if len(text) > TEXT_LIMIT:
        raise ZaloApiError(400, f"Bad Request: text must be at most {TEXT_LIMIT} characters")
    chat_id = _target(state, params)
    return _sent(state.record_bot_message(chat_id, "text", text=text))


def _send_photo(state: ZaloState, params: JSON) -> Any:
    photo = _str(params, "photo")
    caption = _str(params, "caption", required=False) or ""
    assert photo is not None
    if not photo.startswith(("http://", "https://")):
        raise ZaloApiError(400, "Bad Request: photo must be a URL")
    if len(caption) > CAPTION_LIMIT:
        raise ZaloApiError(400, f"Bad Request: caption must be at most {CAPTION_LIMIT} characters")
    chat_id = _target(state, params)
    return _sent(state.record_bot_message(chat_id, "photo", photo=photo, caption=caption))


def _send_sticker(state: ZaloState, params: JSON) -> Any:
    sticker = _str(params, "sticker")
    chat_id = _target(state, params)
    return _sent(state.record_bot_message(chat_id, "sticker", sticker=sticker))


def _send_chat_action(state: ZaloState, params: JSON) -> Any:
    action = _str(params, "action")
    if action not in CHAT_ACTIONS:
        raise ZaloApiError(400, "Bad Request: action must be typing or upload_photo")
    chat_id = _str(params, "chat_id")
    assert chat_id is not None
    if state.chat_type(chat_id) is None:
        raise ZaloApiError(400, "Bad Request: chat not found")
    return True


async def _dispatch(state: ZaloState, method: str, params: JSON) -> Any:
    if method == "getMe":
        return {
            "id": "bot-" + state.bot_name.lower(),
            "account_name": f"bot.{state.bot_name}",
            "account_type": "BASIC",
            "can_join_groups": True,
        }
    if method == "getUpdates":
        return await _get_updates(state, params)
    if method == "setWebhook":
        return _set_webhook(state, params)
    if method == "deleteWebhook":
        state.webhook_url = state.webhook_secret = ""
        state.notify()
        return {"url": "", "updated_at": int(time.time() * 1000)}
    if method == "getWebhookInfo":
        return {"url": state.webhook_url, "updated_at": int(time.time() * 1000)}
    if method == "sendMessage":
        return _send_message(state, params)
    if method == "sendPhoto":
        return _send_photo(state, params)
    if method == "sendSticker":
        return _send_sticker(state, params)
    if method == "sendChatAction":
        return _send_chat_action(state, params)
    raise ZaloApiError(404, "Not Found")


METHODS = (
    "getMe",
    "getUpdates",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
    "sendMessage",
    "sendPhoto",
    "sendSticker",
    "sendChatAction",
)
_BY_LOWER = {m.lower(): m for m in METHODS}


async def execute(state: ZaloState, token: str, method: str, params: JSON) -> tuple[int, JSON]:
    """Run one call; every call is logged (method, chat, status) for tests and benchmarks."""
    name = _BY_LOWER.get(method.lower(), method)
    chat = params.get("chat_id")
    chat_id = str(chat) if chat is not None else None
    status, body = 200, {}
    if not TOKEN_RE.match(token):
        status, body = 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
    else:
        fault = state.take_fault(name, chat_id)
        if fault is not None and fault.kind == "slow":
            await asyncio.sleep(fault.delay)
        if fault is not None and fault.kind == "error":
            status = fault.status
            body = {
                "ok": False,
                "error_code": status,
                "description": fault.description or "Internal Server Error",
            }
        else:
            try:
                body = {"ok": True, "result": await _dispatch(state, name, params)}
            except ZaloApiError as exc:
                status = exc.status
                body = {"ok": False, "error_code": exc.status, "description": exc.description}
    if name != "getUpdates" or status != 408:
        state.calls.append({"method": name, "chat_id": chat_id, "status": status, "at": time.monotonic()})
    if name in SENDING_METHODS and status == 200:
        state.notify()
    return status, body
