"""The console in the demo: a province officer's sign-in for `loa demo --serve`, and the data the README
screenshot and the console benchmark use (the province and directive scenes, then a monthly round half
answered and a petition). Outer ring: production code never imports this."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from archive import petition_delivery
from demo.report_scene import BLOCK, CODE, FIELDS, RULES
from directory import people
from directory.auth import hash_password
from directory.models import Role
from reports.models import PeriodKind
from reports.services import open_round, save_template, submit
from storage.base import utcnow
from storage.db import Database

DEMO_LOGIN = "tuyengiao"


async def give_demo_login(db: Database, *, root_unit_id: int) -> tuple[str, str]:
    """(login, password) of an officer at the province's root."""
    password = secrets.token_urlsafe(9)
    async with db.transaction() as session:
        holders = await people.holders(session, unit_ids=[root_unit_id], roles={Role.officer})
        person = holders[0][0]
        person.login = DEMO_LOGIN
        person.password_hash = hash_password(password)
    return DEMO_LOGIN, password


async def build_console_demo(ctx: Any) -> tuple[str, str]:
    """`ctx` is a demo.run.DemoContext; returns the officer's (login, password)."""
    from demo.run import scene_broadcast, scene_directory

    await scene_directory(ctx)
    await scene_broadcast(ctx)
    province = ctx.facts["province"]
    async with ctx.loa.db.transaction() as s:
        template = await save_template(
            session=s, code=CODE, name="Báo cáo tình hình đoàn viên", fields=FIELDS, rules=RULES
        )
        round_ = await open_round(
            session=s,
            template_id=template.id,
            period_kind=PeriodKind.month,
            deadline=utcnow() + timedelta(days=4),
            root_unit_id=province.root.id,
            target_blocks=[BLOCK],
        )
        targets = [g for g in province.grassroots if g.block == BLOCK]
        for i, unit in enumerate(targets[: len(targets) // 2]):
            raw = {"dv": str(100 + 7 * i), "kn": str(i % 5), "giam": "1", "tt": "có"}
            await submit(session=s, round_id=round_.id, unit_id=unit.id, raw=raw, channel="demo")
        await petition_delivery.submit(
            s,
            sender=province.members[0],
            category="tien_luong",
            text="Đề nghị công đoàn làm rõ việc chậm trả lương tháng 11 ở phân xưởng may.",
        )
    return await give_demo_login(ctx.loa.db, root_unit_id=province.root.id)
