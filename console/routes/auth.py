"""Sign-in and sign-out. Sign-in calls the same login service as the API's /auth/login."""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth_routes import login_throttle
from api.deps import LoaDep
from config.settings import Environment
from console import sessions
from console.web import (
    COOKIE,
    PRE_COOKIE,
    PREFIX,
    ConsoleRoute,
    PostingOfficerDep,
    SessionDep,
    redirect,
    render,
)
from directory import auth
from directory.auth import AuthError


def _safe_next(target: str | None) -> str:
    """Only a path inside the console: never an open redirect to another site."""
    if target and target.startswith(PREFIX + "/") and not target.startswith("//") and "\\" not in target:
        return target
    return PREFIX + "/"


def _login_page(
    request: Request, *, error: str = "", login: str = "", next_: str = "", status: int = 200
) -> HTMLResponse:
    pre = secrets.token_urlsafe(24)
    page = render(
        request, "login.html", {"error": error, "login": login, "next": next_, "pre": pre}, status=status
    )
    page.set_cookie(PRE_COOKIE, pre, httponly=True, samesite="strict", path=PREFIX + "/login")
    return page


def build_router() -> APIRouter:
    router = APIRouter(route_class=ConsoleRoute)

    @router.get("/login", response_class=HTMLResponse)
    async def login_form(request: Request, next: str = "") -> Response:
        return _login_page(request, next_=_safe_next(next))

    @router.post("/login")
    async def login(
        request: Request,
        loa: LoaDep,
        session: SessionDep,
        login: str = Form(""),
        password: str = Form(""),
        pre: str = Form(""),
        next: str = Form(""),
    ) -> Response:
        cookie = request.cookies.get(PRE_COOKIE, "")
        if not pre or not cookie or not hmac.compare_digest(pre, cookie):
            return _login_page(
                request, error="Biểu mẫu đã hết hạn, vui lòng đăng nhập lại.", login=login, status=403
            )
        if not login.strip() or not password:
            return _login_page(
                request, error="Vui lòng nhập tên đăng nhập và mật khẩu.", login=login, status=422
            )
        address = request.client.host if request.client else "unknown"
        try:
            async with session.begin_nested():  # a failure's audit entry stays; nothing else is written
                person = await auth.login(
                    session, login=login.strip(), password=password, address=address,
                    throttle=login_throttle(request),
                )  # fmt: skip
        except AuthError as exc:
            return _login_page(request, error=exc.message, login=login, next_=next, status=exc.status)
        new = await sessions.start(session, person=person)
        await sessions.purge_expired(session)
        response: RedirectResponse = redirect(_safe_next(next))
        response.set_cookie(
            COOKIE,
            new.token,
            max_age=sessions.SESSION_HOURS * 3600,
            path=PREFIX,
            httponly=True,
            samesite="lax",
            secure=loa.settings.environment is Environment.production,
        )
        response.delete_cookie(PRE_COOKIE, path=PREFIX + "/login")
        return response

    @router.post("/logout")
    async def logout(request: Request, officer: PostingOfficerDep, session: SessionDep) -> Response:
        await sessions.end(session, token=request.cookies.get(COOKIE, ""))
        response = redirect(PREFIX + "/login")
        response.delete_cookie(COOKIE, path=PREFIX)
        return response

    return router
