"""A minimal, fast fake of the Bot API in its own process: the "sink" the delivery bench sends to.

The full sandbox parses HTML, stores every message and keeps a chat model, which costs more CPU per
message than the engine under test; at 1000 msg/s the bench then measured the sandbox. This fake does
only what the engine can observe: a global flood limit (30 msg/s, 1000 msg/s with
``allow_paid_broadcast``) answered with 429 + ``retry_after``, a message id per chat, and a count of
messages per chat so the bench can find losses and duplicates. A pipe answers ``counts``, ``clear``,
``limits`` and ``stop``, like ``bench/sandbox_proc.py``.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections import Counter
from multiprocessing.connection import Connection
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

BOT_ID = 1000000001


class Bucket:
    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.tokens = rate
        self.last = time.monotonic()

    def take(self) -> int | None:
        """``None`` when a token was taken, else whole seconds to wait (Telegram rounds up)."""
        now = time.monotonic()
        self.tokens = min(self.rate, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return None
        return max(1, math.ceil((1.0 - self.tokens) / self.rate))


class FakeBotApi:
    def __init__(self) -> None:
        self.enabled = True
        self.free = Bucket(30.0)
        self.paid = Bucket(1000.0)
        self.counts: Counter[int] = Counter()
        self.rate_limited = 0

    def clear(self) -> None:
        self.counts.clear()
        self.rate_limited = 0
        self.free = Bucket(self.free.rate)
        self.paid = Bucket(self.paid.rate)

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"].lower()
        body = await request.read()
        ctype = request.content_type
        if ctype == "application/json":
            params: dict[str, Any] = json.loads(body or b"{}")
        elif ctype == "application/x-www-form-urlencoded":
            params = dict(parse_qsl(body.decode()))
        else:
            form = await request.post() if not body else None
            params = dict(form or {})
        now = int(time.time())
        if method == "getme":
            user = {"id": BOT_ID, "is_bot": True, "first_name": "Loa", "username": "loa_bot"}
            return web.json_response({"ok": True, "result": user})
        chat_id = int(params.get("chat_id", 0) or 0)
        if method in ("sendmessage", "sendphoto", "senddocument", "copymessage"):
            if self.enabled:
                paid = str(params.get("allow_paid_broadcast", "")).lower() in ("true", "1")
                retry = (self.paid if paid else self.free).take()
                if retry is not None:
                    self.rate_limited += 1
                    return web.json_response(
                        {
                            "ok": False,
                            "error_code": 429,
                            "description": f"Too Many Requests: retry after {retry}",
                            "parameters": {"retry_after": retry},
                        },
                        status=429,
                    )
            self.counts[chat_id] += 1
            message = {
                "message_id": self.counts[chat_id],
                "date": now,
                "chat": {"id": chat_id, "type": "group" if chat_id < 0 else "private", "title": "g"},
                "text": str(params.get("text", "")),
            }
            return web.json_response({"ok": True, "result": message})
        if method.startswith("edit"):
            message_id = int(params.get("message_id", 1) or 1)
            chat = {"id": chat_id, "type": "private"}
            message = {"message_id": message_id, "date": now, "chat": chat, "text": ""}
            return web.json_response({"ok": True, "result": message})
        return web.json_response({"ok": True, "result": True})


async def _main(conn: Connection, port: int) -> None:
    api = FakeBotApi()
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", api.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, backlog=1024)
    await site.start()
    bound = port
    for address in runner.addresses:
        if isinstance(address, tuple):
            bound = int(address[1])
    conn.send({"base_url": f"http://127.0.0.1:{bound}"})
    loop = asyncio.get_running_loop()
    commands: asyncio.Queue[Any] = asyncio.Queue()
    loop.add_reader(conn.fileno(), lambda: commands.put_nowait(conn.recv()))
    try:
        while True:
            cmd, arg = await commands.get()
            if cmd == "stop":
                break
            if cmd == "limits":
                api.enabled = bool(arg.get("enabled", api.enabled))
                conn.send({"enabled": api.enabled})
            elif cmd == "clear":
                api.clear()
                conn.send(True)
            elif cmd == "counts":
                conn.send({"counts": dict(api.counts), "stats": {"rate_limited": api.rate_limited}})
    finally:
        loop.remove_reader(conn.fileno())
        await runner.cleanup()


def serve(conn: Connection, port: int = 0) -> None:
    asyncio.run(_main(conn, port))
