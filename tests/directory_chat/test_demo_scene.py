from __future__ import annotations

from typing import Any

from sqlalchemy import select

from demo.directory_scene import play_directory_scene
from demo.province import build_demo_province
from directory.models import Chat, Person
from storage.db import Database


async def test_demo_scene_registers_people_and_binds_a_group(db: Database, harness_factory: Any) -> None:
    async with db.transaction() as s:
        province = await build_demo_province(s, seed=11)
    async with harness_factory("polling") as h:
        lines = await play_directory_scene(sandbox=h.client, db=db, province=province, leaders=2)
    text = "\n".join(lines)
    assert text.count("Đăng ký thành công") == 3, text
    assert "đã được liên kết" in text and "CĐCS:" in text, text
    async with db.transaction() as s:
        cluster = province.upper_unions[0]
        chat = await s.scalar(select(Chat).where(Chat.kind == "group"))
        assert (
            chat is not None and chat.unit_id == cluster.id and chat.block == "truong_hoc" and chat.is_active
        )
        officer = await s.get(Person, province.officers[cluster.id][0].id)
        assert officer is not None and officer.telegram_user_id is not None  # the existing record, not a copy
        on_telegram = await s.scalar(
            select(Person.id).where(Person.telegram_user_id.is_not(None)).limit(5).offset(3)
        )
        assert on_telegram is None  # exactly three people: no duplicates were created
