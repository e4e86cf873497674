from __future__ import annotations

from sqlalchemy import func, select

from broadcasts.audience import AudienceSpec, Target, materialise, preview
from broadcasts.models import Broadcast
from directory.models import Chat, Role, RoleAssignment
from outbox.models import OutboxMessage
from storage.base import utcnow
from storage.db import Database
from tests.broadcasts import factories as f


async def test_preview_counts_per_child_and_skips_inactive(db: Database) -> None:
    async with db.transaction() as s:
        p = await f.province(s)
        p.groups[0].is_active = False
        p.groups[-1].blocked_at = utcnow()
        await s.flush()
        spec = AudienceSpec(roots=[p.province.id], targets=[Target.group])
        result = await preview(s, spec)
    # 2 uppers × (2 block groups + 3 CĐCS groups) = 10 groups, two of them unusable
    assert result.total == 8 and result.skipped_inactive == 2
    assert sorted(c.count for c in result.by_unit) == [4, 4]
    assert {c.unit_id for c in result.by_unit} == {u.id for u in p.uppers}


async def test_filters_blocks_kinds_targets_and_exclusions(db: Database) -> None:
    async with db.transaction() as s:
        p = await f.province(s)
        # block groups of the upper unions for one block only
        blocks = await preview(
            s, AudienceSpec(roots=[p.province.id], blocks=["co_quan"], unit_kinds=["district_federation"])
        )
        assert blocks.total == 2
        leaders = await preview(s, AudienceSpec(roots=[p.uppers[0].id], targets=[Target.leader]))
        assert leaders.total == 3
        both = AudienceSpec(
            roots=[p.province.id],
            targets=[Target.group, Target.leader],
            exclude_units=[p.uppers[1].id],
            exclude_chats=[p.groups[0].id],
        )
        assert (await preview(s, both)).total == 5 + 3 - 1
        # a leader of two units still counts once
        s.add(RoleAssignment(person_id=p.leaders[0].id, unit_id=p.grassroots[1].id, role=Role.leader))
        await s.flush()
        assert (await preview(s, AudienceSpec(roots=[p.uppers[0].id], targets=[Target.leader]))).total == 3


async def test_materialise_writes_one_pending_record_per_chat(db: Database) -> None:
    async with db.transaction() as s:
        p = await f.province(s)
        b = Broadcast(title="t", content={"kind": "text", "html": "x"})
        s.add(b)
        await s.flush()
        spec = AudienceSpec(roots=[p.province.id], targets=[Target.group, Target.leader])
        total, skipped = await materialise(s, broadcast_id=b.id, spec=spec)
        assert (total, skipped) == (16, 0)
        rows = (await s.scalars(select(OutboxMessage).where(OutboxMessage.broadcast_id == b.id))).all()
        assert len({r.chat_id for r in rows}) == 16 and all(r.status == "pending" for r in rows)
        leader_rows = [r for r in rows if r.chat_kind == "private"]
        assert all(r.user_id for r in leader_rows) and len(leader_rows) == 6
        assert (
            await s.scalar(select(func.count()).select_from(Chat)) == 10 + 6 + 2
        )  # groups, leaders, officer and approver
