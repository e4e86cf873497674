"""Signing in and out, the session cookie, CSRF on every post, and the officer's subtree as the only
thing the console shows or acts on — in a real browser."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from archive import petitions
from broadcasts import service
from broadcasts.models import Broadcast
from console.models import ConsoleSession
from directory.models import Role
from reports.models import PeriodKind
from reports.services import open_round
from storage.base import utcnow
from tests.broadcasts.helpers import scope
from tests.console.world import PASSWORD, build, sign_in
from tests.reports.factories import template


async def test_sign_in_cookie_and_sign_out(console: Any, new_page: Callable[..., Any]) -> None:
    async with console.loa.db.transaction() as s:
        await build(s)
    page = await new_page(console.api_base)
    await page.goto("/console/broadcasts")
    assert "/console/login" in page.url
    await page.get_by_label("Tên đăng nhập").fill("tuyengiao")
    await page.get_by_label("Mật khẩu").fill("sai-mat-khau-roi")
    await page.get_by_role("button", name="Đăng nhập").click()
    await page.get_by_role("alert").filter(has_text="Sai tên đăng nhập hoặc mật khẩu").wait_for()
    assert await page.get_by_label("Tên đăng nhập").input_value() == "tuyengiao"  # kept what was typed

    await page.get_by_label("Mật khẩu").fill(PASSWORD)
    await page.get_by_role("button", name="Đăng nhập").click()
    await page.get_by_role("heading", name="Phát tin").wait_for()  # back where the officer was going
    (cookie,) = [c for c in await page.context.cookies() if c["name"] == "loa_console"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/console"
    async with console.loa.db.transaction() as s:
        stored = (await s.scalars(select(ConsoleSession))).one()
    assert stored.token_hash != cookie["value"] and len(cookie["value"]) >= 43  # only a hash is stored

    await page.get_by_role("button", name="Đăng xuất").click()
    await page.get_by_label("Tên đăng nhập").wait_for()
    async with console.loa.db.transaction() as s:
        assert (await s.scalars(select(ConsoleSession))).all() == []
    await page.goto("/console/")
    assert "/console/login" in page.url


async def test_a_form_posted_without_the_csrf_token_is_refused(
    console: Any, new_page: Callable[..., Any]
) -> None:
    async with console.loa.db.transaction() as s:
        w = await build(s)
        b, _ = await service.create(
            s,
            scope=scope(w.p.officer, w.p.province, Role.officer),
            title="Nháp",
            content={"kind": "text", "html": "Kính gửi"},
            audience_spec={"roots": [w.p.province.id]},
        )
    page = await new_page(console.api_base)
    await sign_in(page, "tuyengiao")
    for form in ({}, {"csrf": "doan-bua"}):
        response = await page.request.post(f"/console/broadcasts/{b.id}/cancel", form=form)
        assert response.status == 403
        assert "Biểu mẫu đã hết hạn" in await response.text()
    async with console.loa.db.transaction() as s:
        assert (await s.get(Broadcast, b.id)).status == "draft"
    # the same post from the page's own form (with its token) goes through
    await page.goto(f"/console/broadcasts/{b.id}")
    await page.get_by_role("button", name="Huỷ tin").click()
    await page.get_by_text("Đã huỷ tin.").wait_for()
    async with console.loa.db.transaction() as s:
        assert (await s.get(Broadcast, b.id)).status == "cancelled"


async def test_an_officer_sees_and_acts_only_inside_its_subtree(
    console: Any, new_page: Callable[..., Any]
) -> None:
    async with console.loa.db.transaction() as s:
        w = await build(s)
        province_officer = scope(w.p.officer, w.p.province, Role.officer)
        own, _ = await service.create(
            s,
            scope=province_officer,
            title="Tin cho huyện một",
            content={"kind": "text", "html": "Một"},
            audience_spec={"roots": [w.p.uppers[0].id]},
        )
        tpl = await template(s)
        foreign_round = await open_round(
            session=s,
            template_id=tpl.id,
            period_kind=PeriodKind.month,
            deadline=utcnow() + timedelta(days=3),
            root_unit_id=w.p.uppers[1].id,
        )
        foreign_petition = (
            await petitions.submit_petition(
                s, sender=w.p.leaders[3], category="khac", text="Kiến nghị của huyện hai"
            )
        ).petition
        foreign, _ = await service.create(
            s,
            scope=province_officer,
            title="Tin cho huyện hai",
            content={"kind": "text", "html": "Hai"},
            audience_spec={"roots": [w.p.uppers[1].id]},
        )
    page = await new_page(console.api_base)
    await sign_in(page, "canbohuyen")
    await page.goto("/console/broadcasts")
    await page.get_by_role("link", name="Tin cho huyện một").wait_for()
    assert await page.get_by_role("link", name="Tin cho huyện hai").count() == 0

    response = await page.goto(f"/console/broadcasts/{foreign.id}")
    assert response.status == 403
    await page.get_by_role("heading", name="Không có quyền").wait_for()
    assert "Hai" not in await page.locator("main").inner_text()
    for path in (f"/console/broadcasts/{foreign.id}/progress.json", "/console/broadcasts/999999"):
        assert (await page.request.get(path)).status in (403, 404)

    await page.goto(f"/console/broadcasts/{own.id}")  # a page of its own, for a valid token
    csrf = await page.locator("input[name=csrf]").first.input_value()
    refused = await page.request.post(f"/console/broadcasts/{foreign.id}/cancel", form={"csrf": csrf})
    assert refused.status == 403
    async with console.loa.db.transaction() as s:
        assert (await s.get(Broadcast, foreign.id)).status == "draft"
    # the other district's round, petition, unit and invitations: not on the home page, not by URL
    await page.goto("/console/")
    main = await page.locator("main").inner_text()
    assert foreign_round.title not in main and (foreign_petition.reference or "-") not in main
    for path in (
        f"/console/reports/rounds/{foreign_round.id}",
        f"/console/reports/rounds/{foreign_round.id}/export.xlsx",
        f"/console/petitions/{foreign_petition.id}",
        f"/console/units?unit_id={w.p.uppers[1].id}",
        f"/console/invitations?unit_id={w.p.uppers[1].id}",
    ):
        assert (await page.request.get(path)).status in (403, 404), path
    answer = await page.request.post(
        f"/console/petitions/{foreign_petition.id}/answer", form={"csrf": csrf, "answer": "Không"}
    )
    assert answer.status == 404
    # the audience counts of a foreign unit are refused too
    counts = await page.request.post(
        "/console/broadcasts/audience", form={"csrf": csrf, "roots": str(w.p.uppers[1].id)}
    )
    assert "Không có quyền" in await counts.text()
