"""Asking, reminding only the missing, escalating after the deadline, opening rounds on schedule."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from config.settings import Settings
from reports.models import PeriodKind, ReportMessage, ReportRound, ReportSchedule
from reports.notify import remind_missing
from reports.periods import scheduled_dates
from reports.scheduled import announce_pending, escalate_overdue, open_scheduled_rounds, send_reminders
from reports.services import submit
from storage.db import Database
from tests.outbox_helpers import SenderTransport, drain
from tests.reports.factories import DEADLINE, NOW, FakeSender, Tree, round_for, template, tree

GOOD = {"tt": "120", "kn": "12", "ntg": "300"}


async def run_job(job: Any, db: Database, settings: Settings, sender: FakeSender, **kw: Any) -> Any:
    """Runs a report job, then lets the delivery engine send what it queued to `sender`."""
    summary = await job(db=db, settings=settings, **kw)
    await drain(db, SenderTransport(sender))
    return summary


def chat(t: Tree, code: str) -> int:
    tg = t.leaders[code].telegram_user_id
    assert tg is not None
    return tg


async def setup(db: Database) -> tuple[Tree, int]:
    async with db.transaction() as session:
        t = await tree(session)
        r = await round_for(session, t, await template(session))
        return t, r.id


async def test_opening_asks_every_leader_and_tells_officers_who_cannot_be_reached(
    db: Database, settings: Settings
) -> None:
    t, round_id = await setup(db)
    sender = FakeSender()
    summary = await run_job(announce_pending, db, settings, sender, now=NOW)
    assert summary == {"announced": 1, "sent": 4, "unreachable": 1}
    for code in ("G1", "G2", "G3", "G5"):
        [msg] = sender.to(chat(t, code))
        assert "Yêu cầu báo cáo" in msg.text and "20/11/2026" in msg.text and "/baocao TK" in msg.text
        assert msg.reply_markup.inline_keyboard[0][0].callback_data.startswith(f"rpf:start:{round_id}:")
    assert t.officer_p.telegram_user_id is not None
    [told] = sender.to(t.officer_p.telegram_user_id)  # S1 has no officer: the province's officer is told
    assert "CĐ G4" in told.text and "chưa có Chủ tịch CĐCS" in told.text
    # idempotent: a second run sends nothing
    assert (await run_job(announce_pending, db, settings, sender, now=NOW))["announced"] == 0
    async with db.transaction() as session:
        assert len(list(await session.scalars(select(ReportMessage)))) == 4


async def test_reminders_go_only_to_the_missing_once_per_offset(db: Database, settings: Settings) -> None:
    t, round_id = await setup(db)
    async with db.transaction() as session:
        for code in ("G1", "G3"):
            await submit(session=session, round_id=round_id, unit_id=t.g[code].id, raw=GOOD, now=NOW)
    sender = FakeSender()
    too_early = datetime(2026, 11, 16, 0, 0, tzinfo=UTC)  # 07:00 on 17/11 local is before the 3-day reminder
    assert (await run_job(send_reminders, db, settings, sender, now=too_early))["rounds"] == 0
    three_days = datetime(2026, 11, 17, 1, 30, tzinfo=UTC)  # 08:30 on 17/11 in Hà Nội
    summary = await run_job(send_reminders, db, settings, sender, now=three_days)
    assert summary == {"rounds": 1, "sent": 2, "missing": 3}  # G2, G5 reachable; G4 has no leader
    assert {m.chat_id for m in sender.sent} == {chat(t, "G2"), chat(t, "G5")}
    assert all("Nhắc báo cáo" in m.text for m in sender.sent)
    again = await run_job(send_reminders, db, settings, sender, now=three_days + timedelta(hours=1))
    assert again["rounds"] == 0 and len(sender.sent) == 2
    async with db.transaction() as session:
        await submit(session=session, round_id=round_id, unit_id=t.g["G2"].id, raw=GOOD, now=three_days)
    one_day = datetime(2026, 11, 19, 2, 0, tzinfo=UTC)
    await run_job(send_reminders, db, settings, sender, now=one_day)
    assert [m.chat_id for m in sender.sent[2:]] == [chat(t, "G5")]
    async with db.transaction() as session:
        r = await session.get(ReportRound, round_id)
        assert r is not None and r.reminders_sent == [3, 1]


async def test_escalation_after_the_deadline_lists_missing_units_to_the_parent_officer(
    db: Database, settings: Settings
) -> None:
    t, round_id = await setup(db)
    async with db.transaction() as session:
        for code in ("G1", "G5"):
            await submit(session=session, round_id=round_id, unit_id=t.g[code].id, raw=GOOD, now=NOW)
    sender = FakeSender()
    before = await run_job(escalate_overdue, db, settings, sender, now=DEADLINE - timedelta(minutes=1))
    assert before["rounds"] == 0
    summary = await run_job(escalate_overdue, db, settings, sender, now=DEADLINE + timedelta(minutes=5))
    assert summary == {"rounds": 1, "missing": 3, "officers_told": 2}
    assert t.officer_d1.telegram_user_id is not None and t.officer_p.telegram_user_id is not None
    [to_d1] = sender.to(t.officer_d1.telegram_user_id)
    assert "Quá hạn báo cáo" in to_d1.text and "CĐ G2" in to_d1.text and "CĐ G3" not in to_d1.text
    [to_p] = sender.to(t.officer_p.telegram_user_id)
    assert "CĐ G3" in to_p.text and "CĐ G4" in to_p.text and "CĐ G2" not in to_p.text
    assert to_d1.reply_markup.inline_keyboard[0][0].callback_data == f"rpo:remind:{round_id}:{t.d1.id}"
    assert (await run_job(escalate_overdue, db, settings, sender, now=DEADLINE + timedelta(hours=1)))[
        "rounds"
    ] == 0


async def test_remind_now_reaches_only_the_missing_of_the_subtree(db: Database) -> None:
    t, round_id = await setup(db)
    sender = FakeSender(refuse={chat(t, "G3")})
    async with db.transaction() as session:
        await submit(session=session, round_id=round_id, unit_id=t.g["G1"].id, raw=GOOD, now=NOW)
        r = await session.get(ReportRound, round_id)
        assert r is not None
        result = await remind_missing(session=session, round_=r, root_path=t.p.path, kind="manual")
    assert result == {"missing": 4, "sent": 3, "unreachable": 1}  # G4 has no leader: nothing queued for it
    stats = await drain(db, SenderTransport(sender))
    assert {m.chat_id for m in sender.sent} == {chat(t, "G2"), chat(t, "G5")}
    assert stats.blocked == 1  # G3 blocked Loa: its record says so, the others went out


async def test_scheduled_monthly_round_opens_on_the_15th_due_on_the_20th(
    db: Database, settings: Settings
) -> None:
    async with db.transaction() as session:
        t = await tree(session)
        await template(session)
        session.add(
            ReportSchedule(
                template_code="TK",
                period_kind="month",
                open_day=15,
                due_day=20,
                root_unit_id=t.p.id,
                target_kinds=["grassroots_union"],
                target_blocks=[],
                reminder_offsets=[3, 1, 0],
            )
        )
    sender = FakeSender()
    on_14th = datetime(2026, 11, 14, 3, tzinfo=UTC)
    assert (await run_job(open_scheduled_rounds, db, settings, sender, now=on_14th))["opened"] == []
    on_15th = datetime(2026, 11, 15, 1, tzinfo=UTC)
    first = await run_job(open_scheduled_rounds, db, settings, sender, now=on_15th)
    assert len(first["opened"]) == 1 and first["announced"] == 1 and first["sent"] == 4
    second = await run_job(open_scheduled_rounds, db, settings, sender, now=on_15th + timedelta(hours=1))
    assert second["opened"] == [] and len(sender.sent) == 4 + 1  # 4 leaders + 1 officer note, once
    async with db.transaction() as session:
        r = await session.get(ReportRound, first["opened"][0])
        assert r is not None
        assert (r.period_start, r.period_end) == (date(2026, 11, 1), date(2026, 11, 30))
        assert r.deadline == datetime(2026, 11, 20, 16, 59, 59, tzinfo=UTC)


def test_scheduled_dates() -> None:
    assert scheduled_dates(PeriodKind.month, date(2026, 11, 17), 15, 20) == (
        date(2026, 11, 15),
        date(2026, 11, 20),
    )
    assert scheduled_dates(PeriodKind.month, date(2026, 11, 21), 15, 20) is None
    assert scheduled_dates(PeriodKind.quarter, date(2026, 11, 17), 15, 20) is None
    assert scheduled_dates(PeriodKind.quarter, date(2026, 12, 16), 15, 20) == (
        date(2026, 12, 15),
        date(2026, 12, 20),
    )
    # due early next month
    assert scheduled_dates(PeriodKind.month, date(2027, 1, 3), 25, 5) == (
        date(2026, 12, 25),
        date(2027, 1, 5),
    )


async def test_report_jobs_are_registered_and_run_with_the_process_objects(
    db: Database, settings: Settings
) -> None:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from reports.scheduled import register_report_jobs
    from storage.jobs import leader_guard
    from storage.locks import DatabaseLeaderLock

    sender = FakeSender()
    scheduler = AsyncIOScheduler(timezone=settings.tz)
    runs: list[tuple[str, str]] = []
    guard = leader_guard(
        DatabaseLeaderLock(db, ttl_seconds=30), on_run=lambda job, how: runs.append((job, how))
    )
    register_report_jobs(scheduler, db=db, settings=settings, guard=guard)
    jobs = {j.id: j for j in scheduler.get_jobs()}
    assert set(jobs) == {
        "reports.open_scheduled_rounds",
        "reports.send_reminders",
        "reports.escalate_overdue",
    }
    t, round_id = await setup(db)
    async with db.transaction() as session:
        r = await session.get(ReportRound, round_id)
        assert r is not None
        r.deadline = datetime.now(UTC) - timedelta(hours=1)  # overdue now: the escalation job has work
    summary = await jobs["reports.escalate_overdue"].func()
    assert summary["rounds"] == 1 and runs == [("reports.escalate_overdue", "ok")]
    await drain(db, SenderTransport(sender))
    assert sender.to(t.officer_p.telegram_user_id or 0)
