"""Completeness and timeliness per child unit as a PNG bar chart (matplotlib, Agg backend: no display).

matplotlib is imported when the first chart is drawn, not when the bot or the API starts: it costs
about a second and tens of MB that most processes never need.
"""

from __future__ import annotations

import io
import textwrap

from reports.rollup import Completeness

MAX_UNITS = 40


def completeness_chart(rows: list[Completeness], title: str) -> bytes:
    """Horizontal bars, two per unit: % submitted and % on time; at most MAX_UNITS units, lowest first."""
    from matplotlib.figure import Figure  # a Figure draws with Agg by itself: no pyplot, no display

    shown = sorted(rows, key=lambda r: (r.completeness, r.timeliness))[:MAX_UNITS]
    shown.reverse()
    names = [textwrap.shorten(r.name, 38, placeholder="…") for r in shown] or ["(không có đơn vị)"]
    height = max(2.5, 0.45 * len(names) + 1.5)
    fig = Figure(figsize=(9, height), dpi=100)
    ax = fig.subplots()
    positions = list(range(len(shown)))
    ax.barh(
        [p + 0.2 for p in positions],
        [100 * r.completeness for r in shown],
        height=0.4,
        label="Đã nộp (%)",
        color="#4472C4",
    )
    ax.barh(
        [p - 0.2 for p in positions],
        [100 * r.timeliness for r in shown],
        height=0.4,
        label="Đúng hạn (%)",
        color="#70AD47",
    )
    ax.set_yticks(positions or [0], names)
    ax.set_xlim(0, 100)
    ax.set_xlabel("%")
    ax.set_title(textwrap.shorten(title, 90, placeholder="…"))
    ax.legend(loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
