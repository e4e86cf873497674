"""Draining the outbox in tests: the real delivery engine, with its real hooks, over a test transport."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.worker import on_sent_hooks
from broadcasts.config import BroadcastConfig
from outbox.engine import Engine
from outbox.outcomes import EngineStats
from outbox.parts import Markup, Part
from outbox.ratelimit import LocalPacer
from outbox.telegram import to_inline
from outbox.transport import Blocked, Transport
from storage.db import Database

FAST = BroadcastConfig(
    rate_per_sec=10_000, private_chat_interval=0, group_per_min=1_000_000, idle_poll_seconds=0.02
)


class SenderTransport:
    """A Transport over an object with aiogram's `send_message` (the reports tests' FakeSender)."""

    def __init__(self, sender: Any) -> None:
        self.sender = sender

    async def send(self, chat_id: int, part: Part, *, paid: bool = False) -> int:
        try:
            msg = await self.sender.send_message(chat_id, part.html, reply_markup=to_inline(part.markup))
        except RuntimeError as exc:
            raise Blocked(str(exc)) from exc
        return int(msg.message_id)

    async def edit(self, chat_id: int, message_id: int, part: Part) -> None:
        return None

    async def edit_markup(self, chat_id: int, message_id: int, markup: Markup | None) -> None:
        return None

    async def delete(self, chat_id: int, message_id: int) -> None:
        return None


async def drain(db: Database, transport: Transport, *, config: BroadcastConfig = FAST) -> EngineStats:
    """Sends what the outbox holds (notices and sending broadcasts); returns the engine's counts."""
    engine = Engine(
        db=db,
        transport=transport,
        pacer=LocalPacer(config.global_rate),
        config=config,
        on_sent=on_sent_hooks(),
    )
    return await engine.run(asyncio.Event(), until_idle=True)


async def queued_texts(session: Any, address: int) -> list[str]:
    """The texts queued (in this transaction or before) for one chat, oldest first."""
    from sqlalchemy import select

    from outbox.models import OutboxMessage

    rows = await session.scalars(
        select(OutboxMessage).where(OutboxMessage.address == address).order_by(OutboxMessage.id)
    )
    return [p.get("html", "") for r in rows for p in (r.payload or [])]
