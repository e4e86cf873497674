"""Demo data for the console's screenshot and benchmark: the demo's province and directive scenes, then a
monthly round half answered, a petition waiting, and an officer's sign-in. Demo ring only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from archive import petition_delivery
from console.demo_login import give_demo_login
from reports.demo_scene import BLOCK, CODE, FIELDS, RULES
from reports.models import PeriodKind
from reports.services import open_round, save_template, submit
from storage.base import utcnow


async def build_console_demo(ctx: Any) -> tuple[str, str]:
    """`ctx` is a bot.demo.DemoContext; returns the officer's (login, password)."""
    from bot.demo import scene_broadcast, scene_directory

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
