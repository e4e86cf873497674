"""The Telegram sandbox in its own process for the delivery benchmark, so the sandbox's CPU does not
compete with the engine being measured. Users are created in-process (100,000 in a second), and a
pipe answers: per-chat message counts, stats, limits changes, clearing."""

from __future__ import annotations

import asyncio
from collections import Counter
from multiprocessing.connection import Connection
from typing import Any

from sandbox.limits import LimitsConfig
from sandbox.server import SandboxServer


async def _main(conn: Connection, users: int) -> None:
    server = SandboxServer()
    ids = [server.state.create_user(f"Đoàn viên {i}").id for i in range(users)]
    await server.start()
    conn.send({"base_url": server.base_url, "user_ids": ids})
    loop = asyncio.get_running_loop()
    commands: asyncio.Queue[Any] = asyncio.Queue()
    loop.add_reader(conn.fileno(), lambda: commands.put_nowait(conn.recv()))
    state = server.state
    try:
        while True:
            cmd, arg = await commands.get()
            if cmd == "stop":
                break
            if cmd == "limits":
                state.limiter.configure(LimitsConfig(**{**state.limiter.config.to_dict(), **arg}))
                conn.send(state.limiter.config.to_dict())
            elif cmd == "clear":
                for chat in state.chats.values():
                    chat.messages.clear()
                state.stats.rate_limited = 0
                state.stats.messages_delivered = 0
                state.limiter.reset()
                conn.send(True)
            elif cmd == "counts":
                counts = Counter(
                    {cid: len(chat.messages) for cid, chat in state.chats.items() if chat.messages}
                )
                conn.send({"counts": dict(counts), "stats": state.stats.to_dict()})
    finally:
        loop.remove_reader(conn.fileno())
        await server.stop()


def serve(conn: Connection, users: int) -> None:
    asyncio.run(_main(conn, users))
