"""Counts for officers: by outcome, by unit (rolled up to the children of the audience roots),
acknowledgments; and per-recipient rows with filters."""

from __future__ import annotations

import html
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from broadcasts import service
from broadcasts.audience import AudienceSpec
from broadcasts.models import Acknowledgment, Broadcast
from directory.models import Chat, OrgUnit
from directory.tree import is_within
from outbox.models import OutboxMessage, Outcome

OUTCOME_LABELS = {
    Outcome.sent: "đã gửi",
    Outcome.failed: "lỗi",
    Outcome.blocked: "bị chặn",
    Outcome.pending: "chờ gửi",
    Outcome.sending: "đang gửi",
    Outcome.retrying: "chờ gửi lại",
    Outcome.cancelled: "đã huỷ",
    Outcome.recalled: "đã thu hồi",
}


@dataclass
class UnitStats:
    unit_id: int
    name: str
    by_outcome: dict[str, int] = field(default_factory=dict)
    acknowledged: int = 0  # chats in which someone pressed "Đã nhận"

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit_id": self.unit_id,
            "name": self.name,
            "by_outcome": self.by_outcome,
            "acknowledged": self.acknowledged,
        }


@dataclass
class Stats:
    broadcast_id: int
    status: str
    total: int
    skipped_inactive: int
    by_outcome: dict[str, int]
    by_unit: list[UnitStats]
    ack_chats: int
    ack_presses: int

    @property
    def done_count(self) -> int:
        return sum(n for k, n in self.by_outcome.items() if k not in ("pending", "sending", "retrying"))

    def as_dict(self) -> dict[str, Any]:
        return {
            "broadcast_id": self.broadcast_id,
            "status": self.status,
            "total": self.total,
            "skipped_inactive": self.skipped_inactive,
            "by_outcome": self.by_outcome,
            "by_unit": [u.as_dict() for u in self.by_unit],
            "acks": {"chats": self.ack_chats, "presses": self.ack_presses},
        }


async def by_outcome(session: AsyncSession, *, broadcast_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.broadcast_id == broadcast_id)
        .group_by(OutboxMessage.status)
    )
    return {status: int(n) for status, n in rows.tuples()}


async def stats(session: AsyncSession, *, broadcast_id: int, with_units: bool = True) -> Stats:
    b = await service.get(session, broadcast_id)
    outcomes = await by_outcome(session, broadcast_id=b.id)
    presses = await session.scalar(select(func.count()).where(Acknowledgment.broadcast_id == b.id)) or 0
    ack_chats = await session.scalar(
        select(func.count(distinct(Acknowledgment.chat_id))).where(Acknowledgment.broadcast_id == b.id)
    )
    units = await _by_unit(session, b) if with_units else []
    return Stats(
        b.id, b.status, b.total, b.skipped_inactive, outcomes, units, int(ack_chats or 0), int(presses)
    )


async def _by_unit(session: AsyncSession, b: Broadcast) -> list[UnitStats]:
    roots = list(
        await session.scalars(select(OrgUnit).where(OrgUnit.id.in_(AudienceSpec.from_dict(b.audience).roots)))
    )
    acked = select(Acknowledgment.chat_id).where(Acknowledgment.broadcast_id == b.id).distinct().subquery()
    rows = await session.execute(
        select(OrgUnit.path, OutboxMessage.status, func.count(), func.count(acked.c.chat_id))
        .join(OrgUnit, OrgUnit.id == OutboxMessage.unit_id)
        .outerjoin(acked, acked.c.chat_id == OutboxMessage.chat_id)
        .where(OutboxMessage.broadcast_id == b.id)
        .group_by(OrgUnit.path, OutboxMessage.status)
    )
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    acks: Counter[int] = Counter()
    for path, status, n, n_acked in rows.tuples():
        root = max((r for r in roots if is_within(path, r.path)), key=lambda r: len(r.path), default=None)
        if root is None:
            continue
        rest = path[len(root.path) :].strip("/").split("/")
        uid = int(rest[0]) if rest and rest[0] else root.id
        counts[uid][status] += int(n)
        acks[uid] += int(n_acked)
    name_rows = await session.execute(select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_(list(counts))))
    names = {uid: name for uid, name in name_rows.tuples()}
    return sorted(
        (UnitStats(uid, names.get(uid, str(uid)), dict(c), acks[uid]) for uid, c in counts.items()),
        key=lambda u: u.name,
    )


def recipients_query(
    broadcast_id: int, *, status: str | None = None, unit_id: int | None = None, chat_kind: str | None = None
) -> Select[Any]:
    q = (
        select(OutboxMessage, Chat.title, OrgUnit.name)
        .join(Chat, Chat.id == OutboxMessage.chat_id)
        .outerjoin(OrgUnit, OrgUnit.id == OutboxMessage.unit_id)
        .where(OutboxMessage.broadcast_id == broadcast_id)
        .order_by(OutboxMessage.id)
    )
    if status:
        q = q.where(OutboxMessage.status == status)
    if unit_id is not None:
        q = q.where(OutboxMessage.unit_id == unit_id)
    if chat_kind:
        q = q.where(OutboxMessage.chat_kind == chat_kind)
    return q


def progress_text(title: str, st: Stats) -> str:
    done = st.done_count
    pct = 100 * done // st.total if st.total else 100
    sent = st.by_outcome.get("sent", 0)
    failed = st.by_outcome.get("failed", 0) + st.by_outcome.get("blocked", 0)
    return f"📤 Đang gửi «{html.escape(title)}»\nĐã gửi: <b>{sent}/{st.total}</b> ({pct}%)\nLỗi: {failed}"


def summary_text(title: str, st: Stats) -> str:
    lines = [
        f"✅ Đã gửi xong «{html.escape(title)}»"
        if st.status == "done"
        else f"⏹ Kết thúc «{html.escape(title)}» ({st.status})"
    ]
    lines.append(
        f"Tổng: {st.total} nơi nhận"
        + (f", bỏ qua {st.skipped_inactive} không hoạt động" if st.skipped_inactive else "")
    )
    for status, n in sorted(st.by_outcome.items(), key=lambda kv: -kv[1]):
        lines.append(f"• {OUTCOME_LABELS.get(Outcome(status), status)}: {n}")
    if st.ack_chats or st.ack_presses:
        lines.append(f"Đã nhận: {st.ack_chats} nơi")
    if st.by_unit:
        lines.append("\n<b>Theo đơn vị</b>")
        for u in st.by_unit[:40]:
            sent = u.by_outcome.get("sent", 0)
            bad = u.by_outcome.get("failed", 0) + u.by_outcome.get("blocked", 0)
            ack = f", đã nhận {u.acknowledged}" if u.acknowledged else ""
            lines.append(f"• {html.escape(u.name)}: gửi {sent}, lỗi {bad}{ack}")
    return "\n".join(lines)
