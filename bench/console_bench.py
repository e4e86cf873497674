"""Console page times on the demo province: the demo's province and directive, a monthly round half
answered and a petition (demo.console_scene), then a signed-in officer of the province fetches each page
over HTTP from the real app (uvicorn on loopback, every role running) and the times are printed as JSON.

    python -m bench.console_bench [--repeat 30] [--database-url postgresql+asyncpg://.../scratch --reset]

Without --database-url a temporary SQLite file is used. The target is < 300 ms per page.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, text

from bot.app import Loa
from bot.runner import ALL_ROLES, serve
from broadcasts.models import Broadcast
from config.settings import Environment, Settings
from demo.console_scene import build_console_demo
from demo.run import DemoContext, _free_socket
from reports.models import ReportRound
from sandbox.client import SandboxClient
from sandbox.server import SandboxServer
from storage.migrate import upgrade


async def _reset(loa: Loa) -> None:
    async with loa.db.engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))


async def _pages(loa: Loa, root_id: int) -> dict[str, str]:
    async with loa.db.transaction() as s:
        b = await s.scalar(select(Broadcast.id).order_by(Broadcast.id.desc()).limit(1))
        r = await s.scalar(select(ReportRound.id).order_by(ReportRound.id.desc()).limit(1))
    return {
        "home": "/console/",
        "broadcasts": "/console/broadcasts",
        "broadcast": f"/console/broadcasts/{b}",
        "compose": "/console/broadcasts/new",
        "reports": "/console/reports",
        "round": f"/console/reports/rounds/{r}?unit_id={root_id}",
        "round_chart": f"/console/reports/rounds/{r}/chart.png?unit_id={root_id}",
        "round_xlsx": f"/console/reports/rounds/{r}/export.xlsx?unit_id={root_id}",
        "units": f"/console/units?unit_id={root_id}",
        "invitations": f"/console/invitations?unit_id={root_id}",
        "petitions": "/console/petitions",
        "archive_search": "/console/archive?q=chi+thi+07",
    }


async def _measure(
    base: str, login: str, password: str, pages: dict[str, str], repeat: int
) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        form = await http.get("/console/login")
        pre = re.search(r'name="pre" value="([^"]+)"', form.text)
        assert pre is not None
        signed = await http.post(
            "/console/login", data={"login": login, "password": password, "pre": pre.group(1)}
        )
        assert signed.status_code == 303, signed.text
        out: dict[str, Any] = {}
        for name, path in pages.items():
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                response = await http.get(path)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            times.sort()
            out[name] = {
                "p50_ms": round(statistics.median(times), 1),
                "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
                "max_ms": round(times[-1], 1),
            }
        return out


async def run(database_url: str | None, reset: bool, repeat: int) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="loa-console-bench-"))
    url = database_url or f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    sock = _free_socket()
    base = "http://{}:{}".format(*sock.getsockname()[:2])
    async with SandboxServer() as sandbox:
        settings = Settings(
            _env_file=None,
            environment=Environment.development,
            database_url=url,
            redis_url=None,
            telegram_api_base=sandbox.base_url,
        )
        loa = await Loa.create(settings, check_schema=False)
        if reset and not url.startswith("sqlite"):
            await _reset(loa)
        await upgrade(loa.db.engine)
        stop = asyncio.Event()
        runner = asyncio.create_task(serve(loa, ALL_ROLES, stop, sockets=[sock]))
        client = SandboxClient(sandbox.base_url)
        try:
            await client.set_limits(enabled=False)
            ctx = DemoContext(loa=loa, sandbox=client, workdir=workdir, api_base=base)
            started = time.perf_counter()
            login, password = await build_console_demo(ctx)
            setup_s = time.perf_counter() - started
            province = ctx.facts["province"]
            pages = await _pages(loa, province.root.id)
            times = await _measure(base, login, password, pages, repeat)
        finally:
            stop.set()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(runner, timeout=15)
            await client.close()
            await loa.close()
    worst = max(v["p95_ms"] for k, v in times.items() if k not in ("round_chart", "round_xlsx"))
    return {
        "database": "sqlite" if url.startswith("sqlite") else "postgresql",
        "province": {
            "units": 1 + len(province.upper_unions) + len(province.grassroots),
            "people": province.people_count,
        },
        "setup_seconds": round(setup_s, 1),
        "repeat": repeat,
        "pages": times,
        "worst_html_p95_ms": worst,
        "under_300ms": worst < 300,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--reset", action="store_true", help="drop the PostgreSQL schema first (scratch only)"
    )
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    print(
        json.dumps(asyncio.run(run(args.database_url, args.reset, args.repeat)), ensure_ascii=False, indent=1)
    )


if __name__ == "__main__":
    main()
