"""Zalo delivery benchmark: a broadcast to N Zalo groups through the real engine, ZaloTransport and
the Zalo sandbox over HTTP (limits on). Prints one JSON object.

    python -m bench.zalo_bench [--recipients 200] [--rate 8] [--sandbox-limit 10] [--database-url URL]

`rate` is Loa's configured Zalo rate (LOA_ZALO_RATE_PER_SEC, default 8/s); `sandbox-limit` is the
sandbox's per-bot limit (Zalo publishes none; the sandbox's conservative default is 10/s).
Throughput is measured from the first send to the last and reported as a percentage of both;
lost = groups that received nothing, duplicates = extra messages.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from broadcasts import service
from broadcasts.config import BroadcastConfig
from broadcasts.models import Broadcast, Status
from config.settings import Environment, Settings
from directory.identities import ZALO_ID_BASE
from directory.models import Chat, MessengerAddress, OrgUnit
from messengers.zalo.api import ZaloApi
from messengers.zalo.choices import ChoiceStore
from messengers.zalo.transport import ZaloTransport
from outbox.engine import Engine
from outbox.parts import Markup, Part
from outbox.ratelimit import LocalPacer
from sandbox.zalo.server import ZaloSandboxServer
from sandbox.zalo.state import Group, ZaloLimits
from storage.db import Database
from storage.migrate import upgrade

TEXT = "<b>Thông báo</b>: Ban Thường vụ LĐLĐ tỉnh đề nghị các CĐCS triển khai Chỉ thị 07."


class Timed:
    def __init__(self, inner: ZaloTransport) -> None:
        self.inner = inner
        self.first = self.last = 0.0

    async def send(self, chat_id: int, part: Part, *, paid: bool = False) -> int:
        mid = await self.inner.send(chat_id, part, paid=paid)
        now = time.perf_counter()
        self.first = self.first or now
        self.last = now
        return mid

    async def edit(self, chat_id: int, message_id: int, part: Part) -> None:
        await self.inner.edit(chat_id, message_id, part)

    async def edit_markup(self, chat_id: int, message_id: int, markup: Markup | None) -> None:
        await self.inner.edit_markup(chat_id, message_id, markup)

    async def delete(self, chat_id: int, message_id: int) -> None:
        await self.inner.delete(chat_id, message_id)


async def prepare(db: Database, natives: list[str]) -> int:
    async with db.transaction() as s:
        unit = OrgUnit(code="bench-zalo", name="Bench Zalo", kind="province_federation")
        s.add(unit)
        await s.flush()
        unit.path = f"/{unit.id}/"
        ids = [-(ZALO_ID_BASE + i + 1) for i in range(len(natives))]
        await s.execute(
            insert(MessengerAddress),
            [
                {"channel": "zalo", "kind": "group", "native_id": n, "messenger_id": i}
                for n, i in zip(natives, ids, strict=True)
            ],
        )
        await s.execute(
            insert(Chat),
            [
                {
                    "telegram_chat_id": i,
                    "kind": "group",
                    "title": "",
                    "unit_id": unit.id,
                    "is_active": True,
                    "channel": "zalo",
                    "address": n,
                }
                for n, i in zip(natives, ids, strict=True)
            ],
        )
        b = Broadcast(
            title="bench zalo",
            status=Status.approved,
            content={"kind": "text", "html": TEXT},
            audience={"roots": [unit.id], "targets": ["group"]},
        )
        s.add(b)
        await s.flush()
        await service.start_sending(s, broadcast=b)
        return b.id


async def main(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="loa-zalo-bench-"))
    url = args.database_url or f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    db = Database(Settings(_env_file=None, environment=Environment.test, database_url=url))
    await upgrade(db.engine)
    limits = ZaloLimits(per_bot_per_sec=args.sandbox_limit)
    async with ZaloSandboxServer(limits=limits) as sb:
        natives = [sb.state.next_id("group") for _ in range(args.recipients)]
        for n in natives:
            sb.state.groups[n] = Group(id=n, title="Nhóm", members=[])
        bid = await prepare(db, natives)
        api = ZaloApi(token="8800001:bench", base=sb.base_url)

        async def address(chat_id: int) -> str | None:
            return natives[-chat_id - ZALO_ID_BASE - 1]

        transport = Timed(ZaloTransport(api=api, choices=ChoiceStore(db, None), address_of=address))
        config = BroadcastConfig(concurrency=16, batch_size=100)
        engine = Engine(
            db=db,
            transport={"zalo": transport},
            pacer={"telegram": LocalPacer(config.global_rate), "zalo": LocalPacer(args.rate)},
            config=config,
        )
        started = time.perf_counter()
        stats = await engine.run(asyncio.Event(), until_idle=True)
        elapsed = time.perf_counter() - started
        await api.close()
        counts = {n: sum(1 for m in sb.state.messages.get(n, []) if m.get("from_bot")) for n in natives}
        steady = (
            (args.recipients - 1) / (transport.last - transport.first)
            if transport.last > transport.first
            else 0.0
        )
        result = {
            "broadcast_id": bid,
            "recipients": args.recipients,
            "configured_rate_per_sec": args.rate,
            "sandbox_limit_per_sec": args.sandbox_limit,
            "throughput_per_sec": round(steady, 2),
            "pct_of_configured_rate": round(100 * steady / args.rate, 1),
            "pct_of_sandbox_limit": round(100 * steady / args.sandbox_limit, 1),
            "seconds": round(elapsed, 2),
            "rate_limited_429": sb.state.stats()["rate_limited"],
            "engine_retry_after": stats.retry_after,
            "lost": sum(1 for n in natives if counts[n] == 0),
            "duplicates": sum(max(0, c - 1) for c in counts.values()),
        }
    await db.dispose()
    return result


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=200)
    parser.add_argument("--rate", type=float, default=8.0)
    parser.add_argument("--sandbox-limit", type=float, default=10.0)
    parser.add_argument("--database-url", default=None)
    return parser.parse_args(argv)


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(parse())), ensure_ascii=False))
