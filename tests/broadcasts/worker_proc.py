"""A delivery worker in its own process, for the kill -9 test: every send is appended to a file
with one unbuffered write (it survives the kill), then the record is written as the engine does."""

from __future__ import annotations

import asyncio
import os
import sys

from broadcasts.config import BroadcastConfig
from broadcasts.content import Markup, Part
from config.settings import Environment, Settings
from outbox.engine import Engine
from outbox.ratelimit import LocalPacer
from storage.db import Database


class FileTransport:
    def __init__(self, path: str, latency: float) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.latency = latency
        self.n = 0

    async def send(self, chat_id: int, part: Part, *, paid: bool = False) -> int:
        await asyncio.sleep(self.latency)
        os.write(self.fd, f"{chat_id}\n".encode())
        self.n += 1
        return self.n

    async def edit(self, chat_id: int, message_id: int, part: Part) -> None: ...

    async def edit_markup(self, chat_id: int, message_id: int, markup: Markup | None) -> None: ...

    async def delete(self, chat_id: int, message_id: int) -> None: ...


async def main(url: str, out: str, lease: float) -> None:
    settings = Settings(_env_file=None, environment=Environment.test, database_url=url)
    db = Database(settings)
    config = BroadcastConfig(
        lease_seconds=lease,
        idle_poll_seconds=0.05,
        batch_size=10,
        concurrency=4,
        private_chat_interval=0,
        group_per_min=1e9,
    )
    engine = Engine(db=db, transport=FileTransport(out, 0.01), pacer=LocalPacer(10_000), config=config)
    try:
        await engine.run(asyncio.Event(), until_idle=True)
    finally:
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
