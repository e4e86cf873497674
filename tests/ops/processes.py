"""Loa processes started exactly as a deployment starts them (the `loa` script), probed over HTTP."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

import httpx

LOA = Path(sys.executable).with_name("loa")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Process:
    def __init__(self, name: str, proc: asyncio.subprocess.Process, port: int | None) -> None:
        self.name = name
        self.proc = proc
        self.port = port
        self.stderr = b""

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), timeout=20)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        assert self.proc.stderr is not None
        self.stderr = await self.proc.stderr.read()


async def start(name: str, command: list[str], env: dict[str, str], cwd: Path, port: int | None) -> Process:
    proc = await asyncio.create_subprocess_exec(
        str(LOA),
        *command,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    return Process(name, proc, port)


async def wait_http(
    client: httpx.AsyncClient, url: str, process: Process, timeout: float = 180.0
) -> httpx.Response:
    """Poll ``url`` until it answers 200 (start-up imports take seconds on a busy machine)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        if process.proc.returncode is not None:
            await process.stop()
            raise AssertionError(
                f"{process.name} exited {process.proc.returncode}: {process.stderr.decode()[-3000:]}"
            )
        try:
            response = await client.get(url)
            if response.status_code == 200:
                return response
            last = response.status_code
        except httpx.HTTPError as exc:
            last = exc
        await asyncio.sleep(0.2)
    raise AssertionError(f"{url} did not answer 200 within {timeout}s (last: {last!r})")
