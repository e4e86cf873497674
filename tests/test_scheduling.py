from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.app import Loa
from bot.scheduling import build_scheduler, purge_processed_updates
from config.settings import Settings
from storage.base import utcnow
from storage.runtime_models import ProcessedUpdate


@pytest.fixture
async def loa(settings: Settings) -> AsyncIterator[Loa]:
    app = await Loa.create(settings)
    yield app
    await app.close()


async def test_purge_forgets_only_old_update_ids(loa: Loa) -> None:
    now = utcnow()
    async with loa.db.transaction() as session:
        session.add_all(
            [
                ProcessedUpdate(bot_id=1, update_id=1, processed_at=now - timedelta(hours=72)),
                ProcessedUpdate(bot_id=1, update_id=2, processed_at=now - timedelta(hours=1)),
            ]
        )
    assert await purge_processed_updates(loa) == {"purged": 1}
    async with loa.db.sessions() as session:
        left = list(await session.scalars(select(ProcessedUpdate.update_id)))
        assert left == [2]
        assert await session.scalar(select(func.count()).select_from(ProcessedUpdate)) == 1


def test_scheduler_has_every_domain_job(loa: Loa) -> None:
    scheduler = build_scheduler(loa)
    ids = {job.id for job in scheduler.get_jobs()}
    assert "purge_processed_updates" in ids
    assert any(i.startswith("broadcast") for i in ids), ids
    assert any("report" in i or "round" in i for i in ids), ids
