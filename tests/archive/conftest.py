from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest


@pytest.fixture
async def sandbox() -> AsyncIterator[Any]:
    """Telegram's limits on, with a burst large enough for a person pressing buttons in a row."""
    from sandbox.limits import LimitsConfig
    from sandbox.server import SandboxServer

    async with SandboxServer(limits=LimitsConfig(per_chat_burst=20), dev_webhooks=True) as server:
        yield server
