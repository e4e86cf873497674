"""The README's screenshot: the console home of a province officer, from the demo's own data (the
province and its directive, then a round half answered and a petition: demo.console_scene).
Saved to tmp/artifacts/console/home.png; with LOA_UPDATE_DOCS=1 (or when missing) also to docs/console.png."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from demo.console_scene import build_console_demo
from demo.run import DemoContext
from tests.console.conftest import ARTIFACTS

DOCS_SHOT = Path(__file__).resolve().parents[2] / "docs" / "console.png"


async def test_console_home_from_the_demo(console: Any, new_page: Callable[..., Any], tmp_path: Path) -> None:
    await console.client.set_limits(enabled=False)
    ctx = DemoContext(loa=console.loa, sandbox=console.client, workdir=tmp_path, api_base=console.api_base)
    login, password = await build_console_demo(ctx)

    page = await new_page(console.api_base)
    await page.set_viewport_size({"width": 1280, "height": 900})
    await page.goto("/console/")
    await page.get_by_label("Tên đăng nhập").fill(login)
    await page.get_by_label("Mật khẩu").fill(password)
    await page.get_by_role("button", name="Đăng nhập").click()
    await page.get_by_role("heading", name="Kỳ báo cáo đang mở").wait_for()
    assert await page.locator("main table").count() >= 1  # the demo's round, by child unit

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "home.png"
    await page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    if os.environ.get("LOA_UPDATE_DOCS") == "1" or not DOCS_SHOT.exists():
        shutil.copyfile(shot, DOCS_SHOT)
