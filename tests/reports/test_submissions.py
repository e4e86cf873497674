from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from reports.errors import Conflict, InvalidReply, NotTargeted, RoundClosed
from reports.models import ReportRevision, ReportTarget, ReportValue, SubmissionStatus
from reports.notify import notify_review
from reports.services import (
    close_round,
    current_template,
    find_submission,
    form_of_round,
    review,
    revisions,
    save_template,
    submit,
)
from storage.db import Database
from tests.outbox_helpers import queued_texts
from tests.reports.factories import DEADLINE, FIELDS, NOW, RULES, round_for, template, tree

GOOD = {"tt": "120", "kn": "12", "ntg": "300"}


async def test_round_targets_are_the_grassroots_of_the_subtree(db: Database) -> None:
    async with db.transaction() as session:
        t = await tree(session)
        r = await round_for(session, t, await template(session))
        targets = set(
            await session.scalars(select(ReportTarget.unit_id).where(ReportTarget.round_id == r.id))
        )
        assert targets == {u.id for u in t.g.values()}
        assert r.title == "Báo cáo công tác công đoàn tháng 11/2026"


async def test_targets_by_block(db: Database) -> None:
    async with db.transaction() as session:
        t = await tree(session)
        r = await round_for(session, t, await template(session), target_blocks=["co_quan"])
        targets = set(
            await session.scalars(select(ReportTarget.unit_id).where(ReportTarget.round_id == r.id))
        )
        assert targets == {t.g["G1"].id, t.g["G4"].id}


async def test_resubmission_creates_a_revision_and_the_latest_counts(db: Database) -> None:
    async with db.transaction() as session:
        t = await tree(session)
        r = await round_for(session, t, await template(session))
        g1 = t.g["G1"]
        first = await submit(session=session, round_id=r.id, unit_id=g1.id, raw=GOOD, channel="line", now=NOW)
        second = await submit(
            session=session,
            round_id=r.id,
            unit_id=g1.id,
            raw={**GOOD, "kn": "khoảng 15"},
            channel="form",
            now=NOW + timedelta(hours=1),
        )
        assert first.submission.id == second.submission.id
        history = await revisions(session=session, submission_id=second.submission.id)
        assert [(h.number, h.values["kn"], h.channel) for h in history] == [
            (1, "12", "line"),
            (2, "15", "form"),
        ]
        assert history[1].estimates == ["kn"]
        values = dict(
            (
                await session.execute(
                    select(ReportValue.field_key, ReportValue.num_value).where(ReportValue.unit_id == g1.id)
                )
            )
            .tuples()
            .all()
        )
        assert values == {"tt": 120.0, "kn": 15.0, "ntg": 300.0}
        assert second.submission.revision_count == 2
        assert second.submission.is_late is False


async def test_invalid_reply_stores_nothing(db: Database) -> None:
    async with db.transaction() as session:
        t = await tree(session)
        r = await round_for(session, t, await template(session))
        with pytest.raises(InvalidReply) as info:
            await submit(
                session=session, round_id=r.id, unit_id=t.g["G1"].id, raw={**GOOD, "kn": "200"}, now=NOW
            )
        assert "«Số đoàn viên kết nạp mới» (kn): đã nhập 200" in info.value.message
        assert await find_submission(session=session, round_id=r.id, unit_id=t.g["G1"].id) is None
        assert await session.scalar(select(func.count()).select_from(ReportRevision)) == 0


async def test_late_submission_is_accepted_and_marked_late(db: Database) -> None:
    async with db.transaction() as session:
        t = await tree(session)
        r = await round_for(session, t, await template(session))
        late = await submit(
            session=session,
            round_id=r.id,
            unit_id=t.g["G2"].id,
            raw=GOOD,
            now=DEADLINE + timedelta(seconds=1),
        )
        assert late.submission.is_late is True and late.revision.is_late is True


async def test_closed_round_and_non_target_units_refuse(db: Database) -> None:
    async with db.transaction() as session:
        t = await tree(session)
        r = await round_for(session, t, await template(session))
        with pytest.raises(NotTargeted):
            await submit(session=session, round_id=r.id, unit_id=t.d1.id, raw=GOOD, now=NOW)
        await close_round(session=session, round_id=r.id, now=NOW)
        with pytest.raises(RoundClosed, match="khoá sổ"):
            await submit(session=session, round_id=r.id, unit_id=t.g["G1"].id, raw=GOOD, now=NOW)


async def test_review_accept_and_return_notify_the_leader(db: Database) -> None:
    async with db.transaction() as session:
        t = await tree(session)
        r = await round_for(session, t, await template(session))
        done = await submit(session=session, round_id=r.id, unit_id=t.g["G1"].id, raw=GOOD, now=NOW)
        with pytest.raises(Conflict, match="lý do"):
            await review(session=session, submission_id=done.submission.id, reviewer_id=None, accept=False)
        returned = await review(
            session=session,
            submission_id=done.submission.id,
            reviewer_id=t.officer_d1.id,
            accept=False,
            comment="Số kết nạp chưa khớp sổ",
            now=NOW,
        )
        assert returned.status == SubmissionStatus.returned.value
        assert await notify_review(session=session, submission=returned) == 1
        leader_chat = t.leaders["G1"].telegram_user_id
        assert leader_chat is not None
        [notice] = await queued_texts(session, leader_chat)
        assert "bị trả lại" in notice and "Số kết nạp chưa khớp sổ" in notice
        again = await submit(session=session, round_id=r.id, unit_id=t.g["G1"].id, raw=GOOD, now=NOW)
        assert again.submission.status == SubmissionStatus.submitted.value
        accepted = await review(
            session=session,
            submission_id=again.submission.id,
            reviewer_id=t.officer_d1.id,
            accept=True,
            now=NOW,
        )
        await notify_review(session=session, submission=accepted)
        assert "đã được chấp nhận" in (await queued_texts(session, leader_chat))[-1]


async def test_template_versions_keep_past_rounds_meaning(db: Database) -> None:
    async with db.transaction() as session:
        t = await tree(session)
        v1 = await template(session)
        assert await template(session) is v1  # unchanged definition: same version
        r = await round_for(session, t, v1)
        changed = [*FIELDS[:2], {**FIELDS[2], "label": "Số người dự hội nghị"}]
        v2 = await save_template(session=session, code="tk", name=v1.name, fields=changed, rules=RULES)
        assert (v2.version, v2.is_current, v1.is_current) == (2, True, False)
        assert (await current_template(session=session, code="TK")).id == v2.id
        form = await form_of_round(session=session, round_=r)
        assert form.version == 1 and [f.key for f in form.fields] == ["tt", "kn", "ntg", "tl", "hd"]
        stored = await submit(session=session, round_id=r.id, unit_id=t.g["G1"].id, raw=GOOD, now=NOW)
        assert stored.checked.values["ntg"] == Decimal(300)


async def test_choice_and_text_values_are_stored_beside_numbers(db: Database) -> None:
    fields = [
        *FIELDS[:2],
        {"key": "nganh", "label": "Ngành", "type": "choice", "choices": ["Giáo dục", "Y tế"]},
        {"key": "gc", "label": "Ghi chú", "type": "text", "required": False},
    ]
    async with db.transaction() as session:
        t = await tree(session)
        tpl = await save_template(session=session, code="MIX", name="Hỗn hợp", fields=fields)
        r = await round_for(session, t, tpl)
        await submit(
            session=session,
            round_id=r.id,
            unit_id=t.g["G1"].id,
            now=NOW,
            raw={"tt": "10", "kn": "1", "nganh": "y te", "gc": "=cmd"},
        )
        rows = (
            (
                await session.execute(
                    select(ReportValue.field_key, ReportValue.num_value, ReportValue.text_value).order_by(
                        ReportValue.field_key
                    )
                )
            )
            .tuples()
            .all()
        )
        assert rows == [("gc", None, "=cmd"), ("kn", 1.0, None), ("nganh", None, "Y tế"), ("tt", 10.0, None)]
