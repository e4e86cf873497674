"""The console under a real headless Chromium (Debian's package, driven by Playwright) against the real
app: uvicorn on a loopback port, the bot polling the Telegram sandbox, the broadcast worker and the
scheduler — the same harness the bot tests use.

Without /usr/bin/chromium the browser tests are skipped with the reason, except in CI (CI=true), where a
missing browser fails them. A failing browser test leaves a screenshot in tmp/artifacts/console/.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.runner import Role as ProcessRole
from tests.conftest import IN_CI

CHROMIUM = os.environ.get("LOA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "tmp" / "artifacts" / "console"
ALL_ROLES = frozenset(ProcessRole)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    if not Path(CHROMIUM).exists():
        reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if IN_CI:
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def console(harness_factory: Callable[..., Any]) -> AsyncIterator[Any]:
    """The whole app, every role in one process, with approval always required and quick workers."""
    async with harness_factory(
        "polling", roles=ALL_ROLES, broadcast_approval_threshold=0, broadcast_rate_per_sec=200
    ) as harness:
        yield harness


@pytest.fixture
async def new_page(browser: Any, request: pytest.FixtureRequest) -> AsyncIterator[Callable[..., Any]]:
    """Pages in separate browser contexts (one per signed-in person); each is screenshotted if the test
    fails, before the browser closes."""
    pages: list[Any] = []

    async def make(base_url: str) -> Any:
        context = await browser.new_context(base_url=base_url, locale="vi-VN", accept_downloads=True)
        context.set_default_timeout(15_000)
        page = await context.new_page()
        pages.append(page)
        return page

    yield make
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        for i, page in enumerate(pages):
            try:
                await page.screenshot(path=str(ARTIFACTS / f"{name}-{i}.png"), full_page=True)
            except Exception as exc:  # a closed page must not hide the test's own failure
                print(f"screenshot failed: {exc}")
    for page in pages:
        await page.context.close()
