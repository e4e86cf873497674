"""Heavy or demo-only packages stay out of a production process until they are needed."""

from __future__ import annotations

import subprocess
import sys

from reports.chart import completeness_chart
from reports.rollup import Completeness

PROBE = """
import sys
import api.app, bot.app, bot.runner, bot.cli, handlers
from bot.worker import run_worker
print(sorted(m for m in ("matplotlib", "vietnam_provinces") if m in sys.modules))
"""


def test_production_modules_import_neither_matplotlib_nor_demo_data() -> None:
    out = subprocess.run(  # noqa: S603 (this interpreter, a fixed script)
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=300, check=True
    )
    assert out.stdout.strip() == "[]"


def test_a_chart_is_still_drawn_on_demand() -> None:
    rows = [
        Completeness(unit_id=1, code="A", name="CĐCS <A>", expected=10, submitted=8, on_time=7),
    ]
    png = completeness_chart(rows, "Kỳ báo cáo tháng")
    assert png.startswith(b"\x89PNG")
