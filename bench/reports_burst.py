"""Webhook burst: N leaders (default 2,000) send `/baocao …` at once to the real bot in webhook mode,
through the local Telegram sandbox. Checks every report is stored; reports p50/p99 handling time.

    python -m bench.reports_bench --burst 2000 [--database-url URL] [--limits]

The sandbox delivers webhook updates one at a time, in order (Telegram uses up to 40 connections), so
the wall time is bounded by serial delivery. Handling time is the time the dispatcher spends on one
webhook update (database work, validation and the confirmation message included). `--limits` keeps
the sandbox's Telegram flood limits (30 messages/s per bot), which then bound the confirmations.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from config.settings import Environment, Settings
from directory.models import Chat, OrgUnit, Person, Role, RoleAssignment
from reports.models import PeriodKind, ReportSubmission
from reports.services import open_round, save_template
from sandbox.server import SandboxServer
from storage.base import utcnow
from storage.db import Database
from storage.migrate import upgrade
from tests.harness import BotHarness

FIELDS = [{"key": k, "label": f"Chỉ tiêu {k}", "unit": "người"} for k in ("a", "b", "c")]


async def _people(db: Database, user_ids: list[int]) -> int:
    async with db.transaction() as session:
        root = OrgUnit(code="BURST-P", name="LĐLĐ (burst)", kind="province_federation", path="", depth=0)
        session.add(root)
        await session.flush()
        root.path = f"/{root.id}/"
        units = [
            OrgUnit(code=f"BURST-{i}", name=f"CĐCS {i}", kind="grassroots_union", parent_id=root.id, depth=1)
            for i in range(len(user_ids))
        ]
        people = [Person(full_name=f"Chủ tịch {i}", telegram_user_id=uid) for i, uid in enumerate(user_ids)]
        session.add_all([*units, *people])
        await session.flush()
        for unit, person, uid in zip(units, people, user_ids, strict=True):
            unit.path = f"{root.path}{unit.id}/"
            session.add(RoleAssignment(person_id=person.id, unit_id=unit.id, role=Role.leader.value))
            session.add(
                Chat(telegram_chat_id=uid, kind="private", title=person.full_name, person_id=person.id)
            )
        template = await save_template(session=session, code="BURST", name="Báo cáo nhanh", fields=FIELDS)
        round_ = await open_round(
            session=session,
            template_id=template.id,
            period_kind=PeriodKind.ad_hoc,
            deadline=utcnow() + timedelta(days=1),
            root_unit_id=root.id,
            target_kinds=["grassroots_union"],
        )
        return round_.id


async def _stored(db: Database, round_id: int) -> int:
    async with db.sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(ReportSubmission).where(ReportSubmission.round_id == round_id)
        )
        return int(count or 0)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def burst(n: int, database_url: str | None, limits: bool) -> dict[str, Any]:
    tmp = None
    if database_url is None:
        tmp = tempfile.TemporaryDirectory(prefix="loa-burst-")
        database_url = f"sqlite+aiosqlite:///{Path(tmp.name) / 'burst.db'}"
    url = database_url

    def make_settings(**overrides: Any) -> Settings:
        return Settings(_env_file=None, environment=Environment.test, database_url=url, **overrides)

    migrate_db = Database(make_settings())
    await upgrade(migrate_db.engine)
    await migrate_db.dispose()
    try:
        async with SandboxServer() as sandbox:
            harness = BotHarness(make_settings, sandbox, mode="webhook")
            loa = await harness.start()
            sb = harness.client
            try:
                if not limits:
                    await sb.set_limits(enabled=False)
                gate = asyncio.Semaphore(50)

                async def user(i: int) -> int:
                    async with gate:
                        return int((await sb.create_user(first_name=f"Chủ tịch {i}"))["id"])

                user_ids = list(await asyncio.gather(*(user(i) for i in range(n))))
                round_id = await _people(loa.db, user_ids)
                durations: list[float] = []
                feed = loa.dispatcher.feed_webhook_update

                async def timed(*args: Any, **kwargs: Any) -> Any:
                    started = time.perf_counter()
                    try:
                        return await feed(*args, **kwargs)
                    finally:
                        durations.append(time.perf_counter() - started)

                loa.dispatcher.feed_webhook_update = timed  # type: ignore[method-assign]

                async def send(i: int, uid: int) -> None:
                    async with gate:
                        await sb.send_user_message(uid, text=f"/baocao BURST {i % 50} {i % 7} {1000 + i}")

                started = time.perf_counter()
                await asyncio.gather(*(send(i, uid) for i, uid in enumerate(user_ids)))
                sent_s = time.perf_counter() - started
                deadline = started + max(180, n / 5)
                stored = 0
                while time.perf_counter() < deadline:
                    stored = await _stored(loa.db, round_id)
                    if stored >= n:
                        break
                    await asyncio.sleep(0.2)
                elapsed = time.perf_counter() - started
            finally:
                await harness.stop()
                await sb.close()
        counter = Database(make_settings())
        stored_at_end = await _stored(counter, round_id)  # updates in flight when the wait ended
        await counter.dispose()
    finally:
        if tmp is not None:
            tmp.cleanup()
    return {
        "bench": "reports.webhook_burst",
        "backend": "sqlite" if url.startswith("sqlite") else "postgresql",
        "submissions_sent": n,
        "stored": stored,
        "stored_after_shutdown": stored_at_end,
        "all_stored": stored_at_end == n,
        "delivered_per_s": round(len(durations) / elapsed, 1),
        "send_s": round(sent_s, 2),
        "all_stored_after_s": round(elapsed, 2),
        "within_a_minute": stored == n and elapsed < 60,
        "handling_p50_ms": round(1000 * statistics.median(durations), 1) if durations else None,
        "handling_p99_ms": round(1000 * _pct(durations, 0.99), 1) if durations else None,
        "handling_max_ms": round(1000 * max(durations), 1) if durations else None,
        "updates_handled": len(durations),
        "flood_limits": limits,
    }
