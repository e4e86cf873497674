"""``/healthz``, ``/readyz`` and ``/metrics`` for processes that do not run the admin API.

A worker or scheduler process has no HTTP server of its own, yet an orchestrator must probe it and
Prometheus must scrape it. It serves the API's own health router (same checks, same answers) on
``LOA_METRICS_HOST:LOA_METRICS_PORT``, and nothing else.
"""

from __future__ import annotations

from fastapi import FastAPI

from api.health import router as health_router
from bot.app import Loa


def create_ops_app(loa: Loa) -> FastAPI:
    app = FastAPI(title="Loa ops", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.loa = loa
    app.include_router(health_router)
    return app
