"""A member who switched a category off is left out of broadcasts of that category — never of directives."""

from __future__ import annotations

from sqlalchemy import select

from archive.news import set_subscription
from broadcasts import service
from broadcasts.models import Broadcast
from directory.models import Role
from outbox.models import OutboxMessage
from storage.db import Database
from tests.broadcasts import factories as f


async def _send_to_members(
    db: Database, *, content: dict[str, object], require_ack: bool = False
) -> tuple[set[int | None], set[int | None], int | None]:
    """(who got a delivery, every member, the member who switched campaign news off)."""
    async with db.transaction() as s:
        p = await f.province(s, uppers=1, per_upper=1)
        cdcs = p.grassroots[0]
        members = [await f.person(s, f"Đoàn viên {i}", at=cdcs, role=Role.member) for i in range(3)]
        await set_subscription(s, person_id=members[0].id, category="campaign", enabled=False)
        b = Broadcast(
            author_id=p.officer.id,
            title="Tin",
            content=content,
            audience={"roots": [cdcs.id], "targets": ["member"]},
            require_ack=require_ack,
        )
        s.add(b)
        await s.flush()
        b = await service.start_sending(s, broadcast=b)
        got = set(await s.scalars(select(OutboxMessage.user_id).where(OutboxMessage.broadcast_id == b.id)))
        assert b.total == len(got)
        return got, {m.telegram_user_id for m in members}, members[0].telegram_user_id


async def test_campaign_news_skips_a_member_who_switched_it_off(db: Database) -> None:
    got, members, opted_out = await _send_to_members(
        db, content={"kind": "text", "html": "Tháng Công nhân", "category": "campaign"}
    )
    assert got & members == members - {opted_out}


async def test_directives_reach_everyone(db: Database) -> None:
    got, members, opted_out = await _send_to_members(
        db, content={"kind": "text", "html": "Chỉ thị"}, require_ack=True
    )
    assert members <= got and opted_out in got
