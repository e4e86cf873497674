"""/tinmoi's service: news for the member's units, optional categories, mandatory directives."""

from __future__ import annotations

from datetime import timedelta

import pytest

from archive.document_numbers import DocumentKind
from archive.documents import NewDocument, create_document
from archive.news import NewsCategory, SubscriptionError, allows, latest_news, set_subscription, subscriptions
from broadcasts.models import Broadcast
from storage.base import utcnow
from storage.db import Database
from tests.archive.factories import make_province


def broadcast(title: str, root: int, minutes_ago: int, status: str = "done", **extra: object) -> Broadcast:
    return Broadcast(
        title=title,
        status=status,
        content={"kind": "text", "html": f"<b>{title}</b> &amp; chi tiết", **extra.pop("content", {})},  # type: ignore[dict-item]
        audience={"roots": [root], "targets": ["group", "member"]},
        started_at=utcnow() - timedelta(minutes=minutes_ago),
        **extra,
    )


async def test_latest_news_by_unit_and_category(db: Database) -> None:
    async with db.transaction() as s:
        p = await make_province(s)
        doc = await create_document(
            s,
            new=NewDocument(
                kind=DocumentKind.directive, number="07-CT/TW", issuer="Ban Bí thư", subject="TTCS"
            ),
        )
        s.add_all(
            [
                broadcast("Chỉ thị thông tin cơ sở", p.province.id, 30, document_id=doc.id),
                broadcast("Tháng Công nhân 2026", p.district_a.id, 20),
                broadcast("Hội thao công nhân", p.province.id, 10, content={"category": "event"}),
                broadcast("Tin riêng Hội An", p.district_b.id, 5),
                broadcast("Bản nháp", p.province.id, 1, status="draft"),
            ]
        )
        await s.flush()
        items = await latest_news(s, person_id=p.member_a.id)
        assert [(i.title, i.category) for i in items] == [
            ("Hội thao công nhân", NewsCategory.event),
            ("Tháng Công nhân 2026", NewsCategory.campaign),
            ("Chỉ thị thông tin cơ sở", NewsCategory.directive),
        ]
        assert items[1].text == "Tháng Công nhân 2026 & chi tiết"
        assert items[2].document_label == "Chỉ thị số 07-CT/TW"
        # switching both optional categories off leaves the directive; on again brings them back
        await set_subscription(s, person_id=p.member_a.id, category="campaign", enabled=False)
        await set_subscription(s, person_id=p.member_a.id, category="event", enabled=False)
        assert [i.title for i in await latest_news(s, person_id=p.member_a.id)] == ["Chỉ thị thông tin cơ sở"]
        assert not await allows(s, person_id=p.member_a.id, category="campaign")
        assert await allows(s, person_id=p.member_a.id, category="directive")
        assert await allows(s, person_id=p.member_b.id, category="campaign")  # default on
        await set_subscription(s, person_id=p.member_a.id, category="campaign", enabled=True)
        assert await subscriptions(s, person_id=p.member_a.id) == {
            NewsCategory.directive: True,
            NewsCategory.campaign: True,
            NewsCategory.event: False,
        }
        with pytest.raises(SubscriptionError):
            await set_subscription(s, person_id=p.member_a.id, category="directive", enabled=False)
        assert await allows(s, person_id=p.member_a.id, category="directive")
        assert [i.title for i in await latest_news(s, person_id=p.member_b.id, limit=2)] == [
            "Tin riêng Hội An",
            "Hội thao công nhân",
        ]
