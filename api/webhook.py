"""Telegram webhook: the path carries no token; the secret header is checked before anything runs."""

from __future__ import annotations

import hmac
import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.errors import error_body
from bot.app import Loa

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)


def build_webhook_router(path: str) -> APIRouter:
    router = APIRouter(tags=["telegram"], include_in_schema=False)

    @router.post(path)
    async def telegram_webhook(request: Request) -> JSONResponse:
        loa: Loa = request.app.state.loa
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), loa.webhook_secret.encode()):
            loa.metrics.webhook_rejected.inc()
            return JSONResponse(error_body("bad_secret", "Forbidden"), status_code=403)
        try:
            payload = await request.json()
        except ValueError:
            return JSONResponse(error_body("bad_json", "Invalid JSON"), status_code=400)
        if not isinstance(payload, dict) or "update_id" not in payload:
            return JSONResponse(error_body("bad_update", "Not an update"), status_code=400)
        if not await loa.feed_webhook(payload):  # parsed first: a malformed update is refused, nothing runs
            return JSONResponse(error_body("bad_update", "Not an update"), status_code=400)
        return JSONResponse({"ok": True})

    return router
