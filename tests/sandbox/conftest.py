"""Fixtures for the sandbox tests: a running sandbox, its control client and an aiogram Bot."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from sandbox.client import SandboxClient
from sandbox.limits import LimitsConfig
from sandbox.server import SandboxServer
from sandbox.state import Clock

TOKEN = "123456789:TEST-sandbox_token-AAAAAAAAAAAAAAAAAAAA"
BOT_ID = 123456789


class FastCloseSession(AiohttpSession):
    """AiohttpSession without the 250 ms grace sleep on close (no TLS here)."""

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


class FrozenTime:
    """Time that moves only when told to: use as ``Clock(monotonic=t.monotonic, wall=t.wall)``."""

    def __init__(self) -> None:
        self.mono = 1000.0
        self.unix = 1_750_000_000.0

    def monotonic(self) -> float:
        return self.mono

    def wall(self) -> float:
        return self.unix


def make_bot(base_url: str, token: str = TOKEN) -> Bot:
    return Bot(token, session=FastCloseSession(api=TelegramAPIServer.from_base(base_url)))


@pytest.fixture
def frozen() -> FrozenTime:
    return FrozenTime()


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    async with SandboxServer(dev_webhooks=True) as server:
        yield server


@pytest.fixture
async def frozen_sandbox(frozen: FrozenTime) -> AsyncIterator[SandboxServer]:
    """A sandbox whose clocks stand still unless ``state.clock.advance`` is called."""
    clock = Clock(monotonic=frozen.monotonic, wall=frozen.wall)
    async with SandboxServer(limits=LimitsConfig(), clock=clock, dev_webhooks=True) as server:
        yield server


@pytest.fixture
async def client(sandbox: SandboxServer) -> AsyncIterator[SandboxClient]:
    async with SandboxClient(sandbox.base_url) as control:
        yield control


@pytest.fixture
async def bot(sandbox: SandboxServer) -> AsyncIterator[Bot]:
    instance = make_bot(sandbox.base_url)
    yield instance
    await instance.session.close()


@pytest.fixture
async def frozen_bot(frozen_sandbox: SandboxServer) -> AsyncIterator[Bot]:
    instance = make_bot(frozen_sandbox.base_url)
    yield instance
    await instance.session.close()


@pytest.fixture
async def frozen_client(frozen_sandbox: SandboxServer) -> AsyncIterator[SandboxClient]:
    async with SandboxClient(frozen_sandbox.base_url) as control:
        yield control
