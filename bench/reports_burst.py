"""Webhook burst: N leaders (default 2,000) send `/baocao …` at once to the real bot in webhook mode,
through the local Telegram sandbox. Checks every report is stored; reports p50/p99 handling time.

    python -m bench.reports_bench --burst 2000 [--database-url URL] [--limits] [--max-connections N]

The sandbox runs in its own process (Telegram's CPU is not Loa's) and pushes updates over up to
`max_connections` parallel connections (Telegram's default 40, one update per chat at a time); the
leaders' messages are sent through its control API from that process too. Handling time is the time
the dispatcher spends on one webhook update (database work, validation and the confirmation message
included), measured in Loa's process: under a burst it includes waiting for the event loop and for a
database connection. `--limits` keeps the sandbox's flood limits (30 messages/s per bot), which then
bound the confirmations. A PostgreSQL database must be a scratch one: the bench refuses to run if it
already holds units, and empties every Loa table when done.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import statistics
import tempfile
import time
from datetime import timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, cast

from sqlalchemy import func, select, text

from config.settings import Environment, Settings
from directory.models import Chat, OrgUnit, Person, Role, RoleAssignment
from reports.models import PeriodKind, ReportSubmission
from reports.services import open_round, save_template
from sandbox.client import SandboxClient
from sandbox.limits import LimitsConfig
from sandbox.server import SandboxServer
from storage.all_models import load_all_models
from storage.base import utcnow
from storage.db import Database
from storage.migrate import upgrade
from tests.harness import BotHarness

FIELDS = [{"key": k, "label": f"Chỉ tiêu {k}", "unit": "người"} for k in ("a", "b", "c")]
SEND_CONCURRENCY = 50


# --------------------------------------------------------------------------- the sandbox process


async def _sandbox_main(conn: Connection, n: int, limits: bool) -> None:
    server = SandboxServer(limits=LimitsConfig(enabled=limits), dev_webhooks=True)
    state = server.state
    user_ids = [state.create_user(f"Chủ tịch {i}").id for i in range(n)]
    await server.start()
    conn.send({"base_url": server.base_url, "user_ids": user_ids})
    loop = asyncio.get_running_loop()
    commands: asyncio.Queue[Any] = asyncio.Queue()
    loop.add_reader(conn.fileno(), lambda: commands.put_nowait(conn.recv()))
    try:
        async with SandboxClient(server.base_url) as client:
            while True:
                cmd, arg = await commands.get()
                if cmd == "stop":
                    break
                if cmd == "max_connections":
                    if state.webhook is not None and arg:
                        state.webhook.max_connections = int(arg)
                    conn.send(state.webhook.max_connections if state.webhook else None)
                elif cmd == "send":
                    conn.send(await _send_all(client, arg))
                elif cmd == "stats":
                    hook = await client.get_webhook()
                    conn.send({**await client.get_stats(), "max_connections": hook.get("max_connections")})
    finally:
        loop.remove_reader(conn.fileno())
        await server.stop()


async def _send_all(client: SandboxClient, lines: list[tuple[int, str]]) -> float:
    """The leaders write through the control API, SEND_CONCURRENCY at a time; returns the seconds taken."""
    gate = asyncio.Semaphore(SEND_CONCURRENCY)

    async def send(uid: int, body: str) -> None:
        async with gate:
            await client.send_user_message(uid, text=body)

    started = time.perf_counter()
    await asyncio.gather(*(send(uid, body) for uid, body in lines))
    return time.perf_counter() - started


def _sandbox_process(conn: Connection, n: int, limits: bool) -> None:
    asyncio.run(_sandbox_main(conn, n, limits))


class _RemoteSandbox:
    """What BotHarness reads of a SandboxServer (its URL), for a sandbox in another process."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url


async def _ask(conn: Connection, cmd: str, arg: Any = None) -> Any:
    conn.send((cmd, arg))
    return await _answer(conn)


async def _answer(conn: Connection, timeout: float = 300.0) -> Any:
    """The sandbox process's next answer; fails instead of hanging if that process died."""
    if not await asyncio.to_thread(conn.poll, timeout):
        raise TimeoutError("the sandbox process did not answer")
    return conn.recv()


# --------------------------------------------------------------------------- Loa's side


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


async def _check_empty(db: Database) -> None:
    async with db.sessions() as session:
        if await session.scalar(select(func.count()).select_from(OrgUnit)):
            raise SystemExit("the burst bench needs an empty scratch database (org_units is not empty)")


async def _empty_postgresql(db: Database) -> None:
    tables = ", ".join(f'"{table.name}"' for table in load_all_models().sorted_tables)
    async with db.transaction() as session:
        await session.execute(text(f"TRUNCATE {tables} CASCADE"))


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _ms(seconds: float) -> float:
    return round(1000 * seconds, 1)


async def _run(
    make_settings: Any, conn: Connection, base_url: str, user_ids: list[int], max_connections: int | None
) -> dict[str, Any]:
    n = len(user_ids)
    harness = BotHarness(make_settings, cast(SandboxServer, _RemoteSandbox(base_url)), mode="webhook")
    loa = await harness.start()
    try:
        connections = await _ask(conn, "max_connections", max_connections)
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
        lines = [(uid, f"/baocao BURST {i % 50} {i % 7} {1000 + i}") for i, uid in enumerate(user_ids)]
        started = time.perf_counter()
        sending = asyncio.create_task(_ask(conn, "send", lines))
        deadline = started + max(180, n / 5)
        stored = 0
        while time.perf_counter() < deadline:
            stored = await _stored(loa.db, round_id)
            if stored >= n:
                break
            await asyncio.sleep(0.1)
        elapsed = time.perf_counter() - started
        sent_s = await sending
        await harness.client.wait_until(
            lambda: _ask(conn, "stats"), lambda s: s["messages_delivered"] >= n, 30, "the confirmations"
        )
    finally:
        await harness.stop()
        await harness.client.close()
    stats = await _ask(conn, "stats")
    return {
        "round_id": round_id,
        "stored": stored,
        "elapsed": elapsed,
        "sent_s": sent_s,
        "durations": durations,
        "max_connections": connections,
        "stats": stats,
    }


async def burst(
    n: int, database_url: str | None, limits: bool, max_connections: int | None = None
) -> dict[str, Any]:
    tmp = None
    if database_url is None:
        tmp = tempfile.TemporaryDirectory(prefix="loa-burst-")
        database_url = f"sqlite+aiosqlite:///{Path(tmp.name) / 'burst.db'}"
    url = database_url
    sqlite = url.startswith("sqlite")

    def make_settings(**overrides: Any) -> Settings:
        return Settings(_env_file=None, environment=Environment.test, database_url=url, **overrides)

    admin_db = Database(make_settings())
    await upgrade(admin_db.engine)
    await _check_empty(admin_db)
    parent, child = multiprocessing.get_context("spawn").Pipe()
    process = multiprocessing.get_context("spawn").Process(
        target=_sandbox_process, args=(child, n, limits), daemon=True
    )
    process.start()
    try:
        child.close()  # so that a dead sandbox process reads as EOF here
        hello = await _answer(parent, 60)
        run = await _run(make_settings, parent, hello["base_url"], hello["user_ids"], max_connections)
        stored_at_end = await _stored(admin_db, run["round_id"])  # updates in flight when the wait ended
    finally:
        if process.is_alive():
            parent.send(("stop", None))
            await asyncio.to_thread(process.join, 30)
        if not sqlite:
            await _empty_postgresql(admin_db)
        await admin_db.dispose()
        if tmp is not None:
            tmp.cleanup()
    durations: list[float] = run["durations"]
    stats: dict[str, Any] = run["stats"]
    elapsed: float = run["elapsed"]
    return {
        "bench": "reports.webhook_burst",
        "backend": "sqlite" if sqlite else "postgresql",
        "submissions_sent": n,
        "stored": run["stored"],
        "stored_after_shutdown": stored_at_end,
        "all_stored": stored_at_end == n,
        "all_stored_after_s": round(elapsed, 2),
        "within_a_minute": run["stored"] == n and elapsed < 60,
        "stored_per_s": round(run["stored"] / elapsed, 1),
        "send_s": round(run["sent_s"], 2),
        "handling_p50_ms": _ms(statistics.median(durations)) if durations else None,
        "handling_p99_ms": _ms(_pct(durations, 0.99)) if durations else None,
        "handling_max_ms": _ms(max(durations)) if durations else None,
        "updates_handled": len(durations),
        "webhook_max_connections": run["max_connections"],
        "webhook_deliveries": stats["webhook_deliveries"],
        "webhook_failures": stats["webhook_failures"],
        "confirmations_sent": stats["messages_delivered"],
        "rate_limited": stats["rate_limited"],
        "flood_limits": limits,
    }
