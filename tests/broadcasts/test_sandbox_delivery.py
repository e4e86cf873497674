"""The engine against the Telegram sandbox over HTTP, through aiogram: real Bot API errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot
from sqlalchemy import select

from bot.app import build_bot
from bot.worker import on_sent_hooks
from broadcasts import aftercare, stats
from broadcasts.config import BroadcastConfig
from config.settings import Settings
from directory.models import Chat, Person, Role
from outbox.engine import Engine
from outbox.models import OutboxMessage
from outbox.ratelimit import LocalPacer
from outbox.telegram import TelegramTransport
from sandbox.client import SandboxClient
from storage.db import Database
from tests.broadcasts import factories as f
from tests.broadcasts.helpers import scope, sending_broadcast

CONFIG = BroadcastConfig(
    approval_threshold=10_000,
    approval_wide_kinds=(),
    idle_poll_seconds=0.05,
    backoff_base=0.05,
    backoff_cap=0.2,
    max_attempts=4,
)


@pytest.fixture
async def world(sandbox: Any, settings: Settings) -> AsyncIterator[tuple[SandboxClient, Bot]]:
    client = SandboxClient(sandbox.base_url)
    bot = build_bot(settings.model_copy(update={"telegram_api_base": sandbox.base_url}))
    yield client, bot
    await bot.session.close()
    await client.close()


async def bind(db: Database, client: SandboxClient) -> f.Province:
    """The test province, with every chat and person made real in the sandbox."""
    async with db.transaction() as s:
        p = await f.province(s)
        for person in (await s.scalars(select(Person))).all():
            user = await client.create_user(person.full_name)
            chat = await s.scalar(select(Chat).where(Chat.person_id == person.id))
            person.telegram_user_id = user["id"]
            if chat is not None:
                chat.telegram_chat_id = user["id"]
        for g in p.groups:
            group = await client.create_group(g.title, member_ids=[f.tg(p.leaders[0])])
            g.telegram_chat_id = group["id"]
        return p


def engine(db: Database, bot: Bot, config: BroadcastConfig = CONFIG) -> Engine:
    return Engine(
        db=db,
        transport=TelegramTransport(bot),
        pacer=LocalPacer(config.global_rate),
        config=config,
        on_sent=on_sent_hooks(),
    )


async def test_every_outcome_against_the_sandbox(db: Database, world: tuple[SandboxClient, Bot]) -> None:
    client, bot = world
    p = await bind(db, client)
    blocked_leader = p.leaders[0]
    await client.block_user(f.tg(blocked_leader))
    migrating, missing, flaky = p.groups[0], p.groups[1], p.groups[2]
    new_id = await client.migrate_group(migrating.telegram_chat_id)
    await client.add_fault(
        kind="error", status=502, count=2, method="sendMessage", chat_id=flaky.telegram_chat_id
    )
    async with db.transaction() as s:
        (await s.get(Chat, missing.id)).telegram_chat_id = -4199999999  # type: ignore[union-attr]
        officer = scope(p.officer, p.province, Role.officer)
        b = await sending_broadcast(
            s,
            officer,
            [p.province.id],
            config=CONFIG,
            targets=["group", "leader"],
            require_ack=True,
            content={"kind": "text", "html": "<b>Chỉ thị 07</b>: kính gửi các đồng chí."},
        )
    e = engine(db, bot)
    await asyncio.wait_for(e.run(asyncio.Event(), until_idle=True), 30)

    async with db.transaction() as s:
        rows = {
            r.chat_id: r
            for r in await s.scalars(select(OutboxMessage).where(OutboxMessage.broadcast_id == b.id))
        }
        blocked_chat = await s.scalar(select(Chat).where(Chat.person_id == blocked_leader.id))
        assert blocked_chat is not None and not blocked_chat.is_active
        assert rows[blocked_chat.id].status == "blocked"
        assert rows[missing.id].status == "failed" and "chat not found" in (rows[missing.id].error or "")
        assert rows[flaky.id].status == "sent" and rows[flaky.id].attempts == 3
        assert rows[migrating.id].status == "sent" and rows[migrating.id].address == new_id
        moved = await s.get(Chat, migrating.id)
        assert moved is not None and moved.telegram_chat_id == new_id
        outcome = await stats.by_outcome(s, broadcast_id=b.id)
    assert outcome == {"sent": 14, "blocked": 1, "failed": 1}
    (msg,) = await client.get_messages(new_id)
    assert msg["text"] == "Chỉ thị 07: kính gửi các đồng chí."
    assert msg["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == f"bc:ack:{b.id}"
    assert await client.get_calls(status=429) == []  # paced under every limit

    who = scope(p.officer, p.province, Role.officer)
    async with db.transaction() as s:
        fixed = await aftercare.correct(
            s,
            scope=who,
            broadcast_id=b.id,
            content={"kind": "text", "html": "<b>Chỉ thị 07</b> (đính chính)"},
        )
    assert fixed == {"queued": 14}
    await asyncio.wait_for(engine(db, bot).run(asyncio.Event(), until_idle=True), 30)
    (msg,) = await client.get_messages(new_id)
    assert msg["text"] == "Chỉ thị 07 (đính chính)" and msg["edit_history"]
    async with db.transaction() as s:
        gone = await aftercare.recall(s, scope=who, broadcast_id=b.id, config=CONFIG)
    assert gone == {"queued": 14, "too_old": 0}
    await asyncio.wait_for(engine(db, bot).run(asyncio.Event(), until_idle=True), 30)
    (msg,) = await client.get_messages(new_id)
    assert msg["deleted"] is True
    async with db.transaction() as s:
        assert await stats.by_outcome(s, broadcast_id=b.id) == {"recalled": 14, "blocked": 1, "failed": 1}


async def test_a_429_is_honoured_and_nothing_is_lost(db: Database, world: tuple[SandboxClient, Bot]) -> None:
    client, bot = world
    await client.set_limits(per_bot_per_sec=5)
    p = await bind(db, client)
    async with db.transaction() as s:
        b = await sending_broadcast(
            s,
            scope(p.officer, p.province, Role.officer),
            [p.province.id],
            config=CONFIG,
            targets=["group", "leader"],
        )
    # the engine believes in 1000 msg/s: the sandbox answers 429 retry_after, the engine waits and retries
    fast = BroadcastConfig(**{**CONFIG.__dict__, "rate_per_sec": 1000, "max_attempts": 2})
    e = engine(db, bot, fast)
    await asyncio.wait_for(e.run(asyncio.Event(), until_idle=True), 30)
    assert e.stats.retry_after > 0
    async with db.transaction() as s:
        assert await stats.by_outcome(s, broadcast_id=b.id) == {"sent": 16}
    for g in p.groups:
        assert len(await client.get_messages(g.telegram_chat_id)) == 1
