"""The broadcast state machine: draft → submitted → approved → scheduled → sending → done,
with cancelled and failed. Services take the session explicitly and only flush."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from broadcasts import audience
from broadcasts import html as tg_html
from broadcasts.audience import AudienceSpec
from broadcasts.config import BroadcastConfig
from broadcasts.content import Content, ContentError
from broadcasts.errors import BroadcastError, Forbidden, InvalidState, NotFound
from broadcasts.models import Broadcast, Status
from directory.access import Scope
from directory.models import Role, RoleAssignment
from outbox.models import OPEN_OUTCOMES, Kind, OutboxMessage, Outcome
from outbox.parts import buttons, text
from outbox.service import notify_person
from storage.base import utcnow

EDITABLE = (Status.draft, Status.submitted)
CANCELLABLE = (Status.draft, Status.submitted, Status.approved, Status.scheduled, Status.sending)


async def get(session: AsyncSession, broadcast_id: int, *, lock: bool = False) -> Broadcast:
    stmt = select(Broadcast).where(Broadcast.id == broadcast_id)
    if lock:
        stmt = stmt.with_for_update()
    found = await session.scalar(stmt)
    if found is None:
        raise NotFound()
    return found


async def require_in_scope(session: AsyncSession, scope: Scope, b: Broadcast, role: Role) -> None:
    """The actor must hold `role` over every root of the broadcast's audience."""
    for unit in await audience.root_units(session, AudienceSpec.from_dict(b.audience)):
        if not scope.allows(role, unit.path):
            raise Forbidden("forbidden", "Đồng chí không có quyền với đơn vị nhận tin này.")


def _check(content: dict[str, Any], spec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        return Content.from_dict(content).to_dict(), AudienceSpec.from_dict(spec).to_dict()
    except ContentError as exc:
        raise BroadcastError("bad_content", exc.message) from exc
    except audience.AudienceError as exc:
        raise BroadcastError("bad_audience", exc.message) from exc


async def create(
    session: AsyncSession,
    *,
    scope: Scope,
    title: str,
    content: dict[str, Any],
    audience_spec: dict[str, Any],
    document_id: int | None = None,
    require_ack: bool = False,
    ack_deadline: datetime | None = None,
    paid: bool = False,
    idempotency_key: str | None = None,
) -> tuple[Broadcast, bool]:
    """A new draft; (broadcast, created). A repeated idempotency key returns the first one."""
    if idempotency_key:
        key = f"{scope.actor}:{idempotency_key}"[:128]
        existing = await session.scalar(select(Broadcast).where(Broadcast.idempotency_key == key))
        if existing is not None:
            return existing, False
    body, spec = _check(content, audience_spec)
    b = Broadcast(
        title=title.strip()[:255],
        status=Status.draft,
        author_id=scope.person_id,
        author_actor=scope.actor,
        content=body,
        audience=spec,
        document_id=document_id,
        require_ack=require_ack or ack_deadline is not None,
        ack_deadline=ack_deadline,
        paid=paid,
        idempotency_key=f"{scope.actor}:{idempotency_key}"[:128] if idempotency_key else None,
    )
    await require_in_scope(session, scope, b, Role.officer)
    session.add(b)
    await session.flush()
    return b, True


async def update_draft(
    session: AsyncSession, *, scope: Scope, broadcast_id: int, **changes: Any
) -> Broadcast:
    """Edit before approval; an edited broadcast goes back to draft and must be submitted again."""
    b = await get(session, broadcast_id, lock=True)
    await require_in_scope(session, scope, b, Role.officer)
    if b.status not in EDITABLE:
        raise InvalidState("not_editable", "Tin đã duyệt hoặc đã gửi, không sửa được nữa.")
    content = changes.pop("content", None) or b.content
    spec = changes.pop("audience_spec", None) or b.audience
    b.content, b.audience = _check(content, spec)
    for name in ("title", "document_id", "require_ack", "ack_deadline", "paid"):
        if name in changes and changes[name] is not None:
            setattr(b, name, changes[name])
    if b.ack_deadline is not None:
        b.require_ack = True
    await require_in_scope(session, scope, b, Role.officer)
    b.status = Status.draft
    await session.flush()
    return b


def needs_approval(config: BroadcastConfig, preview: audience.Preview) -> bool:
    wide = any(kind in config.approval_wide_kinds for kind in preview.root_kinds)
    return wide or preview.total > config.approval_threshold


async def submit(
    session: AsyncSession, *, scope: Scope, broadcast_id: int, config: BroadcastConfig
) -> Broadcast:
    b = await get(session, broadcast_id, lock=True)
    await require_in_scope(session, scope, b, Role.officer)
    if b.status != Status.draft:
        raise InvalidState("not_draft", "Chỉ gửi duyệt được tin đang soạn.")
    p = await audience.preview(session, AudienceSpec.from_dict(b.audience))
    if p.total == 0:
        raise BroadcastError("empty_audience", "Không có nhóm hoặc người nhận nào đang hoạt động.")
    b.total, b.skipped_inactive = p.total, p.skipped_inactive
    b.requires_approval = needs_approval(config, p)
    b.status = Status.submitted if b.requires_approval else Status.approved
    await session.flush()
    if b.requires_approval:
        await ask_approvers(session, b)
    return b


APPROVE_PREFIX = "bca:approve:"


async def ask_approvers(session: AsyncSession, b: Broadcast) -> int:
    """Approvers and admins over the audience (never the author) get the text with a button to approve,
    whichever way the broadcast was submitted (chat, API or console)."""
    roots = await audience.root_units(session, AudienceSpec.from_dict(b.audience))
    ancestors = {int(x) for r in roots for x in r.path.strip("/").split("/") if x}
    person_ids = await session.scalars(
        select(RoleAssignment.person_id)
        .where(
            RoleAssignment.unit_id.in_(ancestors),
            RoleAssignment.role.in_([Role.approver.value, Role.admin.value]),
            RoleAssignment.person_id != (b.author_id or 0),
        )
        .distinct()
    )
    body = (tg_html.split(b.content.get("html", ""), 3000) or [""])[0]
    note = f"📝 Tin chờ duyệt: «{html.escape(b.title)}» — {b.total} nơi nhận.\n\n{body}"
    part = text(note, buttons([("✅ Duyệt và gửi", f"{APPROVE_PREFIX}{b.id}")]))
    told = 0
    for person_id in person_ids:
        told += await notify_person(
            session, kind=Kind.approval_request, person_id=person_id, parts=[part], ref={"broadcast_id": b.id}
        )
    return told


async def approve_and_schedule(session: AsyncSession, *, scope: Scope, broadcast_id: int) -> Broadcast:
    """An approver's yes: the broadcast goes out at its time (or now), one step for chat and API."""
    b = await approve(session, scope=scope, broadcast_id=broadcast_id)
    return await schedule(session, scope=None, broadcast_id=b.id, at=b.scheduled_at)


async def approve(session: AsyncSession, *, scope: Scope, broadcast_id: int) -> Broadcast:
    b = await get(session, broadcast_id, lock=True)
    if b.status != Status.submitted:
        raise InvalidState("not_submitted", "Tin này không ở trạng thái chờ duyệt.")
    if (scope.person_id is not None and scope.person_id == b.author_id) or scope.actor == b.author_actor:
        raise Forbidden("self_approval", "Người soạn tin không được tự duyệt tin của mình.")
    await require_in_scope(session, scope, b, Role.approver)
    b.status = Status.approved
    b.approved_by_id = scope.person_id
    b.approved_at = utcnow()
    await session.flush()
    return b


async def reject(session: AsyncSession, *, scope: Scope, broadcast_id: int, note: str = "") -> Broadcast:
    b = await get(session, broadcast_id, lock=True)
    if b.status != Status.submitted:
        raise InvalidState("not_submitted", "Tin này không ở trạng thái chờ duyệt.")
    await require_in_scope(session, scope, b, Role.approver)
    b.status, b.note = Status.draft, note or None
    await session.flush()
    return b


async def schedule(
    session: AsyncSession, *, scope: Scope | None, broadcast_id: int, at: datetime | None = None
) -> Broadcast:
    """Send now (`at` None or past) or at a time. Only approved broadcasts go out."""
    b = await get(session, broadcast_id, lock=True)
    if scope is not None:
        await require_in_scope(session, scope, b, Role.officer)
    if b.status not in (Status.approved, Status.scheduled):
        raise InvalidState("not_approved", "Tin cần được duyệt trước khi gửi.")
    if at is not None and at > utcnow():
        b.status, b.scheduled_at = Status.scheduled, at
        await session.flush()
        return b
    return await start_sending(session, broadcast=b)


async def start_sending(session: AsyncSession, *, broadcast: Broadcast) -> Broadcast:
    """Writes the delivery records, then hands the broadcast to the workers."""
    b = broadcast
    from archive.news import drop_opted_out  # members' category switches (archive owns them)

    total, skipped = await audience.materialise(
        session, broadcast_id=b.id, spec=AudienceSpec.from_dict(b.audience)
    )
    total -= await drop_opted_out(session, broadcast=b)
    b.total, b.skipped_inactive, b.started_at = total, skipped, utcnow()
    b.status = Status.sending if total else Status.done
    if not total:
        b.finished_at = b.started_at
    await session.flush()
    return b


async def due_scheduled(session: AsyncSession, *, now: datetime) -> list[int]:
    rows = await session.scalars(
        select(Broadcast.id).where(Broadcast.status == Status.scheduled, Broadcast.scheduled_at <= now)
    )
    return list(rows)


async def cancel(session: AsyncSession, *, scope: Scope | None, broadcast_id: int) -> tuple[Broadcast, int]:
    """Stops a broadcast before or during sending; (broadcast, deliveries stopped)."""
    b = await get(session, broadcast_id, lock=True)
    if scope is not None:
        await require_in_scope(session, scope, b, Role.officer)
    if b.status not in CANCELLABLE:
        raise InvalidState("not_cancellable", "Tin đã gửi xong hoặc đã huỷ.")
    b.status, b.finished_at = Status.cancelled, utcnow()
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.broadcast_id == b.id, OutboxMessage.status.in_([Outcome.pending, Outcome.retrying])
        )
        .values(status=Outcome.cancelled, updated_at=utcnow())
    )
    await session.flush()
    return b, int(getattr(result, "rowcount", 0) or 0)


async def finish_if_complete(session: AsyncSession, *, broadcast_id: int) -> bool:
    """Marks a sending broadcast done once no record is open; done is `failed` if none arrived."""
    open_left = await session.scalar(
        select(OutboxMessage.id)
        .where(OutboxMessage.broadcast_id == broadcast_id, OutboxMessage.status.in_(OPEN_OUTCOMES))
        .limit(1)
    )
    if open_left is not None:
        return False
    b = await get(session, broadcast_id, lock=True)
    if b.status != Status.sending:
        return False
    sent = await session.scalar(
        select(OutboxMessage.id)
        .where(OutboxMessage.broadcast_id == b.id, OutboxMessage.status == Outcome.sent)
        .limit(1)
    )
    b.status = Status.done if sent is not None else Status.failed
    b.finished_at = utcnow()
    await session.flush()
    return True
