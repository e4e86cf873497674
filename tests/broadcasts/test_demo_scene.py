from __future__ import annotations

from typing import Any

from bot.runner import Role as RunRole
from demo.broadcast_scene import play_broadcast_scene
from demo.province import build_demo_province
from storage.db import Database


async def test_demo_scene_delivers_the_directive_and_shows_acks_per_upper_union(
    db: Database, harness_factory: Any
) -> None:
    async with db.transaction() as s:
        province = await build_demo_province(s, seed=11)
    async with harness_factory("polling", roles=frozenset({RunRole.bot, RunRole.worker})) as h:
        lines = await play_broadcast_scene(sandbox=h.client, db=db, province=province, uppers=2, timeout=30)
    text = "\n".join(lines)
    assert "cần lãnh đạo duyệt" in text and "trạng thái «done»" in text, text
    assert "07:00 Thứ Hai hằng tuần" in text, text
    per_unit = [line for line in lines if line.startswith("  ")]
    assert len(per_unit) == 2, text
    assert sum(int(line.split("đã nhận ")[1].split(",")[0]) for line in per_unit) >= 1, text
    assert any("lỗi 1" in line for line in per_unit), text  # the group that removed the bot
