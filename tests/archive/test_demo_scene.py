"""The archive demo scene plays end to end against the running bot and tells its story in Vietnamese."""

from __future__ import annotations

from typing import Any

from demo.archive_scene import play_archive_scene
from demo.province import build_demo_province
from storage.db import Database


async def test_demo_scene(db: Database, harness_factory: Any) -> None:
    async with db.transaction() as s:
        province = await build_demo_province(s, members_per_unit=1)
    async with harness_factory("polling") as h:
        lines = await play_archive_scene(sandbox=h.client, loa=h.loa, province=province)
    text = "\n".join(lines)
    print(text)  # the story, for -s
    assert "nhập 4 văn bản mẫu" in lines[0]
    assert "«/vanban chi thi 07» → 1. Chỉ thị 07-CT/TW" in text
    assert "«/vanban 178» → 1. Báo cáo 178/BC-LĐLĐ" in text
    assert "kèm tệp" in text and "KN-" in text and "chuyển lên" in text
    assert "trả trước ngày 15" in lines[-1]
