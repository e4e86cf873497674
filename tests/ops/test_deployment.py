"""The deployment files describe a deployment that works.

No container engine runs here, so the image and compose file are checked for what can be checked:
the image's commands exist in the `loa` CLI, and the compose services' commands, started as plain
processes (exactly the command lines the containers run) against this machine's database, Redis and
the Telegram sandbox, form a working deployment whose every role answers /healthz, /readyz, /metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from bot.cli import build_parser
from tests.ops.processes import Process, free_port, start, wait_http

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def loa_services() -> dict[str, dict[str, Any]]:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    return {name: svc for name, svc in compose["services"].items() if svc.get("image") == "loa:latest"}


def dockerfile_instruction(name: str) -> list[str]:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    match = re.search(rf"^{name} (\[.*\])$", text, re.MULTILINE)
    assert match, f"the Dockerfile has no exec-form {name}"
    value: list[str] = json.loads(match.group(1))
    return value


def test_image_and_compose_commands_exist_in_the_cli() -> None:
    assert dockerfile_instruction("ENTRYPOINT") == ["loa"]
    assert 'loa = "bot.cli:main"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    parser = build_parser()
    assert parser.parse_args(dockerfile_instruction("CMD")).command == "run"
    services = loa_services()
    assert {"migrate", "app", "worker", "scheduler"} <= services.keys()
    for name, service in services.items():
        args = parser.parse_args(service["command"])
        assert args.command in ("migrate", "run"), name
    assert parser.parse_args(services["app"]["command"]).role == ["api", "bot"]
    assert services["worker"]["deploy"]["replicas"] >= 2
    assert "healthcheck" in services["app"] and "healthcheck" in services["worker"]


def test_the_image_copies_every_package_pip_installs() -> None:
    include = re.search(r"^include = (\[.*\])$", (ROOT / "pyproject.toml").read_text(encoding="utf-8"), re.M)
    assert include
    packages = {name.rstrip("*") for name in json.loads(include.group(1))}
    copied = set(re.findall(r"^COPY (\w+) \./\1$", (DEPLOY / "Dockerfile").read_text(encoding="utf-8"), re.M))
    assert packages <= copied, packages - copied


def test_systemd_units_run_cli_commands() -> None:
    parser = build_parser()
    for unit in (DEPLOY / "systemd").glob("*.service"):
        text = unit.read_text(encoding="utf-8")
        line = re.search(r"loa (migrate|run[^'\n]*)", text)
        assert line, unit.name
        parser.parse_args(line.group(0).split()[1:])


def base_env(
    service: dict[str, Any], tmp_path: Path, database_url: str, redis_url: str | None, sandbox_url: str
) -> dict[str, str]:
    """The service's compose environment, with this machine's services in place of the containers'."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOA_")}
    env.update({k: str(v) for k, v in service.get("environment", {}).items()})
    env.pop("LOA_REDIS_URL", None)
    env.update(
        LOA_ENVIRONMENT="development",  # the sandbox token is refused in production, as it should be
        LOA_DATABASE_URL=database_url,
        LOA_TELEGRAM_API_BASE=sandbox_url,
        LOA_DATA_DIR=str(tmp_path / "data"),
        LOA_API_HOST="127.0.0.1",
        LOA_METRICS_HOST="127.0.0.1",
    )
    if redis_url:
        env["LOA_REDIS_URL"] = redis_url
    return env


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0) as client:
        yield client


async def test_compose_commands_as_processes_form_a_working_deployment(
    tmp_path: Path, database_url: str, redis_url: str | None, sandbox: Any, http: httpx.AsyncClient
) -> None:
    services = loa_services()

    def env(name: str) -> dict[str, str]:
        return base_env(services[name], tmp_path, database_url, redis_url, sandbox.base_url)

    migrate = await start("migrate", services["migrate"]["command"], env("migrate"), tmp_path, None)
    assert await asyncio.wait_for(migrate.proc.wait(), timeout=120) == 0, await migrate.proc.stderr.read()  # type: ignore[union-attr]

    running: list[Process] = []
    try:
        for name in ("app", "worker", "scheduler"):
            port = free_port()
            key = "LOA_API_PORT" if name == "app" else "LOA_METRICS_PORT"
            running.append(
                await start(name, services[name]["command"], {**env(name), key: str(port)}, tmp_path, port)
            )
        for process in running:
            base = f"http://127.0.0.1:{process.port}"
            await wait_http(http, f"{base}/healthz", process)
            ready = await wait_http(http, f"{base}/readyz", process)
            assert ready.json()["status"] == "ok", process.name
            metrics = (await wait_http(http, f"{base}/metrics", process)).text
            assert "loa_outbox_depth" in metrics and "loa_deliveries_total" in metrics, process.name
        assert all(p.proc.returncode is None for p in running)
    finally:
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                await process.stop()
    for process in running:
        log = process.stderr.decode()
        role = "api,bot" if process.name == "app" else process.name
        assert f"role={role}" in log, (process.name, log[-2000:])
        assert "Traceback" not in log, (process.name, log[-4000:])
        assert process.proc.returncode == 0, (process.name, process.proc.returncode, log[-2000:])
