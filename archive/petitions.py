"""Petitions (kiến nghị, phản ánh) sent up by members: routing to the unit's leader and the officer of
the nearest unit above, reference numbers, answers, forwarding one level up, anonymity.

Statuses: new → forwarded → answered → closed, each change stamped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from archive.search import ancestors_of
from archive.tables import Petition, PetitionNotice
from common.errors import DomainError
from directory.access import Scope
from directory.models import Chat, ChatKind, OrgUnit, Person, Role, RoleAssignment
from storage.base import utcnow


class PetitionStatus(StrEnum):
    new = "new"
    forwarded = "forwarded"
    answered = "answered"
    closed = "closed"


STATUS_LABELS: dict[str, str] = {
    "new": "Mới",
    "forwarded": "Đã chuyển cấp trên",
    "answered": "Đã trả lời",
    "closed": "Đã đóng",
}
CATEGORIES: dict[str, str] = {
    "tien_luong": "Tiền lương, chế độ chính sách",
    "viec_lam": "Việc làm, hợp đồng lao động",
    "an_toan": "An toàn, vệ sinh lao động",
    "doi_song": "Đời sống, phúc lợi",
    "cong_doan": "Tổ chức, hoạt động công đoàn",
    "khac": "Khác",
}
OPEN = (PetitionStatus.new.value, PetitionStatus.forwarded.value)


class PetitionError(DomainError):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message, code=code, status=status)


@dataclass(frozen=True)
class Recipient:
    person_id: int
    telegram_chat_id: int | None
    role: Role


@dataclass
class Routing:
    petition: Petition
    unit: OrgUnit
    handling_unit: OrgUnit | None
    recipients: list[Recipient] = field(default_factory=list)


async def _private_chats(session: AsyncSession, person_ids: list[int]) -> dict[int, int]:
    if not person_ids:
        return {}
    rows = await session.execute(
        select(Chat.person_id, Chat.telegram_chat_id).where(
            Chat.person_id.in_(person_ids), Chat.kind == ChatKind.private.value, Chat.is_active.is_(True)
        )
    )
    return {pid: cid for pid, cid in rows.tuples() if pid is not None}


async def _holders(session: AsyncSession, unit_id: int, role: Role) -> list[int]:
    rows = await session.scalars(
        select(RoleAssignment.person_id)
        .join(Person, Person.id == RoleAssignment.person_id)
        .where(
            RoleAssignment.unit_id == unit_id, RoleAssignment.role == role.value, Person.is_active.is_(True)
        )
        .order_by(RoleAssignment.id)
    )
    return list(dict.fromkeys(rows))


async def _officer_unit_above(session: AsyncSession, unit: OrgUnit) -> tuple[OrgUnit | None, list[int]]:
    """The nearest unit strictly above `unit` where somebody holds Role.officer, with its officers."""
    ids = [int(p) for p in unit.path.split("/") if p][:-1]
    for unit_id in reversed(ids):
        officers = await _holders(session, unit_id, Role.officer)
        if officers:
            return await session.get(OrgUnit, unit_id), officers
    return None, []


async def _recipients(session: AsyncSession, people: list[tuple[int, Role]]) -> list[Recipient]:
    chats = await _private_chats(session, [p for p, _ in people])
    return [Recipient(p, chats.get(p), role) for p, role in people]


async def sender_unit(session: AsyncSession, *, person_id: int) -> OrgUnit | None:
    """The deepest unit where the person is a member or leader (where they work)."""
    rows = await session.scalars(
        select(OrgUnit)
        .join(RoleAssignment, RoleAssignment.unit_id == OrgUnit.id)
        .where(
            RoleAssignment.person_id == person_id,
            RoleAssignment.role.in_([Role.member.value, Role.leader.value]),
            OrgUnit.is_active.is_(True),
        )
        .order_by(OrgUnit.depth.desc(), OrgUnit.id)
    )
    return rows.first()


async def submit_petition(
    session: AsyncSession,
    *,
    sender: Person,
    category: str,
    text: str,
    anonymous: bool = False,
    sender_chat_id: int | None = None,
    attachment_kind: str | None = None,
    attachment_file_id: str | None = None,
    attachment_name: str | None = None,
) -> Routing:
    if category not in CATEGORIES:
        raise PetitionError("bad_category", "Lĩnh vực kiến nghị không hợp lệ.")
    if not text.strip() and attachment_file_id is None:
        raise PetitionError("empty", "Nội dung kiến nghị đang trống.")
    unit = await sender_unit(session, person_id=sender.id)
    if unit is None:
        raise PetitionError("no_unit", "Đồng chí chưa thuộc công đoàn cơ sở nào.", 403)
    handling, officers = await _officer_unit_above(session, unit)
    petition = Petition(
        sender_id=sender.id,
        sender_chat_id=sender_chat_id,
        unit_id=unit.id,
        unit_path=unit.path,
        handling_unit_id=handling.id if handling else None,
        handling_path=handling.path if handling else None,
        category=category,
        text=text.strip(),
        anonymous=anonymous,
        status=PetitionStatus.new.value,
        attachment_kind=attachment_kind,
        attachment_file_id=attachment_file_id,
        attachment_name=attachment_name,
        created_at=utcnow(),
    )
    session.add(petition)
    await session.flush()
    petition.reference = f"KN-{petition.created_at.year}-{petition.id:06d}"
    await session.flush()
    leaders = [p for p in await _holders(session, unit.id, Role.leader) if p != sender.id]
    people = [(p, Role.leader) for p in leaders] + [(p, Role.officer) for p in officers if p not in leaders]
    return Routing(petition, unit, handling, await _recipients(session, people))


async def get_petition(session: AsyncSession, *, petition_id: int) -> Petition:
    petition = await session.get(Petition, petition_id)
    if petition is None:
        raise PetitionError("not_found", "Không tìm thấy kiến nghị.", 404)
    return petition


def _may_handle(scope: Scope, petition: Petition) -> bool:
    return petition.handling_path is not None and scope.allows(Role.officer, petition.handling_path)


def may_view(scope: Scope, petition: Petition) -> bool:
    return scope.allows(Role.officer, petition.unit_path) or scope.allows(Role.leader, petition.unit_path)


async def forward_petition(session: AsyncSession, *, scope: Scope, petition_id: int) -> Routing:
    petition = await get_petition(session, petition_id=petition_id)
    if not _may_handle(scope, petition):
        raise PetitionError("forbidden", "Đồng chí không phụ trách kiến nghị này.", 403)
    if petition.status not in OPEN:
        raise PetitionError("not_open", "Kiến nghị đã được trả lời hoặc đã đóng.", 409)
    current = await session.get(OrgUnit, petition.handling_unit_id)
    assert current is not None
    handling, officers = await _officer_unit_above(session, current)
    if handling is None:
        raise PetitionError("top_level", "Đây đã là cấp cao nhất, không thể chuyển tiếp.", 409)
    petition.handling_unit_id, petition.handling_path = handling.id, handling.path
    petition.status = PetitionStatus.forwarded.value
    petition.forwarded_at = utcnow()
    await session.flush()
    unit = await session.get(OrgUnit, petition.unit_id)
    assert unit is not None
    return Routing(
        petition, unit, handling, await _recipients(session, [(p, Role.officer) for p in officers])
    )


async def answer_petition(
    session: AsyncSession, *, scope: Scope, petition_id: int, answer: str, answered_by_id: int | None = None
) -> Petition:
    petition = await get_petition(session, petition_id=petition_id)
    if not _may_handle(scope, petition):
        raise PetitionError("forbidden", "Đồng chí không phụ trách kiến nghị này.", 403)
    if petition.status not in OPEN:
        raise PetitionError("not_open", "Kiến nghị đã được trả lời hoặc đã đóng.", 409)
    if not answer.strip():
        raise PetitionError("empty", "Nội dung trả lời đang trống.")
    petition.answer = answer.strip()
    petition.answered_by_id = answered_by_id
    petition.answered_by_actor = scope.actor
    petition.status = PetitionStatus.answered.value
    petition.answered_at = utcnow()
    await session.flush()
    return petition


async def close_petition(session: AsyncSession, *, scope: Scope, petition_id: int) -> Petition:
    """The sender, or an officer who may handle it, closes an answered petition."""
    petition = await get_petition(session, petition_id=petition_id)
    if scope.person_id != petition.sender_id and not _may_handle(scope, petition):
        raise PetitionError("forbidden", "Đồng chí không thể đóng kiến nghị này.", 403)
    if petition.status == PetitionStatus.closed.value:
        return petition
    petition.status = PetitionStatus.closed.value
    petition.closed_at = utcnow()
    await session.flush()
    return petition


async def record_notice(
    session: AsyncSession, *, petition_id: int, person_id: int | None, chat_id: int, message_id: int
) -> None:
    session.add(
        PetitionNotice(petition_id=petition_id, person_id=person_id, chat_id=chat_id, message_id=message_id)
    )
    await session.flush()


async def petition_for_message(session: AsyncSession, *, chat_id: int, message_id: int) -> Petition | None:
    notice = await session.scalar(
        select(PetitionNotice).where(
            PetitionNotice.chat_id == chat_id, PetitionNotice.message_id == message_id
        )
    )
    return await session.get(Petition, notice.petition_id) if notice else None


async def units_above(session: AsyncSession, *, path: str) -> list[OrgUnit]:
    ids = [int(p.strip("/").split("/")[-1]) for p in ancestors_of(path)]
    rows = await session.scalars(select(OrgUnit).where(OrgUnit.id.in_(ids)))
    return sorted(rows, key=lambda u: u.depth)
