"""One update, one transaction: the duplicate check, the FSM read and write and the handler's writes
share it (the SQL FSM storage joins it; Redis keeps the state outside the database)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from bot.runner import Role as RunRole
from storage.db import Database
from tests.archive.factories import make_province
from tests.archive.helpers import buttons

MEMBER = 7004


async def test_each_update_opens_exactly_one_transaction(db: Database, harness_factory: Any) -> None:
    async with db.transaction() as s:
        await make_province(s)
    async with harness_factory("polling", roles=frozenset({RunRole.bot})) as h:
        begins: list[int] = []
        event.listen(h.loa.db.engine.sync_engine, "begin", lambda conn: begins.append(1))
        sb = h.client
        await sb.create_user(first_name="Minh", user_id=MEMBER)

        # a command that reads who the person is and sets the conversation state
        await sb.send_user_message(MEMBER, text="/kiennghi")
        ask = (await sb.wait_for_messages(MEMBER))[0]  # replies leave after the commit
        assert len(begins) == 1

        # a button press: reads and updates the state
        await sb.press_button(MEMBER, ask["message_id"], buttons(ask)["Tiền lương, chế độ chính sách"])
        await sb.wait_until(sb.get_callback_answers, lambda answers: len(answers) >= 1, what="the answer")
        assert len(begins) == 2

        # a typed answer in that state: reads the state, writes the next one
        await sb.send_user_message(MEMBER, text="Chưa được trả tiền làm thêm giờ tháng 10.")
        await sb.wait_for_messages(MEMBER, count=2)
        assert len(begins) == 3
