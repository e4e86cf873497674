"""A union with many CĐCS whose chairs and groups exist in the Telegram sandbox too."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from directory.models import OrgUnit, Person, Role, UnitKind
from reports.models import PeriodKind, ReportRound
from reports.services import open_round
from sandbox.client import SandboxClient
from storage.base import utcnow
from tests.factories import make_group, make_person, make_unit
from tests.reports.factories import template


@dataclass
class Union:
    root: OrgUnit
    leaders: list[Person] = field(default_factory=list)
    leader_chats: list[int] = field(default_factory=list)
    groups: list[int] = field(default_factory=list)
    officer: Person | None = None


async def union(
    session: AsyncSession, client: SandboxClient, *, grassroots: int, groups: int = 0, leaders: bool = True
) -> Union:
    root = await make_unit(session, "LDLD", "Liên đoàn Lao động tỉnh", kind=UnitKind.province_federation)
    upper = await make_unit(
        session, "CDN", "Công đoàn ngành Giáo dục", parent=root, kind=UnitKind.sector_union
    )
    u = Union(root)
    officer_user = await client.create_user("Cán bộ tỉnh")
    u.officer = await make_person(
        session,
        "Cán bộ tỉnh",
        telegram_user_id=officer_user["id"],
        roles=[(Role.officer, root), (Role.approver, root)],
        private_chat=True,
    )
    for i in range(grassroots):
        unit = await make_unit(session, f"CS{i:04d}", f"CĐCS Trường {i:04d}", parent=upper)
        if leaders:
            user = await client.create_user(f"Chủ tịch {i:04d}")
            person = await make_person(
                session,
                f"Chủ tịch {i:04d}",
                telegram_user_id=user["id"],
                roles=[(Role.leader, unit)],
                private_chat=True,
            )
            u.leaders.append(person)
            u.leader_chats.append(user["id"])
        if i < groups:
            group = await client.create_group(f"Nhóm CS{i:04d}", member_ids=[officer_user["id"]])
            await make_group(session, unit, telegram_chat_id=group["id"])
            u.groups.append(group["id"])
    return u


async def open_monthly_round(session: AsyncSession, u: Union) -> ReportRound:
    tpl = await template(session)
    now = utcnow()
    return await open_round(
        session=session,
        template_id=tpl.id,
        period_kind=PeriodKind.month,
        deadline=now + timedelta(days=5),
        root_unit_id=u.root.id,
        target_kinds=["grassroots_union"],
        now=now,
    )
