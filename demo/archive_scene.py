"""The archive part of `loa demo`: a member searches the archive from a phone without diacritics, then
sends a petition that travels up one level and comes back answered. Plays against the running bot
through the sandbox; returns readable Vietnamese summary lines."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import StorageKey

from archive.document_numbers import DocumentKind
from archive.documents import NewDocument, create_document
from archive.petitions import petition_for_message
from archive.sample import import_sample
from bot.app import Loa
from common.text import plain
from demo.province import DemoProvince
from directory.chats import register_private_chat
from directory.models import Person
from handlers.archive import DocCb
from handlers.petitions import PetitionForm
from sandbox.client import SandboxClient

CT07 = NewDocument(
    kind=DocumentKind.directive,
    number="07-CT/TW",
    issuer="Ban Bí thư Trung ương Đảng (khoá XII)",
    subject="Về đẩy mạnh công tác thông tin cơ sở trong tình hình mới",
    body="Ban Bí thư yêu cầu các cấp uỷ, tổ chức đảng đẩy mạnh công tác thông tin cơ sở trong tình hình mới.",
    issued_on=date(2016, 9, 5),
    tags=("thông tin cơ sở",),
)


def _buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


async def _link(loa: Loa, sandbox: SandboxClient, person: Person) -> int:
    user = await sandbox.create_user(first_name=person.full_name)
    async with loa.db.transaction() as s:
        row = await s.get(Person, person.id)
        assert row is not None
        row.telegram_user_id = user["id"]
        await register_private_chat(s, person=row, telegram_chat_id=user["id"])
    return int(user["id"])


async def _state(loa: Loa, sandbox: SandboxClient, user_id: int, state: State, timeout: float) -> None:
    key = StorageKey(bot_id=loa.bot.id, chat_id=user_id, user_id=user_id)

    async def current() -> str | None:
        value = await loa.dispatcher.storage.get_state(key)
        return str(value) if value is not None else None

    await sandbox.wait_until(current, lambda s: s == state.state, timeout, f"state {state.state}")


async def _next(sandbox: SandboxClient, chat_id: int, seen: int, timeout: float) -> dict[str, Any]:
    msgs = await sandbox.wait_for_messages(chat_id, count=seen + 1, timeout=timeout)
    return msgs[seen]


async def play_archive_scene(
    *,
    sandbox: SandboxClient,
    loa: Loa,
    province: DemoProvince,
    timeout: float = 15.0,
) -> list[str]:
    async with loa.db.transaction() as s:
        sample = await import_sample(s)
        await create_document(s, new=CT07)
    lines = [f"Kho văn bản: nhập {len(sample)} văn bản mẫu và Chỉ thị 07-CT/TW"]
    cluster = province.upper_unions[0]
    school = next(g for g in province.grassroots if g.parent_id == cluster.id)
    in_school = await _members_of(loa, school.id)
    member = next(m for m in province.members if m.id in in_school)
    member_id = await _link(loa, sandbox, member)
    await _link(loa, sandbox, province.leaders[school.id])
    officer_ids = [await _link(loa, sandbox, o) for o in province.officers[cluster.id]]
    top_ids = [await _link(loa, sandbox, o) for o in province.officers[province.root.id]]
    seen = 0

    await sandbox.send_user_message(member_id, text="/vanban chi thi 07")
    results = await _next(sandbox, member_id, seen, timeout)
    seen += 1
    found = [t for t, _ in _buttons(results) if t[:1].isdigit()]
    lines.append(f"{member.full_name} gõ «/vanban chi thi 07» → {'; '.join(found[:3])}")
    await sandbox.send_user_message(member_id, text="/vanban 178")
    by_number = await _next(sandbox, member_id, seen, timeout)
    seen += 1
    first = next((t for t, _ in _buttons(by_number) if t[:1].isdigit()), "không có kết quả")
    lines.append(f"{member.full_name} gõ «/vanban 178» → {first}")
    doc_data = next((d for _, d in _buttons(results) if d.startswith(DocCb.__prefix__)), None)
    if doc_data:
        await sandbox.press_button(member_id, results["message_id"], doc_data)
        summary = await _next(sandbox, member_id, seen, timeout)
        attached = await _next(sandbox, member_id, seen + 1, timeout)
        seen += 2
        name = (attached.get("document") or {}).get("file_name", "")
        lines.append(f"  chọn kết quả đầu → «{plain(summary['text']).splitlines()[0]}» kèm tệp {name}")

    await sandbox.send_user_message(member_id, text="/kiennghi")
    ask = await _next(sandbox, member_id, seen, timeout)
    seen += 1
    category = dict(_buttons(ask))["Tiền lương, chế độ chính sách"]
    await sandbox.press_button(member_id, ask["message_id"], category)
    await _state(loa, sandbox, member_id, PetitionForm.content, timeout)
    await sandbox.send_user_message(
        member_id, text="Đề nghị công đoàn can thiệp việc chậm trả lương tháng 10."
    )
    anon = await _next(sandbox, member_id, seen, timeout)
    seen += 1
    await _state(loa, sandbox, member_id, PetitionForm.anonymity, timeout)
    await sandbox.press_button(
        member_id, anon["message_id"], next(d for t, d in _buttons(anon) if "ẩn danh" in t)
    )
    sent = await _next(sandbox, member_id, seen, timeout)
    seen += 1
    ref = re.search(r"KN-\d{4}-\d{6}", sent["text"])
    reference = ref.group(0) if ref else "?"
    lines.append(f"{member.full_name} gửi kiến nghị ẩn danh → số {reference}")
    notice = (await sandbox.wait_for_messages(officer_ids[0], count=1, timeout=timeout))[0]
    lines.append(f"  {cluster.name} nhận: «{plain(notice['text']).splitlines()[2]}»")
    forward = next(d for t, d in _buttons(notice) if t.startswith("⬆️"))
    await sandbox.press_button(officer_ids[0], notice["message_id"], forward)
    up = (await sandbox.wait_for_messages(top_ids[0], count=1, timeout=timeout))[0]
    lines.append(f"  cán bộ {cluster.name} chuyển lên {province.root.name}")

    async def recorded() -> bool:  # the officer reads the notice before replying
        async with loa.db.transaction() as s:
            return await petition_for_message(s, chat_id=top_ids[0], message_id=up["message_id"]) is not None

    await sandbox.wait_until(recorded, bool, timeout=timeout, what="the notice recorded")
    await sandbox.send_user_message(
        top_ids[0],
        text="LĐLĐ đã làm việc với doanh nghiệp; lương tháng 10 sẽ được trả trước ngày 15.",
        reply_to_message_id=up["message_id"],
    )
    answer = await _next(sandbox, member_id, seen, timeout)
    lines.append(
        f"  {province.root.name} trả lời → {member.full_name} nhận: "
        f"«{plain(answer['text']).splitlines()[-1]}»"
    )
    return lines


async def _members_of(loa: Loa, unit_id: int) -> set[int]:
    from sqlalchemy import select

    from directory.models import Role, RoleAssignment

    async with loa.db.transaction() as s:
        rows = await s.scalars(
            select(RoleAssignment.person_id).where(
                RoleAssignment.unit_id == unit_id, RoleAssignment.role == Role.member.value
            )
        )
        return set(rows)
