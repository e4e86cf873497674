"""The real Loa with Zalo configured, against both sandboxes over HTTP (polling or webhook)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from config.settings import Settings
from sandbox.server import SandboxServer
from sandbox.zalo.client import ZaloSandboxClient
from sandbox.zalo.server import ZaloSandboxServer
from sandbox.zalo.state import ZaloLimits
from tests.harness import BotHarness

ZALO_TOKEN = "8800001:zalo-harness-token"  # sandbox only
ZALO_SECRET = "zalo-harness-secret-0123456789"  # sandbox only


class ZaloHarness(BotHarness):
    """BotHarness plus the Zalo sandbox; ready once Zalo polls (getMe) or its webhook is set."""

    def __init__(
        self,
        make_settings: Callable[..., Settings],
        sandbox: SandboxServer,
        zalo: ZaloSandboxServer,
        mode: str,
        **overrides: Any,
    ) -> None:
        values = {
            "zalo_token": ZALO_TOKEN,
            "zalo_api_base": zalo.base_url,
            "zalo_webhook_secret": ZALO_SECRET,
        }
        values.update(overrides)
        super().__init__(make_settings, sandbox, mode=mode, **values)  # type: ignore[arg-type]
        self.zalo_sandbox = zalo
        self.zc = ZaloSandboxClient(zalo.base_url)

    async def _wait_ready(self, timeout: float = 15.0) -> None:  # a loaded CI machine starts slowly
        await super()._wait_ready(timeout)
        await self.client.set_limits(enabled=False)  # tests type faster than people
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            if self.mode == "webhook" and self.zalo_sandbox.state.webhook_url:
                return
            if self.mode == "polling" and await self.zc.get_calls("getMe"):
                return
            await asyncio.sleep(0.02)
        raise TimeoutError("the Zalo side did not become ready")

    async def stop(self) -> None:
        await super().stop()
        await self.zc.close()

    async def __aenter__(self) -> ZaloHarness:
        await self.start()
        return self


@pytest.fixture
async def zalo_sandbox() -> AsyncIterator[ZaloSandboxServer]:
    async with ZaloSandboxServer(limits=ZaloLimits(enabled=False)) as server:
        yield server


@pytest.fixture
def zalo_factory(
    make_settings: Callable[..., Settings], sandbox: SandboxServer, zalo_sandbox: ZaloSandboxServer
) -> Callable[..., ZaloHarness]:
    def make(mode: str = "polling", **overrides: Any) -> ZaloHarness:
        return ZaloHarness(make_settings, sandbox, zalo_sandbox, mode, **overrides)

    return make


@pytest.fixture(params=["polling", "webhook"])
async def zalo_bot(
    request: pytest.FixtureRequest, zalo_factory: Callable[..., ZaloHarness]
) -> AsyncIterator[ZaloHarness]:
    async with zalo_factory(request.param) as harness:
        yield harness
