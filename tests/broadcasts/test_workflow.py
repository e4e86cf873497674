from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from broadcasts import service
from broadcasts.config import BroadcastConfig
from broadcasts.errors import BroadcastError, Forbidden, InvalidState
from broadcasts.models import Status
from directory.models import Role
from outbox.models import OutboxMessage
from storage.base import utcnow
from storage.db import Database
from tests.broadcasts import factories as f
from tests.broadcasts.helpers import scope

TEXT = {"kind": "text", "html": "Triển khai <b>Chỉ thị 07</b>"}


async def test_province_wide_broadcast_needs_an_approver_who_is_not_the_author(db: Database) -> None:
    async with db.transaction() as s:
        p = await f.province(s)
        officer = scope(p.officer, p.province, Role.officer)
        b, created = await service.create(
            s, scope=officer, title="CT07", content=TEXT, audience_spec={"roots": [p.province.id]}
        )
        assert created and b.status == Status.draft
        b = await service.submit(s, scope=officer, broadcast_id=b.id, config=BroadcastConfig())
        assert b.status == Status.submitted and b.requires_approval and b.total == 10
        with pytest.raises(InvalidState):
            await service.schedule(s, scope=officer, broadcast_id=b.id)
        # the author cannot approve, even when holding the approver role
        self_approver = scope(p.officer, p.province, Role.approver)
        with pytest.raises(Forbidden) as err:
            await service.approve(s, scope=self_approver, broadcast_id=b.id)
        assert err.value.code == "self_approval"
        # an approver of another subtree cannot either
        upper_approver = await f.person(s, "PCT huyện", at=p.uppers[0], role=Role.approver)
        with pytest.raises(Forbidden):
            await service.approve(
                s, scope=scope(upper_approver, p.uppers[0], Role.approver), broadcast_id=b.id
            )
        # an officer (no approver role) cannot
        other = await f.person(s, "Cán bộ khác", at=p.province, role=Role.officer)
        with pytest.raises(Forbidden):
            await service.approve(s, scope=scope(other, p.province, Role.officer), broadcast_id=b.id)
        b = await service.approve(s, scope=scope(p.approver, p.province, Role.approver), broadcast_id=b.id)
        assert b.status == Status.approved and b.approved_by_id == p.approver.id


async def test_small_audience_below_threshold_needs_no_approval(db: Database) -> None:
    async with db.transaction() as s:
        p = await f.province(s)
        officer = scope(p.officer, p.province, Role.officer)
        b, _ = await service.create(
            s, scope=officer, title="t", content=TEXT, audience_spec={"roots": [p.uppers[0].id]}
        )
        b = await service.submit(s, scope=officer, broadcast_id=b.id, config=BroadcastConfig())
        assert b.status == Status.approved and not b.requires_approval
        b2, _ = await service.create(
            s, scope=officer, title="t", content=TEXT, audience_spec={"roots": [p.uppers[0].id]}
        )
        b2 = await service.submit(
            s, scope=officer, broadcast_id=b2.id, config=BroadcastConfig(approval_threshold=4)
        )
        assert b2.status == Status.submitted  # 5 recipients > 4


async def test_officer_outside_the_subtree_cannot_create(db: Database) -> None:
    async with db.transaction() as s:
        p = await f.province(s)
        upper_officer = await f.person(s, "Cán bộ huyện", at=p.uppers[0], role=Role.officer)
        sc = scope(upper_officer, p.uppers[0], Role.officer)
        with pytest.raises(Forbidden):
            await service.create(
                s, scope=sc, title="t", content=TEXT, audience_spec={"roots": [p.uppers[1].id]}
            )
        with pytest.raises(BroadcastError) as err:
            await service.create(
                s,
                scope=sc,
                title="t",
                content={"kind": "text", "html": ""},
                audience_spec={"roots": [p.uppers[0].id]},
            )
        assert err.value.code == "bad_content"


async def test_idempotency_key_returns_the_first_broadcast(db: Database) -> None:
    async with db.transaction() as s:
        p = await f.province(s)
        officer = scope(p.officer, p.province, Role.officer)
        kw = dict(
            scope=officer,
            title="t",
            content=TEXT,
            audience_spec={"roots": [p.uppers[0].id]},
            idempotency_key="abc",
        )
        first, c1 = await service.create(s, **kw)  # type: ignore[arg-type]
        again, c2 = await service.create(s, **kw)  # type: ignore[arg-type]
        assert c1 and not c2 and first.id == again.id


async def test_schedule_later_then_cancel_stops_everything(db: Database) -> None:
    async with db.transaction() as s:
        p = await f.province(s)
        officer = scope(p.officer, p.province, Role.officer)
        b, _ = await service.create(
            s, scope=officer, title="t", content=TEXT, audience_spec={"roots": [p.uppers[0].id]}
        )
        await service.submit(s, scope=officer, broadcast_id=b.id, config=BroadcastConfig())
        at = utcnow() + timedelta(hours=2)
        b = await service.schedule(s, scope=officer, broadcast_id=b.id, at=at)
        assert b.status == Status.scheduled
        assert await service.due_scheduled(s, now=utcnow()) == []
        assert await service.due_scheduled(s, now=at) == [b.id]
        b = await service.schedule(s, scope=None, broadcast_id=b.id)  # the scheduler fires it
        assert b.status == Status.sending and b.total == 5
        b, stopped = await service.cancel(s, scope=officer, broadcast_id=b.id)
        assert stopped == 5 and b.status == Status.cancelled
        statuses = set(
            (await s.scalars(select(OutboxMessage.status).where(OutboxMessage.broadcast_id == b.id))).all()
        )
        assert statuses == {"cancelled"}
        with pytest.raises(InvalidState):
            await service.cancel(s, scope=officer, broadcast_id=b.id)


async def test_editing_sends_back_to_draft(db: Database) -> None:
    async with db.transaction() as s:
        p = await f.province(s)
        officer = scope(p.officer, p.province, Role.officer)
        b, _ = await service.create(
            s, scope=officer, title="t", content=TEXT, audience_spec={"roots": [p.province.id]}
        )
        await service.submit(s, scope=officer, broadcast_id=b.id, config=BroadcastConfig())
        b = await service.update_draft(
            s, scope=officer, broadcast_id=b.id, title="Mới", content={"kind": "text", "html": "<u>mới</u>"}
        )
        assert b.status == Status.draft and b.title == "Mới" and b.content["html"] == "<u>mới</u>"
