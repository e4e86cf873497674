"""Edge guards that every request passes before any route runs (pure ASGI, so nothing is buffered twice):

* a body size limit — 2 MB for JSON and other bodies, 20 MB for file uploads — checked on the declared
  length and again while the body streams in (a 10 MB JSON string once grew memory by 260 MB);
* control characters refused in the path, the query and every JSON string (they broke every XLSX export
  that covered a person's name); tab and line breaks stay allowed in JSON text.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_body
from common.errors import DomainError

JSON_LIMIT = 2 * 1024 * 1024
UPLOAD_LIMIT = 20 * 1024 * 1024 + 64 * 1024  # the file plus its multipart envelope
_ALLOWED_IN_TEXT = {"\t", "\n", "\r"}
_CONTROL_IN_URL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class BodyTooLarge(DomainError):
    """Raised while a body streams past its limit; mapped to 413 like every other domain error."""

    status = 413
    code = "body_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(_too_large(limit))


def has_control_characters(text: str, *, allow_breaks: bool) -> bool:
    for ch in text:
        if ch in _ALLOWED_IN_TEXT and allow_breaks:
            continue
        if unicodedata.category(ch) in ("Cc", "Cs"):  # controls, lone surrogates
            return True
    return False


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


class EdgeGuard:
    def __init__(
        self, app: ASGIApp, *, json_limit: int = JSON_LIMIT, upload_limit: int = UPLOAD_LIMIT
    ) -> None:
        self.app = app
        self.json_limit = json_limit
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_query = scope.get("query_string", b"").decode("latin-1")
        if _CONTROL_IN_URL.search(scope.get("path", "")) or _CONTROL_IN_URL.search(unquote(raw_query)):
            await _refuse(
                send, 400, "control_characters", "Địa chỉ yêu cầu có ký tự điều khiển không hợp lệ."
            )
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        content_type = headers.get("content-type", "").lower()
        limit = self.upload_limit if content_type.startswith("multipart/") else self.json_limit
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _refuse(send, 413, "body_too_large", _too_large(limit))
            return
        is_json = "json" in content_type
        if not is_json and scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, _limited(receive, limit), send)
            return
        try:
            body = await _read_all(receive, limit) if is_json else None
        except BodyTooLarge:
            await _refuse(send, 413, "body_too_large", _too_large(limit))
            return
        if body is None:
            await self.app(scope, _limited(receive, limit), send)
            return
        if _json_has_controls(body):
            await _refuse(
                send, 422, "control_characters", "Dữ liệu gửi lên có ký tự điều khiển không hợp lệ."
            )
            return
        await self.app(scope, _replay(body), send)


def _too_large(limit: int) -> str:
    return f"Dữ liệu gửi lên quá lớn (tối đa {limit // (1024 * 1024)} MB)."


def _json_has_controls(body: bytes) -> bool:
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return False  # the route's own validation answers 422 for malformed JSON
    return any(has_control_characters(s, allow_breaks=True) for s in _strings(parsed))


async def _read_all(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


def _limited(receive: Receive, limit: int) -> Receive:
    size = 0

    async def guarded() -> Message:
        nonlocal size
        message = await receive()
        if message["type"] == "http.request":
            size += len(message.get("body", b""))
            if size > limit:
                raise BodyTooLarge(limit)
        return message

    return guarded


async def _refuse(send: Send, status: int, code: str, message: str) -> None:
    payload = json.dumps(error_body(code, message), ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
