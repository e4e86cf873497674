"""FastAPI app factory: admin API, health, metrics and (in webhook mode) the Telegram webhook."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, Response
from starlette.middleware.base import RequestResponseEndpoint

from api.docs import build_private_docs_router
from api.errors import install_error_handlers
from api.guards import EdgeGuard
from api.headers import SecurityHeaders
from api.health import router as health_router
from api.v1 import build_v1_router
from api.webhook import build_webhook_router, build_zalo_webhook_router
from bot.app import Loa
from config.settings import Environment
from console.app import mount_console


def create_app(loa: Loa, *, webhook: bool | None = None, zalo: Any = None) -> FastAPI:
    settings = loa.settings
    production = settings.environment is Environment.production
    # In production the interactive docs are off and the schema needs an admin (api/docs.py).
    public_docs: dict[str, Any] = (
        {"docs_url": None, "redoc_url": None, "openapi_url": None} if production else {}
    )
    app = FastAPI(
        title="Loa — API quản trị",
        version="0.1.0",
        description="API quản trị của Loa: đơn vị, người dùng, phát tin, báo cáo.",
        **public_docs,
    )
    app.state.loa = loa
    install_error_handlers(app)
    app.include_router(health_router)
    app.include_router(build_v1_router())
    mount_console(app)
    if production:
        app.include_router(build_private_docs_router())
    if webhook if webhook is not None else settings.webhook_enabled:
        app.include_router(build_webhook_router(settings.webhook_path))
        if zalo is not None:
            app.state.zalo = zalo
            app.include_router(build_zalo_webhook_router(settings.zalo_webhook_path))

    @app.middleware("http")
    async def count_requests(request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        loa.metrics.http_requests.labels(method=request.method, status=str(response.status_code)).inc()
        return response

    app.add_middleware(
        EdgeGuard, json_limit=settings.api_max_json_bytes, upload_limit=settings.api_max_upload_bytes + 65_536
    )
    app.add_middleware(SecurityHeaders, hsts=production)
    return app
