"""A quiet progress line on stderr for long CLI work (imports, exports, backups).

The work is one database transaction, so there is no row count to show while it runs; what a person
at the terminal needs is to see it is alive and how long it has taken, then a short summary. On a
terminal the line is redrawn in place every second; in a log (not a TTY) it prints start and end only.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Awaitable
from typing import TextIO, TypeVar

T = TypeVar("T")


async def with_progress(label: str, work: Awaitable[T], *, stream: TextIO | None = None) -> T:
    out = stream or sys.stderr
    live = out.isatty()
    started = time.perf_counter()

    async def tick() -> None:
        while True:
            await asyncio.sleep(1.0)
            out.write(f"\r⏳ {label}… {time.perf_counter() - started:.0f} giây")
            out.flush()

    if not live:
        out.write(f"⏳ {label}…\n")
    ticker = asyncio.create_task(tick()) if live else None
    try:
        return await work
    finally:
        if ticker is not None:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
        out.write(("\r" if live else "") + f"✔ {label}: {time.perf_counter() - started:.1f} giây\n")
        out.flush()


def summarize(lines: list[str], *, limit: int = 10, noun: str = "dòng") -> list[str]:
    """The first ``limit`` lines and a count of the rest, instead of thousands of lines."""
    if len(lines) <= limit:
        return lines
    return [*lines[:limit], f"  … và {len(lines) - limit:,} {noun} khác".replace(",", ".")]
