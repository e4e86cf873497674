"""A petition answered by typing where buttons are offered: labels without diacritics are accepted, and
anything else gets the question again with its buttons and a hint."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from archive.tables import Petition
from handlers.petitions import PetitionForm
from storage.db import Database
from tests.archive.factories import make_province
from tests.archive.helpers import buttons, wait_state


async def test_typed_category_and_anonymity(db: Database, harness_factory: Any) -> None:
    async with db.transaction() as s:
        await make_province(s)
    member = 7004
    async with harness_factory("polling") as h:
        sb = h.client
        await sb.create_user(first_name="Minh", user_id=member)
        await sb.send_user_message(member, text="/kiennghi")
        await sb.wait_for_messages(member, count=1)
        await wait_state(h, member, PetitionForm.category)
        await sb.send_user_message(member, text="luong thuong")
        again = (await sb.wait_for_messages(member, count=2))[1]
        assert "Xin chọn lĩnh vực" in again["text"] and "ví dụ «tien luong»" in again["text"]
        assert "Tiền lương, chế độ chính sách" in buttons(again)
        await sb.send_user_message(member, text="tien luong")
        content = (await sb.wait_for_messages(member, count=3))[2]
        assert "Lĩnh vực: Tiền lương, chế độ chính sách" in content["text"]
        await wait_state(h, member, PetitionForm.content)
        await sb.send_user_message(member, text="Chưa được trả tiền làm thêm giờ tháng 10.")
        await sb.wait_for_messages(member, count=4)
        await wait_state(h, member, PetitionForm.anonymity)
        await sb.send_user_message(member, text="khong biet")
        anon = (await sb.wait_for_messages(member, count=5))[4]
        assert "ẩn danh" in anon["text"] and "ví dụ «an danh»" in anon["text"] and len(buttons(anon)) == 2
        await sb.send_user_message(member, text="an danh")
        sent = (await sb.wait_for_messages(member, count=6))[5]
        assert re.search(r"Đã gửi kiến nghị số KN-\d{4}-\d{6}", sent["text"])
    async with db.sessions() as s:
        [petition] = list(await s.scalars(select(Petition)))
        assert petition.anonymous is True and petition.category == "tien_luong"
