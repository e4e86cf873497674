"""Worker processes for the outbox tests: the real `loa run --role worker`, each its own OS process,
sending to the Telegram sandbox over HTTP. What the sandbox received is the truth the tests check."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sandbox.client import SandboxClient

ROOT = Path(__file__).resolve().parents[2]


def start_worker(settings: Any, sandbox_url: str, **env: str) -> subprocess.Popen[bytes]:
    values = {
        "LOA_ENVIRONMENT": "test",
        "LOA_DATABASE_URL": settings.database_url,
        "LOA_TELEGRAM_API_BASE": sandbox_url,
        "LOA_BROADCAST_IDLE_POLL_SECONDS": "0.05",
        **env,
    }
    if settings.redis_url:
        values["LOA_REDIS_URL"] = settings.redis_url
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LOA_")}
    return subprocess.Popen(
        [sys.executable, "-X", "faulthandler", "-m", "bot.cli", "run", "--role", "worker"],
        cwd=ROOT,
        env={**clean, "PYTHONPATH": str(ROOT), **values},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def stop(proc: subprocess.Popen[bytes], *, kill: bool = False) -> str:
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return err.decode(errors="replace")[-3000:]


async def wait_until(
    pred: Callable[[], Any],
    timeout: float,
    what: str,
    procs: list[subprocess.Popen[bytes]] = (),  # type: ignore[assignment]
) -> Any:
    """Polls an async predicate until it returns something truthy; fails early if a process died."""
    deadline = time.monotonic() + timeout
    while True:
        value = await pred()
        if value:
            return value
        for proc in procs:
            if proc.poll() is not None:
                raise AssertionError(f"a worker exited ({proc.returncode}): {stop(proc)}")
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


async def received(client: SandboxClient, chat_ids: list[int]) -> Counter[int]:
    """Messages the bot sent, per chat, as the sandbox recorded them."""
    counts: Counter[int] = Counter()
    for chat_id in chat_ids:
        counts[chat_id] = len(await client.get_messages(chat_id))
    return counts


async def sends(client: SandboxClient) -> list[dict[str, Any]]:
    """Successful sendMessage calls, oldest first."""
    return [c for c in await client.get_calls(method="sendMessage") if c.get("status") == 200]
