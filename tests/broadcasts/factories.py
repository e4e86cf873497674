"""Small factories for broadcast tests: a province tree, chats and people, written with the models."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from directory.models import Block, Chat, OrgUnit, Person, Role, UnitKind
from tests.factories import make_group, make_person, make_unit, tg

__all__ = ["Province", "ensure_blocks", "group", "person", "province", "tg", "unit"]

_ids = itertools.count(1)


async def unit(
    session: AsyncSession,
    code: str,
    parent: OrgUnit | None = None,
    *,
    kind: str = "grassroots_union",
    block: str | None = None,
) -> OrgUnit:
    return await make_unit(session, code, f"Đơn vị {code}", parent=parent, kind=UnitKind(kind), block=block)


async def person(
    session: AsyncSession,
    name: str,
    *,
    at: OrgUnit | None = None,
    role: Role = Role.member,
    private_chat: bool = True,
) -> Person:
    return await make_person(
        session,
        name,
        telegram_user_id=500_000 + next(_ids),
        roles=[(role, at)] if at is not None else [],
        private_chat=private_chat,
        chat_title=name,
        chat_unit=at,
    )


async def group(
    session: AsyncSession, at: OrgUnit, *, block: str | None = None, tg_id: int | None = None
) -> Chat:
    return await make_group(session, at, telegram_chat_id=tg_id or -(1_000_000 + next(_ids)), block=block)


@dataclass
class Province:
    province: OrgUnit
    uppers: list[OrgUnit]
    grassroots: list[OrgUnit]
    groups: list[Chat]
    leaders: list[Person]
    officer: Person
    approver: Person
    extra: dict[str, object] = field(default_factory=dict)


async def ensure_blocks(session: AsyncSession) -> None:
    for code in ("co_quan", "truong_hoc"):
        if await session.get(Block, code) is None:
            session.add(Block(code=code, name=code, sort_order=0))
    await session.flush()


async def province(session: AsyncSession, *, uppers: int = 2, per_upper: int = 3) -> Province:
    """A province; each upper union has a group per block and `per_upper` CĐCS with a leader and group."""
    await ensure_blocks(session)
    prov = await unit(session, f"P{next(_ids)}", kind="province_federation")
    ups, grs, groups, leaders = [], [], [], []
    for i in range(uppers):
        up = await unit(session, f"U{next(_ids)}", prov, kind="district_federation")
        ups.append(up)
        for blk in ("co_quan", "truong_hoc"):
            groups.append(await group(session, up, block=blk))
        for j in range(per_upper):
            blk = "co_quan" if j % 2 == 0 else "truong_hoc"
            g = await unit(session, f"G{next(_ids)}", up, block=blk)
            grs.append(g)
            groups.append(await group(session, g))
            leaders.append(await person(session, f"Chủ tịch {i}-{j}", at=g, role=Role.leader))
    officer = await person(session, "Cán bộ Tuyên giáo", at=prov, role=Role.officer)
    approver = await person(session, "Phó Chủ tịch", at=prov, role=Role.approver)
    return Province(prov, ups, grs, groups, leaders, officer, approver)
