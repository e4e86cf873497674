"""A scriptable in-memory Transport: what was sent where, and failures to play back per chat."""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict
from dataclasses import dataclass, field

from broadcasts.content import Markup, Part
from outbox.transport import Permanent


@dataclass
class FakeTransport:
    latency: float = 0.0
    failures: dict[int, list[Exception]] = field(default_factory=dict)
    sent: dict[int, list[Part]] = field(default_factory=lambda: defaultdict(list))
    edits: list[tuple[int, int, str]] = field(default_factory=list)
    markups: list[tuple[int, int, Markup | None]] = field(default_factory=list)
    deleted: list[tuple[int, int]] = field(default_factory=list)
    undeletable: set[int] = field(default_factory=set)
    paid_calls: int = 0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def _fail(self, chat_id: int) -> None:
        queue = self.failures.get(chat_id)
        if queue:
            exc = queue[0] if len(queue) == 1 and getattr(queue, "forever", False) else queue.pop(0)
            raise exc

    async def send(self, chat_id: int, part: Part, *, paid: bool = False) -> int:
        if self.latency:
            await asyncio.sleep(self.latency)
        self._fail(chat_id)
        self.paid_calls += int(paid)
        self.sent[chat_id].append(part)
        return next(self._ids)

    async def edit(self, chat_id: int, message_id: int, part: Part) -> None:
        self._fail(chat_id)
        self.edits.append((chat_id, message_id, part.html))

    async def edit_markup(self, chat_id: int, message_id: int, markup: Markup | None) -> None:
        self.markups.append((chat_id, message_id, markup))

    async def delete(self, chat_id: int, message_id: int) -> None:
        if message_id in self.undeletable:
            raise Permanent("message can't be deleted")
        self._fail(chat_id)
        self.deleted.append((chat_id, message_id))

    def count(self) -> int:
        return sum(len(v) for v in self.sent.values())


class Forever(list[Exception]):
    """A failure list that never runs out."""

    forever = True
