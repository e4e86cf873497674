"""Issue 11, finding 4: a small crafted XLSX must not stall the process; a corrupt one is a clear 4xx;
the permission is checked before the file is read."""

from __future__ import annotations

import asyncio
import io
import re
import time
import zipfile

from httpx import AsyncClient
from openpyxl import Workbook

from tests.security.conftest import World

IMPORT = "/api/v1/units/import"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def crafted_xlsx(*, far_row: int = 20_000, dimension: str = "A1:XFD20000") -> bytes:
    """The reproducing file: a declared dimension of 16384 columns, one cell far below."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.cell(row=far_row, column=1, value="x")
    raw = io.BytesIO()
    book.save(raw)
    src = zipfile.ZipFile(io.BytesIO(raw.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{dimension}"'.encode(), data)
            dst.writestr(info, data)
    return out.getvalue()


def _files(data: bytes) -> dict[str, tuple[str, bytes, str]]:
    return {"file": ("don-vi.xlsx", data, XLSX)}


async def test_the_crafted_file_is_small_and_declares_a_huge_dimension() -> None:
    data = crafted_xlsx()
    assert len(data) < 10_000
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert b'<dimension ref="A1:XFD20000"' in sheet


async def test_a_crafted_import_does_not_stall_other_requests(client: AsyncClient, world: World) -> None:
    # a far row near the row limit keeps the parser busy long enough for requests to overlap it
    data = crafted_xlsx(far_row=150_000, dimension="A1:XFD1048576")
    assert (await client.get("/healthz")).status_code == 200  # the app builds its middleware on first use
    started = time.perf_counter()
    task = asyncio.create_task(client.post(IMPORT, files=_files(data), headers=world.headers["admin"]))
    latencies: list[float] = []
    overlapped = 0
    while not task.done() and time.perf_counter() - started < 60:
        t0 = time.perf_counter()
        assert (await client.get("/healthz")).status_code == 200
        latencies.append(time.perf_counter() - t0)
        overlapped += not task.done()
    answer = await task
    assert answer.status_code == 422, answer.text  # no header row: a clear Vietnamese refusal
    assert overlapped >= 1, "the import finished before any other request could run"
    assert max(latencies) < 1.0, latencies


async def test_the_issue_file_is_refused_quickly(client: AsyncClient, world: World) -> None:
    t0 = time.perf_counter()
    answer = await client.post(IMPORT, files=_files(crafted_xlsx()), headers=world.headers["admin"])
    assert answer.status_code == 422
    assert time.perf_counter() - t0 < 5


async def test_a_truncated_sheet_is_a_clear_4xx(client: AsyncClient, world: World) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for r in range(1, 200):
        sheet.append(["Mã đơn vị", "Tên đơn vị", "Mã đơn vị cấp trên", "Loại", f"dòng {r}"])
    raw = io.BytesIO()
    book.save(raw)
    src = zipfile.ZipFile(io.BytesIO(raw.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]  # a valid zip whose sheet stops mid-row
            dst.writestr(info, data)
    answer = await client.post(IMPORT, files=_files(out.getvalue()), headers=world.headers["admin"])
    assert answer.status_code == 422, answer.text
    body = answer.json()["error"]
    assert body["code"] == "unreadable_file" and "hỏng" in body["message"]
    garbage = await client.post(IMPORT, files=_files(b"PK\x03\x04garbage"), headers=world.headers["admin"])
    assert garbage.status_code == 422


async def test_permission_is_checked_before_the_file_is_read(client: AsyncClient, world: World) -> None:
    t0 = time.perf_counter()
    answer = await client.post(IMPORT, files=_files(crafted_xlsx()), headers=world.headers["officer"])
    assert answer.status_code == 403
    assert time.perf_counter() - t0 < 2
    anonymous = await client.post(IMPORT, files=_files(b"PK"))
    assert anonymous.status_code == 401
