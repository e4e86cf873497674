"""Documents in the console: publish within one's subtree, attach a file, edit (search follows)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from archive.models import Document
from archive.tables import DocumentFile
from tests.console.world import build, sign_in


async def test_publish_attach_edit_and_find(
    console: Any, new_page: Callable[..., Any], tmp_path: Path
) -> None:
    async with console.loa.db.transaction() as s:
        w = await build(s)
    pdf = tmp_path / "ke-hoach.pdf"
    pdf.write_bytes(b"%PDF-1.4\n% Loa\n")
    page = await new_page(console.api_base)
    await sign_in(page, "canbohuyen")
    await page.get_by_role("link", name="Văn bản").click()
    await page.get_by_label("Loại văn bản").select_option("Kế hoạch")
    await page.get_by_label("Số và ký hiệu").fill("31/KH-LĐLĐ")
    await page.get_by_label("Cơ quan ban hành").fill("LĐLĐ huyện")
    await page.get_by_label("Trích yếu").fill("Tổ chức Tháng Công nhân năm 2026")
    await page.get_by_label("Hiển thị cho").select_option(str(w.p.uppers[0].id))
    await page.get_by_role("button", name="Đăng văn bản").click()
    await page.get_by_text("Đã lưu văn bản.").wait_for()

    await page.get_by_label("Đính kèm tệp").set_input_files(str(pdf))
    await page.get_by_role("button", name="Đính kèm", exact=True).click()
    await page.get_by_role("link", name="ke-hoach.pdf").wait_for()

    await page.get_by_label("Trích yếu").fill("Tổ chức Tháng hành động an toàn")
    await page.get_by_role("button", name="Lưu", exact=True).click()
    await page.get_by_text("Tổ chức Tháng hành động an toàn").first.wait_for()

    await page.goto("/console/archive?q=hanh+dong+an+toan")
    await page.get_by_role("link", name="Kế hoạch 31/KH-LĐLĐ").wait_for()
    await page.goto("/console/archive?q=thang+cong+nhan")
    await page.get_by_text("Không tìm thấy văn bản nào.").wait_for()
    async with console.loa.db.transaction() as s:  # what the pages showed is what was stored
        doc = await s.scalar(select(Document).where(Document.subject == "Tổ chức Tháng hành động an toàn"))
        assert doc is not None
        files = list(await s.scalars(select(DocumentFile).where(DocumentFile.document_id == doc.id)))
    assert [f.filename for f in files] == ["ke-hoach.pdf"] and files[0].data == pdf.read_bytes()
