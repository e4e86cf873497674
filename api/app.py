"""FastAPI app factory: admin API, health, metrics and (in webhook mode) the Telegram webhook."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from starlette.middleware.base import RequestResponseEndpoint

from api.errors import install_error_handlers
from api.health import router as health_router
from api.v1 import build_v1_router
from api.webhook import build_webhook_router
from bot.app import Loa
from console.app import mount_console


def create_app(loa: Loa, *, webhook: bool | None = None) -> FastAPI:
    app = FastAPI(
        title="Loa — API quản trị",
        version="0.1.0",
        description="API quản trị của Loa: đơn vị, người dùng, phát tin, báo cáo.",
    )
    app.state.loa = loa
    install_error_handlers(app)
    app.include_router(health_router)
    app.include_router(build_v1_router())
    mount_console(app)
    if webhook if webhook is not None else loa.settings.webhook_enabled:
        app.include_router(build_webhook_router(loa.settings.webhook_path))

    @app.middleware("http")
    async def count_requests(request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        loa.metrics.http_requests.labels(method=request.method, status=str(response.status_code)).inc()
        return response

    return app
