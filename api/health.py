"""Liveness, readiness and metrics."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.errors import error_body
from bot.app import Loa
from config.settings import Environment

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    loa: Loa = request.app.state.loa
    checks: dict[str, str] = {}
    try:
        async with loa.db.sessions() as session:
            await session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    if loa.redis is not None:
        try:
            await loa.redis.ping()  # type: ignore[misc]
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status_code=200 if ready else 503
    )


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Public in development; in production only with `Authorization: Bearer <LOA_METRICS_TOKEN>`
    (no token configured: not served at all)."""
    loa: Loa = request.app.state.loa
    if loa.settings.environment is Environment.production:
        expected = loa.settings.metrics_token.get_secret_value() if loa.settings.metrics_token else ""
        given = request.headers.get("Authorization", "")
        if not expected or not hmac.compare_digest(given.encode(), f"Bearer {expected}".encode()):
            return JSONResponse(error_body("unauthorized", "Cần mã truy cập số liệu."), status_code=401)
    await loa.metrics.refresh(loa.db)  # gauges read from the database (outbox depth and age)
    return Response(loa.metrics.render(), media_type=loa.metrics.content_type)
