"""The real bot, driven through the sandbox over HTTP, in polling and webhook mode."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select

from api.webhook import SECRET_HEADER
from storage.runtime_models import ProcessedUpdate


def texts(messages: list[dict[str, Any]]) -> list[str]:
    return [m.get("text") or m.get("caption") or "" for m in messages]


async def test_start_welcomes_in_vietnamese_with_menu(running_bot: Any) -> None:
    sb = running_bot.client
    user = await sb.create_user(first_name="Lan", last_name="Nguyễn")
    await sb.send_user_message(user["id"], text="/start")
    msgs = await sb.wait_for_messages(user["id"], count=2)
    assert "Xin chào" in msgs[0]["text"] and "Loa" in msgs[0]["text"]
    assert msgs[0]["reply_markup"]["keyboard"], "the reply-keyboard menu comes with the welcome"
    assert "đường dẫn mời" in msgs[1]["text"], "an unregistered person is told how to get an invitation"


async def test_help_unknown_command_and_free_text_never_go_unanswered(running_bot: Any) -> None:
    sb = running_bot.client
    user = await sb.create_user(first_name="Minh")
    await sb.send_user_message(user["id"], text="/help")
    await sb.wait_for_messages(user["id"], count=1)
    await sb.send_user_message(user["id"], text="/khongco")
    await sb.wait_for_messages(user["id"], count=2)
    await sb.send_user_message(user["id"], text="cho hỏi lịch họp")
    got = texts(await sb.wait_for_messages(user["id"], count=3))
    assert "Hướng dẫn" in got[0]
    assert "/khongco" in got[1] and "/help" in got[1]
    assert "chưa hiểu" in got[2]


async def test_bot_added_to_group_says_hello(running_bot: Any) -> None:
    sb = running_bot.client
    officer = await sb.create_user(first_name="Hùng")
    group = await sb.create_group(title="CĐCS khối trường học", member_ids=[officer["id"]], bot_status="left")
    await sb.add_bot(group["id"], by_user_id=officer["id"])
    msgs = await sb.wait_for_messages(group["id"], count=1)
    assert "Xin chào cả nhóm" in msgs[0]["text"]


async def test_redelivered_update_is_handled_once(running_bot: Any) -> None:
    sb = running_bot.client
    user = await sb.create_user(first_name="Hoa")
    sent = await sb.send_user_message(user["id"], text="/help")
    await sb.wait_for_messages(user["id"], count=1)
    await sb.redeliver_update(sent["update_id"])
    registry = running_bot.loa.metrics.registry

    async def skipped() -> float | None:
        return registry.get_sample_value("loa_updates_duplicate_total")

    await sb.wait_until(skipped, lambda n: n == 1, what="the re-delivery to be skipped")
    msgs = await sb.get_messages(user["id"])
    assert len(msgs) == 1, "the re-delivered /help was not answered again"
    async with running_bot.loa.db.sessions() as session:
        seen = await session.scalar(select(func.count()).select_from(ProcessedUpdate))
    assert seen == 1


async def test_webhook_with_wrong_or_missing_secret_is_rejected_and_changes_nothing(
    harness_factory: Any,
) -> None:
    async with harness_factory("webhook") as h:
        user = await h.client.create_user(first_name="Tú")
        update = {
            "update_id": 999_001,
            "message": {
                "message_id": 1,
                "date": 1_760_000_000,
                "text": "/help",
                "chat": {"id": user["id"], "type": "private", "first_name": "Tú"},
                "from": {"id": user["id"], "is_bot": False, "first_name": "Tú"},
            },
        }
        url = h.api_base + h.loa.settings.webhook_path
        async with httpx.AsyncClient() as http:
            wrong = await http.post(url, json=update, headers={SECRET_HEADER: "not-the-secret"})
            missing = await http.post(url, json=update)
            right = await http.post(url, json=update, headers={SECRET_HEADER: h.loa.webhook_secret})
        assert (wrong.status_code, missing.status_code) == (403, 403)
        assert wrong.json()["error"]["code"] == "bad_secret"
        assert right.status_code == 200
        msgs = await h.client.wait_for_messages(user["id"], count=1)
        assert len(msgs) == 1, "only the call with the right secret was processed"
        async def processed() -> list[int]:
            async with h.loa.db.sessions() as session:
                return list(await session.scalars(select(ProcessedUpdate.update_id)))

        # the reply can reach the sandbox a moment before the update's transaction commits
        assert await h.client.wait_until(processed, lambda ids: bool(ids)) == [999_001]
        async with httpx.AsyncClient() as http:
            metrics = (await http.get(h.api_base + "/metrics")).text
        assert "loa_webhook_rejected_total 2.0" in metrics


async def test_conversation_survives_a_bot_restart(harness_factory: Any) -> None:
    """A state set before a restart is still there after it, whichever FSM storage is configured."""
    from aiogram.fsm.storage.base import StorageKey

    async with harness_factory("polling") as h:
        user = await h.client.create_user(first_name="Quân")
        key = StorageKey(bot_id=h.loa.bot.id, chat_id=user["id"], user_id=user["id"])
        await h.loa.dispatcher.storage.set_state(key, "ReportForm:field_2")
        await h.loa.dispatcher.storage.set_data(key, {"kn": 12})
        await h.restart()
        await h.client.send_user_message(user["id"], text="/huy")
        msgs = await h.client.wait_for_messages(user["id"], count=1)
        assert "Đã huỷ thao tác" in msgs[0]["text"]
        await h.client.wait_until(
            lambda: h.loa.dispatcher.storage.get_state(key), lambda state: state is None, what="state cleared"
        )
