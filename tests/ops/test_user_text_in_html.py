"""Loa sends HTML; whatever a person typed (a name, a title, a figure) must reach Telegram escaped,
or Telegram (and the strict sandbox) answers 400 "can't parse entities" and the message is lost."""

from __future__ import annotations

from typing import Any


async def test_a_name_with_angle_brackets_still_gets_its_welcome(harness_factory: Any) -> None:
    async with harness_factory("polling") as h:
        sb = h.client
        user = await sb.create_user(first_name="Minh <3", last_name="A&B <b>")
        await sb.send_user_message(user["id"], text="/start")
        welcome = await sb.wait_for_messages(user["id"], count=2)  # greeting, then how to register
        assert "Minh <3 A&B <b>" in welcome[0]["text"]
        stats = await sb.get_stats()
        assert stats["client_errors"] == 0
