"""Issue 11, finding 6: login throttling per login and per address (429 with Retry-After, success after
the window: the clock is injected, nothing sleeps), equal timing for known and unknown logins, failed
logins audited."""

from __future__ import annotations

import statistics
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy import select

from api.app import create_app
from bot.app import Loa
from directory.login_throttle import LoginThrottle
from directory.models import AuditEntry
from storage.db import Database
from tests.security.conftest import PASSWORD, World

LOGIN = "/api/v1/auth/login"


@dataclass
class FakeClock:
    now: float = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Rig:
    http: AsyncClient
    clock: FakeClock


def _rig_fixture(max_failures: int) -> object:
    @pytest.fixture
    async def rig(loa: Loa, world: World) -> AsyncIterator[Rig]:
        app = create_app(loa, webhook=False)
        clock = FakeClock()
        app.state.login_throttle = LoginThrottle.build(
            redis=loa.redis, max_failures=max_failures, window=60.0, clock=clock
        )
        async with AsyncClient(transport=ASGITransport(app=app), base_url="http://loa.test") as http:
            yield Rig(http, clock)

    return rig


rig = _rig_fixture(max_failures=3)
roomy = _rig_fixture(max_failures=1000)


async def _login(http: AsyncClient, login: str, password: str) -> int:
    return (await http.post(LOGIN, json={"login": login, "password": password})).status_code


async def test_429_after_n_failures_then_success_after_the_window(rig: Rig, db: Database) -> None:
    for _ in range(3):
        assert await _login(rig.http, "canbo1", "sai-mat-khau-123") == 401
    blocked = await rig.http.post(LOGIN, json={"login": "canbo1", "password": PASSWORD})
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "too_many_attempts"
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    rig.clock.now += 59
    assert await _login(rig.http, "canbo1", PASSWORD) == 429  # the window is not over yet
    rig.clock.now += 2
    ok = await rig.http.post(LOGIN, json={"login": "canbo1", "password": PASSWORD})
    assert ok.status_code == 200
    assert ok.headers["Cache-Control"] == "no-store"
    async with db.transaction() as s:
        failed = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "auth.login_failed"))).all()
    assert len(failed) == 3 and all(e.entity_id == "canbo1" for e in failed)


async def test_an_address_is_throttled_across_logins(rig: Rig) -> None:
    for n in range(12):  # 4 × the per-login limit, spread over logins that each stay under it
        assert await _login(rig.http, f"ai-do-{n % 6}", "sai-mat-khau-123") == 401
    assert await _login(rig.http, "canbo1", PASSWORD) == 429


async def test_unknown_and_known_logins_take_the_same_time(roomy: Rig) -> None:
    known: list[float] = []
    unknown: list[float] = []
    await _login(roomy.http, "canbo1", "khoi-dong-0000")  # warm-up (dummy hash, connections)
    await _login(roomy.http, "khong-co-ai", "khoi-dong-0000")
    for _ in range(7):
        for login, bucket in (("canbo1", known), ("khong-co-ai", unknown)):
            t0 = time.perf_counter()
            assert await _login(roomy.http, login, "sai-mat-khau-123") == 401
            bucket.append(time.perf_counter() - t0)
    ratio = statistics.median(known) / statistics.median(unknown)
    assert 0.6 < ratio < 1.6, (known, unknown)
