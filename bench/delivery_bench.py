"""OutboxMessage benchmark against the Telegram sandbox (run in its own process). Prints one JSON object.

    python -m bench.delivery_bench [--rate-recipients 600] [--paid-recipients 10000]
                                   [--compare-recipients 3000] [--rss-recipients 100000]
                                   [--database-url URL] [--endpoint fast|sandbox]

By default the Bot API is `bench/fast_botapi.py`, a minimal fake in its own process, so the figures
are the engine's and not the sandbox's; `--endpoint sandbox` sends to the full Telegram sandbox.

- limits on: throughput as % of the configured limit at 30 msg/s and at 1000 msg/s (paid mode),
  429s received, lost and duplicate deliveries. The rate is measured from the first send to the
  last one (steady state); `end_to_end_pct` also counts start-up and the final bookkeeping.
- limits off: the engine's throughput against a bare aiogram send loop on the same audience
  (sequential, and concurrent with the engine's concurrency), a naive send-and-sleep loop
  (30 msg/s by sleeping), and `aiogram-broadcaster` when it is installed.
- peak RSS of this process while the engine delivers `--rss-recipients` messages.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aiogram import Bot
from sqlalchemy import insert

from bench import fast_botapi, sandbox_proc
from bot.app import build_bot
from broadcasts import service
from broadcasts.config import BroadcastConfig
from broadcasts.content import Markup, Part
from broadcasts.models import Broadcast, Status
from config.settings import Environment, Settings
from directory.models import Chat, OrgUnit
from outbox.engine import Engine
from outbox.ratelimit import LocalPacer
from outbox.telegram import TelegramTransport
from storage.db import Database
from storage.migrate import upgrade

TEXT = "<b>Thông báo</b>: Ban Thường vụ LĐLĐ tỉnh đề nghị các CĐCS triển khai Chỉ thị 07."
PLAIN = "Thông báo: Ban Thường vụ LĐLĐ tỉnh đề nghị các CĐCS triển khai Chỉ thị 07."


class TimedTransport:
    """The real Telegram transport, timing the first and the last send."""

    def __init__(self, bot: Bot) -> None:
        self.inner = TelegramTransport(bot)
        self.first = 0.0
        self.last = 0.0

    async def send(self, chat_id: int, part: Part, *, paid: bool = False) -> int:
        if not self.first:
            self.first = time.perf_counter()
        mid = await self.inner.send(chat_id, part, paid=paid)
        self.last = time.perf_counter()
        return mid

    async def edit(self, chat_id: int, message_id: int, part: Part) -> None:
        await self.inner.edit(chat_id, message_id, part)

    async def edit_markup(self, chat_id: int, message_id: int, markup: Markup | None) -> None:
        await self.inner.edit_markup(chat_id, message_id, markup)

    async def delete(self, chat_id: int, message_id: int) -> None:
        await self.inner.delete(chat_id, message_id)


class Sandbox:
    """The Bot API endpoint in its own process: the fast fake (default) or the full sandbox."""

    def __init__(self, users: int, endpoint: str = "fast") -> None:
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        if endpoint == "sandbox":
            self.proc = ctx.Process(target=sandbox_proc.serve, args=(child, users), daemon=True)
        else:
            self.proc = ctx.Process(target=fast_botapi.serve, args=(child,), daemon=True)
        self.proc.start()
        hello = self.conn.recv()
        self.base_url: str = hello["base_url"]
        self.user_ids: list[int] = hello.get("user_ids") or list(range(10_001, 10_001 + users))

    def ask(self, cmd: str, arg: Any = None) -> Any:
        self.conn.send((cmd, arg))
        return self.conn.recv()

    def close(self) -> None:
        self.conn.send(("stop", None))
        self.proc.join(10)


async def make_db(url: str | None, workdir: Path) -> Database:
    url = url or f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    settings = Settings(_env_file=None, environment=Environment.test, database_url=url)
    db = Database(settings)
    await upgrade(db.engine)
    return db


async def prepare(db: Database, chat_ids: list[int], tag: str) -> int:
    """One unit with `len(chat_ids)` bound chats, and an approved broadcast to all of them, sending."""
    async with db.transaction() as s:
        unit = OrgUnit(code=f"bench-{tag}", name=f"Bench {tag}", kind="province_federation")
        s.add(unit)
        await s.flush()
        unit.path = f"/{unit.id}/"
        for start in range(0, len(chat_ids), 10_000):
            rows = [
                {"telegram_chat_id": c, "kind": "group", "title": "", "unit_id": unit.id, "is_active": True}
                for c in chat_ids[start : start + 10_000]
            ]
            await s.execute(insert(Chat), rows)
        b = Broadcast(
            title=f"bench {tag}",
            status=Status.approved,
            content={"kind": "text", "html": TEXT},
            audience={"roots": [unit.id], "targets": ["group"]},
        )
        s.add(b)
        await s.flush()
        await service.start_sending(s, broadcast=b)
        return b.id


async def run_engine(db: Database, bot: Bot, config: BroadcastConfig) -> tuple[TimedTransport, float, Any]:
    transport = TimedTransport(bot)
    engine = Engine(db=db, transport=transport, pacer=LocalPacer(config.global_rate), config=config)
    started = time.perf_counter()
    stats = await engine.run(asyncio.Event(), until_idle=True)
    return transport, time.perf_counter() - started, stats


def losses(sb: Sandbox, chat_ids: list[int]) -> dict[str, int]:
    answer = sb.ask("counts")
    counts: dict[int, int] = answer["counts"]
    lost = sum(1 for c in chat_ids if counts.get(c, 0) == 0)
    duplicates = sum(max(0, counts.get(c, 0) - 1) for c in chat_ids)
    return {"lost": lost, "duplicates": duplicates, "rate_limited_429": int(answer["stats"]["rate_limited"])}


async def limited(db: Database, bot: Bot, sb: Sandbox, chats: list[int], *, paid: bool) -> dict[str, Any]:
    sb.ask("clear")
    sb.ask("limits", {"enabled": True})
    config = BroadcastConfig(
        paid_broadcast=paid, concurrency=64 if paid else 16, batch_size=400 if paid else 100
    )
    bid = await prepare(db, chats, "paid" if paid else "free")
    transport, elapsed, stats = await run_engine(db, bot, config)
    limit = config.paid_rate_per_sec if paid else config.rate_per_sec
    steady = (len(chats) - 1) / (transport.last - transport.first)
    result = {
        "broadcast_id": bid,
        "recipients": len(chats),
        "limit_per_sec": limit,
        "throughput_per_sec": round(steady, 1),
        "pct_of_limit": round(100 * steady / limit, 2),
        "end_to_end_pct": round(100 * len(chats) / elapsed / limit, 2),
        "seconds": round(elapsed, 2),
        "engine_retry_after": stats.retry_after,
    }
    result.update(losses(sb, chats))
    return result


async def bare_loop(bot: Bot, chats: list[int], concurrency: int) -> float:
    sem = asyncio.Semaphore(concurrency)

    async def one(chat: int) -> None:
        async with sem:
            await bot.send_message(chat, TEXT)

    started = time.perf_counter()
    if concurrency == 1:
        for chat in chats:
            await bot.send_message(chat, TEXT)
    else:
        await asyncio.gather(*(one(c) for c in chats))
    return len(chats) / (time.perf_counter() - started)


async def naive_sleep_loop(bot: Bot, chats: list[int]) -> float:
    """What most broadcast snippets do: send, then sleep 1/30 s, one after another."""
    started = time.perf_counter()
    for chat in chats:
        await bot.send_message(chat, TEXT)
        await asyncio.sleep(1 / 30)
    return len(chats) / (time.perf_counter() - started)


async def broadcaster_library(bot: Bot, chats: list[int]) -> dict[str, Any]:
    try:
        import aiogram_broadcaster  # noqa: F401
    except ImportError:
        return {"available": False, "note": "aiogram-broadcaster is not installed (optional `bench` extra)"}
    return {"available": True, "note": "installed, but its API is not wired in this benchmark yet"}


async def unlimited(db: Database, bot: Bot, sb: Sandbox, chats: list[int]) -> dict[str, Any]:
    sb.ask("limits", {"enabled": False})
    sb.ask("clear")
    config = BroadcastConfig(rate_per_sec=1_000_000, concurrency=64, batch_size=400, idle_poll_seconds=0.05)
    await prepare(db, chats, "off")
    transport, elapsed, _ = await run_engine(db, bot, config)
    engine_rate = (len(chats) - 1) / (transport.last - transport.first)
    engine_loss = losses(sb, chats)
    sb.ask("clear")
    bare_seq = await bare_loop(bot, chats, 1)
    sb.ask("clear")
    bare_conc = await bare_loop(bot, chats, config.concurrency)
    sb.ask("clear")
    naive = await naive_sleep_loop(bot, chats[: min(len(chats), 300)])
    return {
        "recipients": len(chats),
        "engine_per_sec": round(engine_rate, 1),
        "engine_end_to_end_per_sec": round(len(chats) / elapsed, 1),
        "bare_sequential_per_sec": round(bare_seq, 1),
        "bare_concurrent_per_sec": round(bare_conc, 1),
        "ratio_to_bare_sequential": round(engine_rate / bare_seq, 3),
        "ratio_to_bare_concurrent": round(engine_rate / bare_conc, 3),
        "naive_send_and_sleep_per_sec": round(naive, 1),
        "engine": engine_loss,
        "aiogram_broadcaster": await broadcaster_library(bot, chats),
    }


async def rss_run(db: Database, bot: Bot, sb: Sandbox, chats: list[int]) -> dict[str, Any]:
    sb.ask("limits", {"enabled": False})
    sb.ask("clear")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    await prepare(db, chats, "rss")
    _, elapsed, _ = await run_engine(
        db, bot, BroadcastConfig(rate_per_sec=1_000_000, concurrency=64, batch_size=400)
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "recipients": len(chats),
        "seconds": round(elapsed, 1),
        "peak_rss_mb": round(peak, 1),
        "rss_before_mb": round(before, 1),
        **losses(sb, chats),
    }


async def main(args: argparse.Namespace) -> dict[str, Any]:
    sizes = [args.rate_recipients, args.paid_recipients, args.compare_recipients, args.rss_recipients]
    need = sum(sizes)
    sb = Sandbox(need, args.endpoint)
    workdir = Path(tempfile.mkdtemp(prefix="loa-delivery-bench-"))
    db = await make_db(args.database_url, workdir)
    settings = Settings(_env_file=None, environment=Environment.test, telegram_api_base=sb.base_url)
    bot = build_bot(settings)
    ids = sb.user_ids
    out: dict[str, Any] = {
        "database": db.url.split(":")[0],
        "endpoint": args.endpoint,
        "python": sys.version.split()[0],
    }
    try:
        # each run gets its own recipients (a chat is bound once), so no run counts another's messages
        pools, start = [], 0
        for size in sizes:
            pools.append(ids[start : start + size])
            start += size
        rate, paid, compare, rss = pools
        if rate:
            out["limits_on_30"] = await limited(db, bot, sb, rate, paid=False)
        if paid:
            out["limits_on_1000_paid"] = await limited(db, bot, sb, paid, paid=True)
        if compare:
            out["limits_off"] = await unlimited(db, bot, sb, compare)
        if rss:
            out["rss"] = await rss_run(db, bot, sb, rss)
    finally:
        await bot.session.close()
        await db.dispose()
        sb.close()
    targets = {
        "pct_30": ("limits_on_30", lambda r: r["pct_of_limit"] >= 97),
        "pct_1000": ("limits_on_1000_paid", lambda r: r["pct_of_limit"] >= 97),
        "end_to_end_1000": ("limits_on_1000_paid", lambda r: r["end_to_end_pct"] >= 90),
        "ratio_1_0": ("limits_off", lambda r: r["ratio_to_bare_concurrent"] >= 1.0),
        "rss_250": ("rss", lambda r: r["peak_rss_mb"] < 250),
    }
    met: dict[str, bool] = {name: check(out[key]) for name, (key, check) in targets.items() if key in out}
    limited_runs = [out[k] for k in ("limits_on_30", "limits_on_1000_paid") if k in out]
    met["no_loss_no_429"] = all(
        r["lost"] == 0 and r["duplicates"] == 0 and r["rate_limited_429"] == 0 for r in limited_runs
    )
    out["targets_met"] = met
    return out


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Loa delivery benchmark against the sandbox")
    p.add_argument("--rate-recipients", type=int, default=600)
    p.add_argument("--paid-recipients", type=int, default=10_000)
    p.add_argument("--compare-recipients", type=int, default=3_000)
    p.add_argument("--rss-recipients", type=int, default=100_000)
    p.add_argument("--database-url", default=None)
    p.add_argument(
        "--endpoint",
        choices=["fast", "sandbox"],
        default="fast",
        help="fast: a minimal fake Bot API (measures the engine); sandbox: the full Telegram sandbox",
    )
    return p.parse_args(argv)


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(parse())), ensure_ascii=False, indent=2))
