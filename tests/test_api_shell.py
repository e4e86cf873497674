from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from api.app import create_app
from bot.app import Loa
from config.settings import Settings


@pytest.fixture
async def loa(settings: Settings) -> AsyncIterator[Loa]:
    app = await Loa.create(settings)
    yield app
    await app.close()


async def call(loa: Loa, method: str, path: str, **kw: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=create_app(loa))
    async with httpx.AsyncClient(transport=transport, base_url="http://loa.test") as http:
        return await http.request(method, path, **kw)


async def test_health_and_readiness(loa: Loa) -> None:
    assert (await call(loa, "GET", "/healthz")).json() == {"status": "ok"}
    ready = await call(loa, "GET", "/readyz")
    assert ready.status_code == 200
    expected = {"database": "ok"} | ({"redis": "ok"} if loa.settings.redis_url else {})
    assert ready.json()["checks"] == expected


async def test_readiness_fails_when_redis_is_unreachable(make_settings: Callable[..., Settings]) -> None:
    app = await Loa.create(make_settings(redis_url="redis://127.0.0.1:1/0"))
    try:
        ready = await call(app, "GET", "/readyz")
    finally:
        await app.close()
    assert ready.status_code == 503
    assert ready.json()["checks"]["redis"].startswith("error")


async def test_metrics_are_prometheus_text(loa: Loa) -> None:
    await call(loa, "GET", "/healthz")
    response = await call(loa, "GET", "/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    assert 'loa_http_requests_total{method="GET",status="200"}' in response.text


async def test_openapi_and_versioned_routes(loa: Loa) -> None:
    spec = (await call(loa, "GET", "/openapi.json")).json()
    assert "/api/v1/info" in spec["paths"]
    assert (await call(loa, "GET", "/docs")).status_code == 200
    info = (await call(loa, "GET", "/api/v1/info")).json()
    assert info["timezone"] == "Asia/Ho_Chi_Minh" and info["locale"] == "vi"


async def test_unknown_route_is_a_machine_readable_404(loa: Loa) -> None:
    response = await call(loa, "GET", "/api/v1/khong-co")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_webhook_route_exists_only_in_webhook_mode(loa: Loa) -> None:
    assert (await call(loa, "POST", loa.settings.webhook_path, json={})).status_code == 404
