"""ZaloTransport against the Zalo sandbox over HTTP: parts, choices, Zalo errors as the engine's outcomes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from messengers.zalo.api import ZaloApi
from messengers.zalo.choices import ChoiceStore
from messengers.zalo.transport import ZaloTransport
from outbox.parts import Button, Part, PartKind
from outbox.transport import Blocked, Permanent, RetryAfter, Transient
from sandbox.zalo.client import ZaloSandboxClient
from sandbox.zalo.server import ZaloSandboxServer
from sandbox.zalo.state import ZaloLimits
from storage.db import Database


@pytest.fixture
async def world(db: Database) -> AsyncIterator[tuple[ZaloTransport, ZaloSandboxClient, dict[int, str]]]:
    async with ZaloSandboxServer(limits=ZaloLimits(enabled=False)) as sb:
        book: dict[int, str] = {}

        async def address(chat_id: int) -> str | None:
            return book.get(chat_id)

        transport = ZaloTransport(
            api=ZaloApi(token="8800001:t", base=sb.base_url),
            choices=ChoiceStore(db, None),
            address_of=address,
        )
        async with ZaloSandboxClient(sb.base_url) as zc:
            yield transport, zc, book
        await transport.close()


async def test_parts_choices_and_errors(
    world: tuple[ZaloTransport, ZaloSandboxClient, dict[int, str]],
) -> None:
    transport, zc, book = world
    lan = await zc.create_user("Lan")
    book[9 * 10**15 + 1] = lan["id"]
    chat = 9 * 10**15 + 1
    ack = ((Button("✅ Đã nhận", callback_data="bc:ack:7"),),)
    await transport.send(chat, Part(PartKind.text, "<b>Kế hoạch</b> " + "Một câu ngắn. " * 200, markup=ack))
    sent = await zc.get_messages(lan["id"])
    assert len(sent) == 2 and all(len(m["text"]) <= 2000 for m in sent)
    assert sent[-1]["text"].endswith("Gõ 1 để chọn «✅ Đã nhận».") and "<b>" not in sent[0]["text"]
    assert (await transport.choices.load(chat)).choices[0]["data"] == "bc:ack:7"  # type: ignore[union-attr]

    await transport.send(chat, Part(PartKind.photo, "Ảnh hội nghị", media="https://x.vn/a.jpg"))
    assert (await zc.get_messages(lan["id"]))[-1]["photo"] == "https://x.vn/a.jpg"

    await zc.add_fault(status=502, method="sendMessage")
    with pytest.raises(Transient):
        await transport.send(chat, Part(PartKind.text, "x"))
    await zc.add_fault(status=429, method="sendMessage")
    with pytest.raises(RetryAfter):
        await transport.send(chat, Part(PartKind.text, "x"))
    with pytest.raises(Permanent):
        await transport.send(-(9 * 10**15 + 5), Part(PartKind.text, "x"))  # no Zalo address known
    with pytest.raises(Permanent):
        await transport.delete(chat, 1)  # Zalo cannot delete: reported, not pretended
    await zc.block_user(lan["id"])
    with pytest.raises(Blocked):
        await transport.send(chat, Part(PartKind.text, "x"))
