"""Console sessions without a browser: expiry, deactivated people, the sign-in form's own CSRF check,
no open redirect after sign-in, and the cookie's Secure flag in production."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy import select, update

from api.app import create_app
from bot.app import Loa
from config.settings import Environment
from console import web
from console.models import ConsoleSession
from directory.models import Person
from tests.console.world import PASSWORD, build


@pytest.fixture
async def http(make_settings: Any, sandbox: Any) -> AsyncIterator[tuple[AsyncClient, Loa]]:
    loa = await Loa.create(make_settings(telegram_api_base=sandbox.base_url))
    async with loa.db.transaction() as s:
        await build(s)
    try:
        transport = ASGITransport(app=create_app(loa, webhook=False))
        async with AsyncClient(transport=transport, base_url="http://loa.test") as client:
            yield client, loa
    finally:
        await loa.close()


async def sign_in(client: AsyncClient, login: str = "tuyengiao", next_: str = "") -> Any:
    form = await client.get("/console/login")
    pre = re.search(r'name="pre" value="([^"]+)"', form.text)
    assert pre is not None
    data = {"login": login, "password": PASSWORD, "pre": pre.group(1), "next": next_}
    return await client.post("/console/login", data=data)


async def test_expired_or_deactivated_sessions_lead_back_to_sign_in(http: tuple[AsyncClient, Loa]) -> None:
    client, loa = http
    assert (await sign_in(client)).status_code == 303
    assert (await client.get("/console/")).status_code == 200
    async with loa.db.transaction() as s:
        row = (await s.scalars(select(ConsoleSession))).one()
        await s.execute(update(ConsoleSession).values(expires_at=row.created_at - timedelta(seconds=1)))
    gone = await client.get("/console/broadcasts")
    assert gone.status_code == 303 and gone.headers["location"] == "/console/login?next=/console/broadcasts"

    assert (await sign_in(client)).status_code == 303
    async with loa.db.transaction() as s:
        await s.execute(update(Person).where(Person.login == "tuyengiao").values(is_active=False))
    assert (await client.get("/console/")).status_code == 303


async def test_sign_in_form_needs_its_own_token_and_never_redirects_away(
    http: tuple[AsyncClient, Loa],
) -> None:
    client, _ = http
    forged = await client.post(
        "/console/login", data={"login": "tuyengiao", "password": PASSWORD, "pre": "x"}
    )
    assert forged.status_code == 403 and web.COOKIE not in forged.cookies
    for target, expected in (
        ("https://evil.example/", "/console/"),
        ("//evil.example/console/", "/console/"),
        ("/console/reports", "/console/reports"),
    ):
        signed = await sign_in(client, next_=target)
        assert signed.headers["location"] == expected


async def test_the_cookie_is_secure_in_production(http: tuple[AsyncClient, Loa]) -> None:
    client, loa = http
    loa.settings.environment = Environment.production  # read per request, so no restart is needed
    signed = await sign_in(client)
    cookie = signed.headers["set-cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")


async def test_the_login_throttle_applies_to_the_console(make_settings: Any, sandbox: Any) -> None:
    loa = await Loa.create(make_settings(telegram_api_base=sandbox.base_url, login_max_failures=2))
    async with loa.db.transaction() as s:
        await build(s)
    try:
        transport = ASGITransport(app=create_app(loa, webhook=False))
        async with AsyncClient(transport=transport, base_url="http://loa.test") as client:
            statuses = []
            for _ in range(3):
                form = await client.get("/console/login")
                pre = re.search(r'name="pre" value="([^"]+)"', form.text)
                assert pre is not None
                data = {"login": "tuyengiao", "password": "sai-mat-khau-roi", "pre": pre.group(1)}
                statuses.append((await client.post("/console/login", data=data)).status_code)
            assert statuses == [401, 401, 429]
            refused = await sign_in(client)  # the right password, while throttled
            assert refused.status_code == 429 and web.COOKIE not in refused.cookies
    finally:
        await loa.close()
