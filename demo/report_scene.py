"""The report-rounds part of `loa demo`: a monthly round «Báo cáo tình hình đoàn viên» opens for the
enterprise block of the whole province; the request reaches every CĐCS chair through the real bot, and
simulated chairs answer in all three ways, typing the way people type, one with an error they then fix;
an officer accepts one report and returns another. The clock is then advanced through the `now=` of the
jobs (no sleeping): reminders reach only the units still missing, two units report after the deadline,
and the escalation lists the rest to the officers of their parent unions. Ends with the roll-up,
completeness and timeliness per upper union, and the XLSX and chart written to the work directory."""

from __future__ import annotations

import asyncio
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.app import Loa
from common.text import plain
from common.vietnamese import format_date, format_datetime
from demo.province import DemoProvince
from demo.world import DemoWorld
from directory.models import OrgUnit, Person
from reports.chart import completeness_chart
from reports.exports import export_xlsx
from reports.figures import format_number
from reports.models import PeriodKind
from reports.periods import end_of_day
from reports.rollup import completeness, rollup, totals
from reports.scheduled import announce_round, escalate_overdue, send_reminders
from reports.services import form_of_round, get_round, open_round, save_template, submit
from reports.texts import percent
from sandbox.client import SandboxClient
from storage.base import utcnow

JSON = dict[str, Any]
CODE = "DV"
BLOCK = "doanh_nghiep"
FIELDS: list[JSON] = [
    {"key": "dv", "label": "Tổng số đoàn viên", "unit": "người"},
    {"key": "kn", "label": "Kết nạp mới trong tháng", "unit": "người"},
    {"key": "giam", "label": "Đoàn viên giảm trong tháng", "unit": "người"},
    {"key": "tt", "label": "Có tổ chức tuyên truyền pháp luật cho NLĐ", "type": "yes_no"},
    {"key": "gc", "label": "Ghi chú", "type": "text", "required": False},
]
RULES: list[JSON] = [
    {"kind": "le", "left": "kn", "right": "dv"},
    {"kind": "le", "left": "giam", "right": "dv"},
]


def _dots(n: int) -> str:
    return f"{n:,}".replace(",", ".")


@dataclass
class Talk:
    """One private chat with Loa, as a person sees it: what they send and the bot's next message."""

    sandbox: SandboxClient
    chat: int
    timeout: float
    seen: int = 0
    request: JSON = field(default_factory=dict)  # Loa's report request in this chat
    latest: JSON = field(default_factory=dict)

    async def next(self) -> JSON:
        msgs = await self.sandbox.wait_for_messages(self.chat, count=self.seen + 1, timeout=self.timeout)
        self.seen += 1
        self.latest = msgs[self.seen - 1]
        return self.latest

    async def send(self, text: str, reply_to: JSON | None = None) -> None:
        reply_id = reply_to["message_id"] if reply_to else None
        await self.sandbox.send_user_message(self.chat, text=text, reply_to_message_id=reply_id)

    async def say(self, text: str, reply_to: JSON | None = None) -> str:
        await self.send(text, reply_to)
        return plain((await self.next())["text"])

    async def press(self, prefix: str, message: JSON | None = None) -> str:
        message = message or self.latest
        rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
        data = next(b["callback_data"] for row in rows for b in row if b["callback_data"].startswith(prefix))
        await self.sandbox.press_button(self.chat, message["message_id"], data)
        return plain((await self.next())["text"])


def _head(text: str) -> str:
    return text.splitlines()[0].removeprefix("✅ ").split(" Báo cáo")[0]


def _issue(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("• «")).removeprefix("• ")


async def _by_line(t: Talk, text: str) -> str:
    return f"trả lời tin yêu cầu «{text}» → {_head(await t.say(text, reply_to=t.request))}"


async def _by_command(t: Talk, wrong: str, right: str) -> str:
    error = _issue(await t.say(wrong)).rstrip(".")
    return f"gõ «{wrong}» → ❗ {error}; gõ lại «{right}» → {_head(await t.say(right))}"


async def _by_form(t: Talk, answers: list[str]) -> str:
    await t.press("rpf:start:", t.request)
    error = ""
    for answer in answers:
        reply = await t.say(answer)
        if reply.startswith("❗"):
            error = (
                f" (gõ «{answer}» → {reply.splitlines()[0].removeprefix('❗ ').split(' — ')[0]}; nhập lại)"
            )
    await t.press("rpf:skip")  # the optional note
    done = await t.press("rpf:ok")
    return (
        f"bấm «📝 Nhập theo mẫu», trả lời {len(answers)} câu{error}, bỏ qua Ghi chú, bấm ✅ → {_head(done)}"
    )


async def _review(boss: Talk, officer: Person, a: Talk, b: Talk, names: tuple[str, str], fix: str) -> str:
    """The officer accepts `a`'s report and returns `b`'s with a comment; `b` corrects and resends."""
    await boss.send("/duyet")
    cards = [await boss.next(), await boss.next()]
    card_a, card_b = (next(m for m in cards if name in m["text"]) for name in names)
    await boss.press("rpv:ok:", card_a)
    accepted = "đã được chấp nhận" in plain((await a.next())["text"])
    await boss.press("rpv:ret:", card_b)
    reason = "Số giảm chưa khớp danh sách chuyển sinh hoạt"
    await boss.say(reason)
    notice = plain((await b.next())["text"])
    returned = "bị trả lại" in notice and reason in notice
    fixed = await b.say(fix, reply_to=b.request)
    return (
        f"Cán bộ {officer.full_name} gõ /duyet: chấp nhận {names[0]}"
        f"{' (đơn vị được báo)' if accepted else ''}; trả lại {names[1]} «{reason}»"
        f"{' → Chủ tịch được báo kèm lý do' if returned else ''}, sửa và trả lời lại → {_head(fixed)}"
    )


async def _telegram_ids(loa: Loa, world: DemoWorld, people: list[Person]) -> dict[int, int]:
    """Sandbox ids; people registered in the directory scene are not in the world's map."""
    found = {p.id: world.telegram_of[p.id] for p in people if p.id in world.telegram_of}
    async with loa.db.transaction() as s:
        rows = await s.execute(
            select(Person.id, Person.telegram_user_id).where(Person.id.in_([p.id for p in people]))
        )
        for pid, tid in rows.tuples():
            if pid not in found and tid is not None:
                found[pid] = tid
    return found


async def play_report_scene(
    *,
    sandbox: SandboxClient,
    loa: Loa,
    province: DemoProvince,
    world: DemoWorld,
    workdir: Path,
    timeout: float = 20.0,
) -> list[str]:
    tz = loa.settings.tz
    now = utcnow()
    deadline = end_of_day(now.astimezone(tz).date() + timedelta(days=4), tz)
    uppers = {u.code.rsplit("-", 1)[-1]: u for u in province.upper_unions}

    def enterprises(code: str) -> list[OrgUnit]:
        units = [g for g in province.grassroots if g.parent_id == uppers[code].id and g.block == BLOCK]
        return sorted(units, key=lambda u: u.code)

    a = max(enterprises("KCN"), key=lambda u: u.member_count)  # the largest: «2.507 người»
    (b, e, *_), (c, *_), (d, f, *_) = (
        [u for u in enterprises("KCN") if u is not a],
        *map(enterprises, "CT XD".split()),
    )
    officer = province.officers[uppers["KCN"].id][0]
    ids = await _telegram_ids(loa, world, [province.leaders[u.id] for u in (a, b, c, d, e)] + [officer])
    talks = {u.id: Talk(sandbox, ids[province.leaders[u.id].id], timeout) for u in (a, b, c, d, e)}
    boss = Talk(sandbox, ids[officer.id], timeout)
    for t in [*talks.values(), boss]:
        t.seen = len(await sandbox.get_messages(t.chat))

    async with loa.db.transaction() as s:
        template = await save_template(
            session=s, code=CODE, name="Báo cáo tình hình đoàn viên", fields=FIELDS, rules=RULES
        )
        round_ = await open_round(
            session=s,
            template_id=template.id,
            period_kind=PeriodKind.month,
            deadline=deadline,
            root_unit_id=province.root.id,
            target_blocks=[BLOCK],
            now=now,
        )
        asked = await announce_round(session=s, round_=round_, now=now)
        round_id, title = round_.id, round_.title
    lines = [
        f"Biểu mẫu {CODE} ({len(FIELDS)} chỉ tiêu; kết nạp, giảm ≤ tổng số) — kỳ «{title}» cho khối "
        f"doanh nghiệp toàn thành phố: {asked['targets']} CĐCS, hạn {format_datetime(deadline)}",
        f"Loa nhắn yêu cầu tới {asked['sent']} Chủ tịch CĐCS "
        f"({asked['unreachable']} đơn vị chưa liên lạc được)",
    ]
    for t in talks.values():
        t.request = await t.next()

    async def kcn_chairs_then_review() -> list[str]:
        first = await asyncio.gather(
            _by_line(talks[a.id], f"{_dots(a.member_count + 7)} người 15 4 co"),
            _by_line(talks[b.id], f"kn=6 giam=2 dv={b.member_count} tt=khong"),
        )
        fix = f"dv={b.member_count} kn=6 giam=3 tt=khong"
        return [*first, await _review(boss, officer, talks[a.id], talks[b.id], (a.name, b.name), fix)]

    about = round(c.member_count, -1)
    limits = await sandbox.get_limits()
    # The simulated chairs answer in milliseconds; a person takes seconds per answer, far below
    # Telegram's per-chat pace, so the per-chat burst is widened while they type (restored below).
    await sandbox.set_limits(per_chat_burst=max(20, int(limits["per_chat_burst"])))
    try:
        kcn_lines, c_line, d_line = await asyncio.gather(
            kcn_chairs_then_review(),
            _by_command(
                talks[c.id],
                f"/baocao DV dv=khoang {about} kn=10-12 giam=1 tt=co",
                f"/baocao DV dv=khoang {about} kn=12 giam=1 tt=co",
            ),
            _by_form(talks[d.id], [f"{d.member_count} nguoi", "muoi hai", "12", "2", "có"]),
        )
    finally:
        await sandbox.set_limits(per_chat_burst=int(limits["per_chat_burst"]))
    lines += [f"{a.name}: {kcn_lines[0]}", f"{b.name}: {kcn_lines[1]}"]
    lines += [f"{c.name}: {c_line}", f"{d.name}: {d_line}", kcn_lines[2]]

    remind_at = datetime.combine(deadline.astimezone(tz).date() - timedelta(days=1), time(8, 30), tzinfo=tz)
    named = {u.id for u in (a, b, c, d, e, f)}
    others = [u for u in province.grassroots if u.block == BLOCK and u.id not in named]
    quick = await _others_reply(loa, round_id, province, others[::3] + others[1::3], now, remind_at)
    lines.append(
        f"Trong tuần, {quick} Chủ tịch CĐCS khác cũng nộp đúng hạn (ghi thẳng qua dịch vụ để demo chạy nhanh)"
    )
    reminded = await send_reminders(db=loa.db, settings=loa.settings, now=remind_at)
    got = plain((await talks[e.id].next())["text"]).splitlines()[0]
    quiet = [len(await sandbox.get_messages(talks[u.id].chat)) == talks[u.id].seen for u in (a, b, c, d)]
    lines.append(
        f"Đồng hồ tới {format_datetime(remind_at)}: nhắc {reminded['sent']} đơn vị chưa nộp "
        f"(«{got}»); {sum(quiet)}/4 đơn vị đã nộp không bị nhắc"
    )

    late_at = deadline + timedelta(days=1, hours=2)
    async with loa.db.transaction() as s:
        for unit, raw in (
            (e, {"dv": f"{e.member_count} người", "kn": "0", "giam": "5", "tt": "ko", "gc": "Nghỉ việc"}),
            (f, {"dv": str(f.member_count), "kn": "3", "giam": "0", "tt": "roi"}),
        ):
            await submit(
                session=s,
                round_id=round_id,
                unit_id=unit.id,
                raw=raw,
                submitted_by_id=province.leaders[unit.id].id,
                channel="line",
                now=late_at,
            )
    lines.append(f"{format_date(late_at)}, sau hạn: {e.name} và {f.name} mới nộp → ghi «nộp muộn»")

    escalate_at = deadline + timedelta(days=2)
    escalated = await escalate_overdue(db=loa.db, settings=loa.settings, now=escalate_at)
    overdue = plain((await boss.next())["text"]).splitlines()
    lines.append(
        f"{format_date(escalate_at)}: {escalated['missing']} đơn vị chưa nộp → báo "
        f"{escalated['officers_told']} cán bộ công đoàn cấp trên; {officer.full_name} nhận "
        f"«{overdue[0]}» — {overdue[2].split('— ')[-1].rstrip(':')}"
    )
    lines += await _summary(loa, round_id, province, workdir)
    return lines


async def _others_reply(
    loa: Loa, round_id: int, province: DemoProvince, units: list[OrgUnit], start: datetime, until: datetime
) -> int:
    """Plausible figures for many units at once, at times spread over the week before `until`."""
    rng = random.Random(round_id)
    async with loa.db.transaction() as s:
        for unit in units:
            size = max(unit.member_count + rng.randint(-5, 5), 10)
            raw = {
                "dv": str(size),
                "kn": str(rng.randint(0, size // 40)),
                "giam": str(rng.randint(0, size // 60)),
                "tt": rng.choice(("co", "khong", "co")),
            }
            await submit(
                session=s,
                round_id=round_id,
                unit_id=unit.id,
                raw=raw,
                submitted_by_id=province.leaders[unit.id].id,
                channel="line",
                now=start + (until - start) * rng.random(),
            )
    return len(units)


async def _summary(loa: Loa, round_id: int, province: DemoProvince, workdir: Path) -> list[str]:
    async with loa.db.transaction() as s:
        round_ = await get_round(session=s, round_id=round_id)
        form = await form_of_round(session=s, round_=round_)
        [group] = await rollup(session=s, round_id=round_id, form=form, root_path=province.root.path)
        whole = await totals(session=s, round_=round_, root_path=province.root.path)
        rows = await completeness(session=s, round_=round_, parent=province.root)
        xlsx = await export_xlsx(session=s, round_=round_, root=province.root)
        title = round_.title
    value = {k: int(t.value or 0) for k, t in group.fields.items()}
    lines = [
        f"Tổng hợp {group.units} CĐCS đã nộp: {format_number(value['dv'])} đoàn viên, kết nạp mới "
        f"{value['kn']}, giảm {value['giam']}; {value['tt']}/{group.units} CĐCS có tuyên truyền",
        f"Đã nộp {whole.submitted}/{whole.expected} ({percent(whole.submitted, whole.expected)}), đúng hạn "
        f"{whole.on_time}/{whole.expected} ({percent(whole.on_time, whole.expected)}):",
    ]
    clusters = [r for r in rows if re.search(r"-C\d+$", r.code)]
    for r in [r for r in rows if r not in clusters]:
        lines.append(f"  {r.name}: nộp {r.submitted}/{r.expected}, đúng hạn {r.on_time}/{r.expected}")
    if clusters:
        expected, done = sum(r.expected for r in clusters), sum(r.submitted for r in clusters)
        lines.append(
            f"  {len(clusters)} công đoàn cụm xã, phường: nộp {done}/{expected}, "
            f"đúng hạn {sum(r.on_time for r in clusters)}/{expected} (từng cụm: xem biểu đồ)"
        )
    excel = workdir / "bao-cao-doan-vien.xlsx"
    excel.write_bytes(xlsx)
    chart = workdir / "bao-cao-doan-vien.png"
    chart.write_bytes(completeness_chart(rows, f"{title} — tỷ lệ nộp và đúng hạn"))
    lines.append(f"Tệp Excel: {excel}; biểu đồ: {chart}")
    return lines
