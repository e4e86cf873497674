"""The directory in the console: a spreadsheet with bad rows shows every row's error and writes nothing;
the fixed file imports; the tree, the new unit and the audit log show it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from directory.models import OrgUnit
from tests.console.world import build, sign_in

HEADER = "Mã đơn vị,Tên đơn vị,Mã đơn vị cấp trên,Loại,Khối,Số đoàn viên,Họ tên chủ tịch,Điện thoại\n"


async def unit_count(console: Any) -> int:
    async with console.loa.db.transaction() as s:
        return int(await s.scalar(select(func.count()).select_from(OrgUnit)) or 0)


async def test_import_dry_run_shows_bad_rows_then_the_fixed_file_imports(
    console: Any, new_page: Callable[..., Any], tmp_path: Path
) -> None:
    async with console.loa.db.transaction() as s:
        w = await build(s)
    parent = w.p.province.code
    bad = tmp_path / "don-vi-loi.csv"
    bad.write_text(
        HEADER
        + f"TAMKY,LĐLĐ thành phố Tam Kỳ,{parent},ldld huyen,,0,,\n"
        + "UBND-TK,CĐCS Cơ quan UBND Tam Kỳ,TAMKY,hợp tác xã,,85,,\n"  # row 3: unknown kind
        + "THPT-TK,CĐCS Trường THPT Trần Cao Vân,TAMKY,CĐCS,Khối trường học,mười,,\n",  # row 4: count
        encoding="utf-8",
    )
    good = tmp_path / "don-vi.csv"
    good.write_text(
        HEADER
        + f"TAMKY,LĐLĐ thành phố Tam Kỳ,{parent},ldld huyen,,0,,\n"
        + "UBND-TK,CĐCS Cơ quan UBND Tam Kỳ,TAMKY,CĐCS,co quan,85,Trần Văn Nam,\n"
        + "THPT-TK,CĐCS Trường THPT Trần Cao Vân,TAMKY,CĐCS,Khối trường học,1.234,,\n",
        encoding="utf-8",
    )
    before = await unit_count(console)

    page = await new_page(console.api_base)
    await sign_in(page, "quantri")
    await page.get_by_role("link", name="Đơn vị").click()
    await page.get_by_role("link", name="Nhập từ bảng tính").click()
    for button in ("Kiểm tra (chưa ghi)", "Nhập thật"):
        await page.get_by_label("Tệp XLSX hoặc CSV").set_input_files(str(bad))
        await page.get_by_role("button", name=button).click()
        errors = page.locator("#row-errors tbody tr")
        await errors.first.wait_for()
        rows = [await r.inner_text() for r in await errors.all()]
        assert [r.split("\t")[0] for r in rows] == ["3", "4"]
        assert "Loại" in rows[0] and "Số đoàn viên" in rows[1]
        await page.get_by_text("chưa nhập dòng nào").wait_for()
        assert await unit_count(console) == before

    await page.get_by_label("Tệp XLSX hoặc CSV").set_input_files(str(good))
    await page.get_by_role("button", name="Kiểm tra (chưa ghi)").click()
    await page.get_by_text("chưa ghi gì").wait_for()
    await page.get_by_text("Đơn vị mới: 3").wait_for()
    assert await unit_count(console) == before

    await page.get_by_label("Tệp XLSX hoặc CSV").set_input_files(str(good))
    await page.get_by_role("button", name="Nhập thật").click()
    await page.get_by_text("Đã nhập «don-vi.csv»").wait_for()
    assert await unit_count(console) == before + 3

    await page.goto("/console/units")
    await page.get_by_label("Tìm đơn vị").fill("Tam Kỳ")
    await page.get_by_role("link", name="LĐLĐ thành phố Tam Kỳ (TAMKY)").click()
    await page.get_by_role("heading", name="LĐLĐ thành phố Tam Kỳ").wait_for()
    await page.get_by_role("link", name="CĐCS Cơ quan UBND Tam Kỳ").click()
    await page.get_by_text("Trần Văn Nam").wait_for()
    await page.goto("/console/audit")
    assert await page.get_by_role("cell", name="unit.create").count() >= 3


async def test_invitations_single_and_a_printable_sheet_per_unit(
    console: Any, new_page: Callable[..., Any]
) -> None:
    async with console.loa.db.transaction() as s:
        w = await build(s)
    district = w.p.uppers[0]
    page = await new_page(console.api_base)
    await sign_in(page, "canbohuyen")
    await page.goto(f"/console/units?unit_id={district.id}")
    await page.get_by_role("link", name="Lời mời").click()
    await page.get_by_role("button", name="Tạo lời mời").first.click()
    card = page.get_by_role("figure")
    await card.first.wait_for()
    assert await card.count() == 1
    link = await card.get_by_role("link").inner_text()
    assert "/loa" in link or "?start=" in link

    await page.goto(f"/console/invitations?unit_id={district.id}")
    await page.get_by_role("button", name="Tạo lời mời").nth(1).click()
    await page.get_by_role("heading", name=f"Mã mời tham gia Loa — {district.name}").wait_for()
    images = page.get_by_role("img", name="Mã QR lời mời cho")
    assert await images.count() == 3  # one per CĐCS of the district
    await page.goto(f"/console/invitations?unit_id={district.id}")
    assert await page.get_by_role("button", name="Thu hồi lời mời").count() == 4

    foreign = await page.goto(f"/console/invitations?unit_id={w.p.uppers[1].id}")
    assert foreign.status == 403
