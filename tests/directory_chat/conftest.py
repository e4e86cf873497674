from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest


@pytest.fixture
async def sandbox() -> AsyncIterator[Any]:
    """The sandbox with Telegram's limits on, but a burst large enough for a person typing several
    commands in a row (these tests are about the directory, not about flood control)."""
    from sandbox.limits import LimitsConfig
    from sandbox.server import SandboxServer

    async with SandboxServer(limits=LimitsConfig(per_chat_burst=10), dev_webhooks=True) as server:
        yield server
