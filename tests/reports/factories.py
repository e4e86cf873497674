"""Small factories for report tests: a three-level tree with leaders and officers, a template, a sender."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from directory.models import OrgUnit, Person, Role, UnitKind
from reports.models import PeriodKind, ReportRound, ReportTemplate
from reports.services import open_round, save_template
from tests.factories import make_person, make_unit

_ids = itertools.count(1)
NOW = datetime(2026, 11, 16, 3, 0, tzinfo=UTC)  # 10:00 on 16/11/2026 in Hà Nội
DEADLINE = datetime(2026, 11, 20, 16, 59, 59, tzinfo=UTC)  # 23:59:59 on 20/11/2026 in Hà Nội

FIELDS: list[dict[str, Any]] = [
    {"key": "tt", "label": "Tổng số đoàn viên", "type": "integer", "unit": "người"},
    {"key": "kn", "label": "Số đoàn viên kết nạp mới", "type": "integer", "unit": "người"},
    {"key": "ntg", "label": "Số người tham gia hoạt động", "type": "integer", "unit": "người", "max": 100000},
    {"key": "tl", "label": "Tỷ lệ CNVCLĐ được tuyên truyền", "type": "percent", "required": False},
    {"key": "hd", "label": "Có tổ chức hội nghị NLĐ", "type": "yes_no", "required": False},
]
RULES: list[dict[str, Any]] = [{"kind": "le", "left": "kn", "right": "tt"}]


async def unit(
    session: AsyncSession,
    code: str,
    parent: OrgUnit | None = None,
    *,
    kind: str = "grassroots_union",
    block: str | None = None,
) -> OrgUnit:
    return await make_unit(session, code, f"CĐ {code}", parent=parent, kind=UnitKind(kind), block=block)


async def person(
    session: AsyncSession, name: str, *, at: OrgUnit, role: Role, private_chat: bool = True
) -> Person:
    return await make_person(
        session,
        name,
        telegram_user_id=700_000 + next(_ids),
        roles=[(role, at)],
        private_chat=private_chat,
        chat_title=name,
    )


@dataclass
class Tree:
    """P ─ D1 ─ G1 (co_quan), G2 (truong_hoc); P ─ S1 ─ G3 (doanh_nghiep), G4 (co_quan); P ─ G5 (xa_phuong).

    Every CĐCS has a leader with a private chat except G4 (no registered leader).
    Officers: at P, at D1; S1 has none (its escalations go to P's officer).
    """

    p: OrgUnit
    d1: OrgUnit
    s1: OrgUnit
    g: dict[str, OrgUnit]
    leaders: dict[str, Person]
    officer_p: Person
    officer_d1: Person
    extra: dict[str, Any] = field(default_factory=dict)


async def tree(session: AsyncSession) -> Tree:
    p = await unit(session, "P", kind="province_federation")
    d1 = await unit(session, "D1", p, kind="district_federation")
    s1 = await unit(session, "S1", p, kind="sector_union")
    g = {
        "G1": await unit(session, "G1", d1, block="co_quan"),
        "G2": await unit(session, "G2", d1, block="truong_hoc"),
        "G3": await unit(session, "G3", s1, block="doanh_nghiep"),
        "G4": await unit(session, "G4", s1, block="co_quan"),
        "G5": await unit(session, "G5", p, block="xa_phuong"),
    }
    leaders = {
        code: await person(session, f"Chủ tịch {code}", at=u, role=Role.leader)
        for code, u in g.items()
        if code != "G4"
    }
    officer_p = await person(session, "Cán bộ tỉnh", at=p, role=Role.officer)
    officer_d1 = await person(session, "Cán bộ huyện", at=d1, role=Role.officer)
    return Tree(p, d1, s1, g, leaders, officer_p, officer_d1)


async def template(session: AsyncSession, code: str = "TK") -> ReportTemplate:
    return await save_template(
        session=session, code=code, name="Báo cáo công tác công đoàn", fields=FIELDS, rules=RULES
    )


async def round_for(
    session: AsyncSession,
    t: Tree,
    tpl: ReportTemplate,
    *,
    deadline: datetime = DEADLINE,
    now: datetime = NOW,
    **kwargs: Any,
) -> ReportRound:
    return await open_round(
        session=session,
        template_id=tpl.id,
        period_kind=PeriodKind.month,
        deadline=deadline,
        root_unit_id=t.p.id,
        target_kinds=["grassroots_union"],
        now=now - timedelta(hours=1),
        **kwargs,
    )


@dataclass
class Sent:
    chat_id: int
    text: str
    reply_markup: Any
    message_id: int


class FakeSender:
    """Stands in for aiogram's Bot at the `Sender` seam: records messages, can refuse some chats."""

    def __init__(self, refuse: set[int] | None = None) -> None:
        self.sent: list[Sent] = []
        self.refuse = refuse or set()
        self._next = itertools.count(1000)

    async def send_message(self, chat_id: int, text: str, **kwargs: Any) -> Sent:
        if chat_id in self.refuse:
            raise RuntimeError("Forbidden: bot was blocked by the user")
        msg = Sent(chat_id, text, kwargs.get("reply_markup"), next(self._next))
        self.sent.append(msg)
        return msg

    def to(self, chat_id: int) -> list[Sent]:
        return [m for m in self.sent if m.chat_id == chat_id]
