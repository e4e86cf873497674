"""The same storage contract, run against the SQL storage and (when configured) Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram.fsm.storage.base import BaseStorage, StorageKey
from redis.asyncio import Redis

from bot.app import build_fsm_storage
from config.settings import Settings
from storage.db import Database

KEY = StorageKey(bot_id=1, chat_id=42, user_id=42)


@pytest.fixture
async def storage(settings: Settings, db: Database) -> AsyncIterator[BaseStorage]:
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    store = build_fsm_storage(settings, db, redis)
    yield store
    await store.close()


async def test_state_round_trip(storage: BaseStorage) -> None:
    assert await storage.get_state(KEY) is None
    await storage.set_state(KEY, "Form:q2")
    assert await storage.get_state(KEY) == "Form:q2"
    await storage.set_state(KEY, None)
    assert await storage.get_state(KEY) is None


async def test_data_round_trip_and_isolation(storage: BaseStorage) -> None:
    await storage.set_data(KEY, {"kn": 12, "label": "Kết nạp mới"})
    other = StorageKey(bot_id=1, chat_id=43, user_id=43)
    assert await storage.get_data(KEY) == {"kn": 12, "label": "Kết nạp mới"}
    assert await storage.get_data(other) == {}
    await storage.update_data(KEY, {"tt": 5})
    assert await storage.get_data(KEY) == {"kn": 12, "label": "Kết nạp mới", "tt": 5}
    await storage.set_data(KEY, {})
    assert await storage.get_data(KEY) == {}


async def test_state_survives_a_new_storage_instance(settings: Settings, db: Database) -> None:
    """What a restart does: a fresh storage object (and connection) sees the old conversation."""
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    first = build_fsm_storage(settings, db, redis)
    await first.set_state(KEY, "Report:confirm")
    await first.set_data(KEY, {"answers": [1, 2, 3]})
    await first.close()

    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    second = build_fsm_storage(settings, Database(settings), redis)
    try:
        assert await second.get_state(KEY) == "Report:confirm"
        assert await second.get_data(KEY) == {"answers": [1, 2, 3]}
    finally:
        await second.close()


def test_backend_matches_configuration(settings: Settings, db: Database) -> None:
    from aiogram.fsm.storage.redis import RedisStorage

    from bot.fsm_storage import SqlStorage

    store = build_fsm_storage(
        settings, db, Redis.from_url(settings.redis_url) if settings.redis_url else None
    )
    assert isinstance(store, RedisStorage if settings.redis_url else SqlStorage)
