"""The XLSX report printed as an office would print it: LibreOffice (headless, from the distribution's
packages) turns a report of 90 grassroots unions into a PDF. Landscape, one page wide: every column fits
across, so the page count follows the rows alone. Skipped where LibreOffice is not installed."""

from __future__ import annotations

import asyncio
import io
import re
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from directory.models import OrgUnit, UnitKind
from reports.exports import export_xlsx
from reports.services import submit
from storage.db import Database
from tests.factories import make_unit
from tests.reports.factories import NOW, round_for, template, tree

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
UNITS = 90
ROWS_PER_LANDSCAPE_PAGE = 20  # a generous lower bound for wrapped two-line names


def page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    """(width, height) of each page, read from the PDF's page objects."""
    pages = re.findall(
        rb"/Type\s*/Page[^s].*?/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", pdf, re.S
    )
    return [(float(x2) - float(x1), float(y2) - float(y1)) for x1, y1, x2, y2 in pages]


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")
async def test_the_report_prints_one_page_wide_in_landscape(db: Database, tmp_path: Path) -> None:
    async with db.transaction() as session:
        t = await tree(session)
        for i in range(UNITS):
            await make_unit(
                session,
                f"DN{i:03d}",
                f"Công đoàn cơ sở Công ty TNHH Sản xuất và Thương mại Điện tử Quảng Nam số {i:03d}",
                parent=t.s1,
                kind=UnitKind.grassroots_union,
                block="doanh_nghiep",
            )
        r = await round_for(session, t, await template(session))
        units = list(await session.scalars(select(OrgUnit).where(OrgUnit.code.like("DN%"))))
        for u in units[::2]:
            raw = {"tt": "1200", "kn": "12", "ntg": "300", "tl": "45,5", "hd": "có"}
            await submit(session=session, round_id=r.id, unit_id=u.id, raw=raw, now=NOW)
        content = await export_xlsx(session=session, round_=r, root=t.p)
        small = await export_xlsx(session=session, round_=r, root=t.d1)
    full_pages = await print_summary(content, tmp_path / "full")
    small_pages = await print_summary(small, tmp_path / "small")
    assert all(w > h for w, h in full_pages + small_pages)  # landscape
    # every column fits across the page: a short table is one page, not one page per slice of columns
    assert len(small_pages) == 1
    # and the full summary takes only the pages its rows need (the demo printed 15 portrait pages)
    assert len(full_pages) <= (UNITS + 9) // ROWS_PER_LANDSCAPE_PAGE + 1, len(full_pages)


async def print_summary(content: bytes, folder: Path) -> list[tuple[float, float]]:
    """The «Tổng hợp» sheet alone, printed to PDF by LibreOffice; the sizes of its pages."""
    folder.mkdir()
    workbook = load_workbook(io.BytesIO(content))
    del workbook["Chưa nộp"]
    source = folder / "bao-cao.xlsx"
    workbook.save(source)
    process = await asyncio.create_subprocess_exec(
        str(SOFFICE),
        f"-env:UserInstallation=file://{folder / 'profile'}",
        "--headless",
        "--convert-to",
        "pdf",
        "--outdir",
        str(folder),
        str(source),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert await asyncio.wait_for(process.wait(), timeout=180) == 0
    return page_sizes((folder / "bao-cao.pdf").read_bytes())
