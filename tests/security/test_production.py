"""Issue 11, finding 7: in production the docs and metrics are not public, every response carries the
security headers, and a refused setting never shows any part of a secret."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from httpx import ASGITransport, AsyncClient

from api.app import create_app
from bot.app import Loa
from config.settings import Environment, Settings, UnsafeSettingsError, load_settings
from directory import auth
from storage.db import Database
from tests.directory.conftest import make_person, make_unit

METRICS_TOKEN = "metrics-token-0123456789abcdef"
PRODUCTION: dict[str, Any] = {
    "environment": Environment.production,
    "telegram_token": "123456:real-looking-token",
    "telegram_api_base": "https://api.telegram.org",
    "jwt_secret": "p" * 48,
    "metrics_token": METRICS_TOKEN,
}


@pytest.fixture
async def prod(make_settings: Callable[..., Settings]) -> AsyncIterator[tuple[AsyncClient, Loa]]:
    loa = await Loa.create(make_settings(**PRODUCTION), check_schema=False)
    transport = ASGITransport(app=create_app(loa, webhook=False))
    async with AsyncClient(transport=transport, base_url="https://loa.test") as http:
        yield http, loa
    await loa.close()


async def _admin_headers(db: Database, loa: Loa) -> dict[str, str]:
    async with db.transaction() as s:
        root = await make_unit(s, "R", kind="confederation")
        admin = await make_person(s, "Quản trị", unit=root, role=auth.Role.admin)
    token = auth.issue_access_token(
        person_id=admin.id, secret=loa.settings.jwt_secret.get_secret_value(), minutes=5
    )
    return {"Authorization": f"Bearer {token}"}


async def test_docs_schema_and_metrics_are_not_public_in_production(
    prod: tuple[AsyncClient, Loa], db: Database
) -> None:
    http, loa = prod
    for path in ("/docs", "/redoc", "/openapi.json", "/metrics"):
        assert (await http.get(path)).status_code in (401, 404), path
    assert (await http.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401
    metrics = await http.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert metrics.status_code == 200
    schema = await http.get("/openapi.json", headers=await _admin_headers(db, loa))
    assert schema.status_code == 200 and "/api/v1/units/tree" in schema.json()["paths"]


async def test_every_response_carries_security_headers(prod: tuple[AsyncClient, Loa]) -> None:
    http, _ = prod
    for answer in (
        await http.get("/healthz"),
        await http.get("/api/v1/units/tree"),
        await http.get("/nowhere"),
    ):
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert "default-src 'none'" in answer.headers["Content-Security-Policy"]
        assert answer.headers["Strict-Transport-Security"].startswith("max-age=")
    assert (await http.get("/api/v1/units/tree")).headers["Cache-Control"] == "no-store"


async def test_development_has_docs_with_authorize_and_no_hsts(client: AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    schemes = schema["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}
    assert any(s.get("scheme") == "bearer" for s in schemes.values())
    assert any(s.get("name") == "X-API-Key" for s in schemes.values())
    assert schema["paths"]["/api/v1/units/tree"]["get"]["security"]
    docs = await client.get("/docs")
    assert docs.status_code == 200 and "Strict-Transport-Security" not in docs.headers
    assert "cdn.jsdelivr.net" in docs.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "secrets",
    [
        {"jwt_secret": "s3Kq7vXpQz9wR2mT"},
        {"webhook_url": "https://loa.example.vn", "webhook_secret": "Wq7Zk3pY", "jwt_secret": "Jx8" * 14},
        {"telegram_token": "1000000001:sandbox-token-not-for-telegram", "jwt_secret": "dev-only-Vb4Nq8Lm"},
    ],
)
def test_refusing_unsafe_settings_never_prints_a_secret(
    monkeypatch: pytest.MonkeyPatch, secrets: dict[str, str]
) -> None:
    for var in ("LOA_JWT_SECRET", "LOA_WEBHOOK_SECRET", "LOA_TELEGRAM_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    values = {"environment": "production", "telegram_token": "123456:Tk9Rw2Xq", **secrets}
    with pytest.raises(UnsafeSettingsError) as refused:
        load_settings(_env_file=None, **values)
    message = str(refused.value)
    assert message.startswith("Unsafe production settings")
    for name, secret in values.items():
        if name in ("environment", "webhook_url") or secret.startswith("1000000001:sandbox"):
            continue  # not secrets: the sandbox token is public
        pieces = {secret[i : i + 4] for i in range(len(secret) - 3)} - {
            "dev-",
            "ev-o",
            "v-on",
            "-onl",
            "only",
        }
        assert not any(p in message for p in pieces), (name, message)
