"""Telling people about petitions: the notice to leaders and officers (with the buttons to answer or
forward; once sent it is recorded, so a reply to it answers the petition), and the answer to the sender.
All of it goes through the outbox, queued in the caller's transaction. Shared by the chat and the API."""

from __future__ import annotations

from html import escape
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from archive.petitions import (
    CATEGORIES,
    Routing,
    answer_petition,
    forward_petition,
    record_notice,
    submit_petition,
)
from archive.tables import Petition
from directory.access import Scope
from directory.models import OrgUnit, Person
from outbox.models import Kind
from outbox.outcomes import Claimed
from outbox.parts import Markup, Part, PartKind, buttons, text
from outbox.service import enqueue

ACTION_PREFIX = "knx"  # callback data `knx:<answer|forward>:<petition id>` (handlers/petitions.py reads it)


def _notice_text(petition: Petition, unit: OrgUnit, sender_name: str | None, forwarded: bool) -> str:
    who = "Ẩn danh" if petition.anonymous or sender_name is None else escape(sender_name)
    head = "⬆️ Kiến nghị được chuyển lên" if forwarded else "📥 Kiến nghị mới"
    lines = [
        f"{head} <b>{petition.reference}</b>",
        f"Lĩnh vực: {escape(CATEGORIES.get(petition.category, petition.category))}",
        f"Người gửi: {who} — {escape(unit.name)}",
        "",
        escape(petition.text) if petition.text else "(xem tệp đính kèm)",
        "",
        "Trả lời lời nhắn này để trả lời kiến nghị, hoặc bấm nút bên dưới.",
    ]
    return "\n".join(lines)


def _actions(petition_id: int) -> Markup:
    return buttons(
        [
            ("✍️ Trả lời", f"{ACTION_PREFIX}:answer:{petition_id}"),
            ("⬆️ Chuyển cấp trên", f"{ACTION_PREFIX}:forward:{petition_id}"),
        ]
    )


def _parts(petition: Petition, body: str) -> list[Part]:
    parts = [text(body, _actions(petition.id))]
    if petition.attachment_kind in ("photo", "document") and petition.attachment_file_id:
        kind = PartKind.photo if petition.attachment_kind == "photo" else PartKind.document
        parts.append(Part(kind, petition.reference or "", media=petition.attachment_file_id))
    return parts


async def notify(session: AsyncSession, routing: Routing, *, forwarded: bool = False) -> int:
    """Queue the petition to each recipient's private chat; returns how many will get it."""
    petition = routing.petition
    sender = None if petition.anonymous else await session.get(Person, petition.sender_id)
    body = _notice_text(petition, routing.unit, sender.full_name if sender else None, forwarded)
    queued = 0
    for r in routing.recipients:
        if r.telegram_chat_id is None:
            continue
        enqueue(
            session,
            kind=Kind.petition_notice,
            address=r.telegram_chat_id,
            person_id=r.person_id,
            unit_id=routing.unit.id,
            parts=_parts(petition, body),
            ref={"petition_id": petition.id, "person_id": r.person_id},
        )
        queued += 1
    return queued


async def on_notice_sent(session: AsyncSession, record: Claimed, message_ids: list[int]) -> None:
    """The notice went out: a reply to it now answers the petition."""
    ref = record.ref or {}
    await record_notice(
        session,
        petition_id=ref["petition_id"],
        person_id=ref.get("person_id"),
        chat_id=record.address,
        message_id=message_ids[0],
    )


def deliver_answer(session: AsyncSession, petition: Petition) -> bool:
    """Queue the answer to the sender's chat; False when the sender has no chat with Loa."""
    if petition.sender_chat_id is None:
        return False
    enqueue(
        session,
        kind=Kind.petition_answer,
        address=petition.sender_chat_id,
        person_id=petition.sender_id,
        parts=[
            text(
                f"📬 Kiến nghị <b>{petition.reference}</b> đã có trả lời:\n\n{escape(petition.answer or '')}"
            )
        ],
        ref={"petition_id": petition.id},
    )
    return True


# --- the workflow chat and API share: change, then tell, in one transaction ---------------------------
async def submit(session: AsyncSession, **fields: Any) -> Routing:
    """A member's petition is stored and its notices queued."""
    routing = await submit_petition(session, **fields)
    await notify(session, routing)
    return routing


async def answer(
    session: AsyncSession, *, scope: Scope, petition_id: int, text_: str, answered_by_id: int | None
) -> tuple[Petition, bool]:
    """The answer is stored and queued to the sender; (petition, whether the sender can be reached)."""
    petition = await answer_petition(
        session, scope=scope, petition_id=petition_id, answer=text_, answered_by_id=answered_by_id
    )
    return petition, deliver_answer(session, petition)


async def forward(session: AsyncSession, *, scope: Scope, petition_id: int) -> tuple[Routing, int]:
    """The petition goes up one level; the officers there are told. (routing, officers told)."""
    routing = await forward_petition(session, scope=scope, petition_id=petition_id)
    return routing, await notify(session, routing, forwarded=True)
