"""News for members (/tinmoi) and their subscriptions to the optional categories.

A broadcast's category is `content["category"]` when its author set one (`campaign`, `event`,
`directive`); otherwise a broadcast tied to a document or asking for "Đã nhận" is a directive and
anything else is campaign news. Directives can never be switched off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from html import unescape

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from archive.models import Document
from archive.search import ancestors_of
from archive.tables import NewsSubscription
from broadcasts.models import Broadcast, Status
from common.errors import DomainError
from directory.models import Chat, OrgUnit, RoleAssignment
from outbox.models import OutboxMessage
from storage.base import utcnow


class NewsCategory(StrEnum):
    directive = "directive"
    campaign = "campaign"
    event = "event"


CATEGORY_LABELS: dict[NewsCategory, str] = {
    NewsCategory.directive: "Văn bản chỉ đạo",
    NewsCategory.campaign: "Tin chiến dịch, tuyên truyền",
    NewsCategory.event: "Sự kiện, hoạt động",
}
OPTIONAL: tuple[NewsCategory, ...] = (NewsCategory.campaign, NewsCategory.event)
_TAGS = re.compile(r"<[^>]+>")


class SubscriptionError(DomainError, ValueError):
    status = 409
    code = "mandatory_category"


async def allows(session: AsyncSession, *, person_id: int, category: str) -> bool:
    """May a broadcast of this category go to this person's private chat? Directives always may."""
    if category not in OPTIONAL:
        return True
    enabled = await session.scalar(
        select(NewsSubscription.enabled).where(
            NewsSubscription.person_id == person_id, NewsSubscription.category == category
        )
    )
    return enabled is None or bool(enabled)


async def subscriptions(session: AsyncSession, *, person_id: int) -> dict[NewsCategory, bool]:
    rows = await session.execute(
        select(NewsSubscription.category, NewsSubscription.enabled).where(
            NewsSubscription.person_id == person_id
        )
    )
    chosen = dict(rows.tuples().all())
    return {c: (c not in OPTIONAL) or bool(chosen.get(c.value, True)) for c in NewsCategory}


async def set_subscription(session: AsyncSession, *, person_id: int, category: str, enabled: bool) -> None:
    if category not in OPTIONAL:
        raise SubscriptionError("Văn bản chỉ đạo là bắt buộc, không thể tắt.")
    row = await session.scalar(
        select(NewsSubscription).where(
            NewsSubscription.person_id == person_id, NewsSubscription.category == category
        )
    )
    if row is None:
        session.add(NewsSubscription(person_id=person_id, category=category, enabled=enabled))
    else:
        row.enabled, row.updated_at = enabled, utcnow()
    await session.flush()


def category_of(broadcast: Broadcast) -> NewsCategory:
    chosen = (broadcast.content or {}).get("category")
    if isinstance(chosen, str) and chosen in NewsCategory._value2member_map_:
        return NewsCategory(chosen)
    if broadcast.document_id is not None or broadcast.require_ack:
        return NewsCategory.directive
    return NewsCategory.campaign


async def drop_opted_out(session: AsyncSession, *, broadcast: Broadcast) -> int:
    """Remove the pending private deliveries of members who switched this broadcast's optional
    category off; directives are never dropped. Returns how many were removed."""
    category = category_of(broadcast)
    if category not in OPTIONAL:
        return 0
    opted_out = (
        select(Chat.id)
        .join(NewsSubscription, NewsSubscription.person_id == Chat.person_id)
        .where(NewsSubscription.category == category.value, NewsSubscription.enabled.is_(False))
    )
    result = await session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.broadcast_id == broadcast.id,
            OutboxMessage.chat_kind == "private",
            OutboxMessage.chat_id.in_(opted_out),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class NewsItem:
    broadcast_id: int
    category: NewsCategory
    title: str
    text: str
    at: datetime
    document_label: str | None


def _plain(html: str) -> str:
    return unescape(_TAGS.sub("", html)).strip()


async def member_unit_ids(session: AsyncSession, *, person_id: int) -> set[int]:
    """Every unit the person belongs to, and all the units above them."""
    paths = await session.scalars(
        select(OrgUnit.path)
        .join(RoleAssignment, RoleAssignment.unit_id == OrgUnit.id)
        .where(RoleAssignment.person_id == person_id, OrgUnit.is_active.is_(True))
    )
    return {int(a.strip("/").split("/")[-1]) for p in paths for a in ancestors_of(p)}


async def latest_news(
    session: AsyncSession, *, person_id: int, limit: int = 5, scan: int = 200
) -> list[NewsItem]:
    """The latest broadcasts sent to the person's units, in the categories they follow."""
    units = await member_unit_ids(session, person_id=person_id)
    if not units:
        return []
    follows = await subscriptions(session, person_id=person_id)
    recent = await session.scalars(
        select(Broadcast)
        .where(Broadcast.status.in_([Status.sending.value, Status.done.value]))
        .order_by(Broadcast.started_at.desc().nulls_last(), Broadcast.id.desc())
        .limit(scan)
    )
    items: list[NewsItem] = []
    for b in recent:
        roots = {int(r) for r in (b.audience or {}).get("roots", [])}
        category = category_of(b)
        if not roots & units or not follows[category]:
            continue
        doc = await session.get(Document, b.document_id) if b.document_id else None
        items.append(
            NewsItem(
                broadcast_id=b.id,
                category=category,
                title=b.title,
                text=_plain(str((b.content or {}).get("html", ""))),
                at=b.started_at or b.created_at,
                document_label=doc.label if doc else None,
            )
        )
        if len(items) >= limit:
            break
    return items
