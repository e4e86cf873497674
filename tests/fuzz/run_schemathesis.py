"""Property-based fuzzing of the admin API with schemathesis, in process (ASGI), as an admin and anonymously.

For every operation of the OpenAPI document, a bounded number of generated requests (valid and invalid
ones) are sent; any 5xx or any response that contradicts the document fails the run.

    python -m tests.fuzz.run_schemathesis [--examples 12] [--seed 11]

Runs on a fresh SQLite database and the local Telegram sandbox; exits 1 on the first operation that
fails, after printing every failure found.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis
from httpx import ASGITransport, AsyncClient
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.core.result import Err
from schemathesis.openapi import from_dict

from api.app import create_app
from bot.app import Loa
from config.settings import Environment, Settings
from directory import auth, people, tree
from directory.models import Role
from sandbox.server import SandboxServer
from storage.db import create_engine
from storage.migrate import upgrade

CHECKS = [not_a_server_error, response_schema_conformance]


@dataclass
class Outcome:
    requests: int = 0
    unsendable: int = 0
    failures: list[str] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)


def generate(operation: Any, *, examples: int, seed: int) -> list[Case]:
    """Cases drawn by hypothesis (positive and negative), collected first and sent afterwards: the
    generator is synchronous, the application is asynchronous."""
    cases: list[Case] = []
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @hypothesis.settings(
        max_examples=examples,
        database=None,
        deadline=None,
        derandomize=False,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.seed(seed)
    @given(strategy)
    def collect(case: Case) -> None:
        cases.append(case)

    try:
        collect()
    except Exception as exc:  # an operation hypothesis cannot generate for is reported, not fatal
        print(f"  (generation skipped for {operation.label}: {type(exc).__name__})")
    return cases


async def send(http: AsyncClient, case: Case, headers: dict[str, str]) -> Any:
    kwargs = case.as_transport_kwargs(base_url="http://loa.test", headers=headers)
    kwargs.pop("base_url", None)
    wanted = ("method", "url", "headers", "params", "json", "content", "files", "data", "cookies")
    request = {k: v for k, v in kwargs.items() if k in wanted}
    try:
        built = http.build_request(**request)
        await built.aread()  # multipart bodies stream; read them so the checks can inspect the request
    except (TypeError, ValueError, AttributeError):
        return None  # a generated body the HTTP client itself cannot encode: nothing to send
    return await http.send(built)


async def seed_world(loa: Loa) -> dict[str, str]:
    async with loa.db.transaction() as s:
        root = await tree.create_unit(
            s, actor="fuzz", code="R", name="Tổng Liên đoàn", kind="confederation", parent=None
        )
        province = await tree.create_unit(
            s, actor="fuzz", code="P", name="LĐLĐ tỉnh", kind="province_federation", parent=root
        )
        await tree.create_unit(
            s, actor="fuzz", code="C", name="CĐCS", kind="grassroots_union", parent=province
        )
        admin = await people.create_person(s, actor="fuzz", full_name="Quản trị", login="admin")
        await people.assign_role(s, actor="fuzz", person=admin, unit=root, role=Role.admin)
    token = auth.issue_access_token(
        person_id=admin.id, secret=loa.settings.jwt_secret.get_secret_value(), minutes=120
    )
    return {"Authorization": f"Bearer {token}"}


async def run(examples: int, seed: int, only: str | None) -> int:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'fuzz.db'}"
        engine = create_engine(url)
        await upgrade(engine)
        await engine.dispose()
        async with SandboxServer() as sandbox:
            settings = Settings(
                _env_file=None,
                environment=Environment.test,
                database_url=url,
                redis_url=None,
                telegram_api_base=sandbox.base_url,
            )
            loa = await Loa.create(settings, check_schema=False)
            try:
                app = create_app(loa, webhook=False)
                schema = from_dict(app.openapi())
                admin = await seed_world(loa)
                outcome = Outcome()
                async with AsyncClient(
                    transport=ASGITransport(app=app, raise_app_exceptions=False), base_url="http://loa.test"
                ) as http:
                    for result in schema.get_all_operations():
                        if isinstance(result, Err):  # the document itself is broken: a failure too
                            outcome.failures.append(f"invalid operation in the schema: {result.err()}")
                            continue
                        operation = result.ok()
                        if only and only not in operation.label:
                            continue
                        cases = generate(operation, examples=examples, seed=seed)
                        for who, headers in (("admin", admin), ("anonymous", {})):
                            for case in cases:
                                response = await send(http, case, headers)
                                if response is None:
                                    outcome.unsendable += 1
                                    continue
                                outcome.requests += 1
                                outcome.statuses[response.status_code] = (
                                    outcome.statuses.get(response.status_code, 0) + 1
                                )
                                try:
                                    case.validate_response(response, checks=CHECKS)
                                except (Exception, BaseExceptionGroup) as exc:
                                    outcome.failures.append(
                                        f"{operation.label} as {who}: {response.status_code} "
                                        f"{type(exc).__name__}: {str(exc)[:400]}\n    "
                                        f"{case.as_curl_command(headers=headers)[:600]}"
                                    )
            finally:
                await loa.close()
    elapsed = time.perf_counter() - started
    print(
        f"schemathesis: {outcome.requests} requests ({outcome.unsendable} unsendable) in {elapsed:.0f} s; "
        f"statuses {sorted(outcome.statuses.items())}"
    )
    for failure in outcome.failures:
        print("FAIL", failure)
    print(f"schemathesis: {len(outcome.failures)} failures")
    return 1 if outcome.failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--examples", type=int, default=12, help="generated requests per operation")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--only", default=None, help="only operations whose label contains this text")
    args = parser.parse_args(argv)
    return asyncio.run(run(args.examples, args.seed, args.only))


if __name__ == "__main__":
    sys.exit(main())
