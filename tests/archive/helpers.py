from __future__ import annotations

from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import StorageKey


def buttons(message: dict[str, Any]) -> dict[str, str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return {b["text"]: b.get("callback_data", "") for row in rows for b in row}


def button_starting(message: dict[str, Any], prefix: str) -> str:
    for text, data in buttons(message).items():
        if text.startswith(prefix):
            return data
    raise AssertionError(f"no button starting with {prefix!r} in {list(buttons(message))}")


async def wait_state(harness: Any, user_id: int, state: State | None) -> None:
    """Wait until the bot has committed a person's conversation state (the handler's transaction ends
    just after its last message is sent, so the next message must not race it)."""
    loa = harness.loa
    key = StorageKey(bot_id=loa.bot.id, chat_id=user_id, user_id=user_id)
    want = state.state if state is not None else None

    async def current() -> str | None:
        value = await loa.dispatcher.storage.get_state(key)
        return str(value) if value is not None else None

    await harness.client.wait_until(current, lambda s: s == want, what=f"state {want}")
