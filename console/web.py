"""The console's request plumbing: who is signed in, CSRF on every form post, and HTML for every failure.

Console routes use `ConsoleRoute`, so a domain error escaping a view becomes a Vietnamese error page with
its own 4xx status (never the API's JSON, never a 500), and a missing session becomes a redirect to the
sign-in page.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import LoaDep, get_session
from common.errors import DomainError
from console import sessions
from directory.access import Scope, scope_for_person

COOKIE = "loa_console"
PRE_COOKIE = "loa_console_pre"  # double-submit token for the sign-in form, before any session exists
PREFIX = "/console"


# The request's transaction commits when the view returns, before the response leaves: a browser that
# follows a redirect at once (sign-in, post-redirect-get) must find what the post wrote. FastAPI's default
# ("request" scope) closes yield dependencies only after the response is sent.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


class LoginRequired(Exception):
    """No live session: the browser is sent to the sign-in page."""


class CsrfRefused(DomainError):
    status = 403
    code = "csrf"

    def __init__(self) -> None:
        super().__init__("Biểu mẫu đã hết hạn hoặc không hợp lệ. Vui lòng tải lại trang và thử lại.")


@dataclass(frozen=True)
class Officer:
    """The signed-in person as the console sees them: their scope and the session's CSRF token."""

    scope: Scope
    person_id: int
    name: str
    csrf: str


def templates(request: Request) -> Jinja2Templates:
    found: Jinja2Templates = request.app.state.console_templates
    return found


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    *,
    officer: Officer | None = None,
    status: int = 200,
) -> HTMLResponse:
    ctx: dict[str, Any] = {"officer": officer, "csrf": officer.csrf if officer else "", **(context or {})}
    return templates(request).TemplateResponse(request, name, ctx, status_code=status)


async def current_officer(request: Request, loa: LoaDep) -> Officer:
    """The session behind the cookie, in its own short transaction (like the API's scope lookup)."""
    token = request.cookies.get(COOKIE, "")
    async with loa.db.transaction() as session:
        found = await sessions.find(session, token=token)
        if found is None:
            raise LoginRequired()
        console_session, person = found
        scope = await scope_for_person(session, person=person)
        return Officer(
            scope=scope, person_id=person.id, name=person.full_name, csrf=console_session.csrf_token
        )


OfficerDep = Annotated[Officer, Depends(current_officer)]


async def checked_officer(request: Request, officer: OfficerDep) -> Officer:
    """For every POST: the form's hidden `csrf` field must match the session's token."""
    form = await request.form()
    submitted = form.get("csrf")
    if not isinstance(submitted, str) or not hmac.compare_digest(submitted.encode(), officer.csrf.encode()):
        raise CsrfRefused()
    return officer


PostingOfficerDep = Annotated[Officer, Depends(checked_officer)]


def redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


SECURITY_HEADERS = {
    # Only Loa's own files run; inline style attributes (progress bars) are the one exception.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class ConsoleRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            response = await answer(request)
            response.headers.update(SECURITY_HEADERS)
            return response

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired:
                if request.method == "GET":
                    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                    return redirect(f"{PREFIX}/login?next={quote(target)}")
                return redirect(f"{PREFIX}/login")
            except RequestValidationError:
                return render(
                    request,
                    "error.html",
                    {"title": "Dữ liệu không hợp lệ", "message": "Dữ liệu gửi lên không hợp lệ."},
                    status=422,
                )
            except DomainError as exc:
                status = exc.status if 400 <= exc.status < 500 else 400
                title = {403: "Không có quyền", 404: "Không tìm thấy"}.get(status, "Không thực hiện được")
                return render(request, "error.html", {"title": title, "message": exc.message}, status=status)

        return guarded
