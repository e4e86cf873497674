"""The console's routers, each built by a factory; all share ConsoleRoute (HTML errors, sign-in redirect)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse

from console.web import PREFIX


def build_router() -> APIRouter:
    from console.routes import (
        archive,
        auth,
        broadcast_actions,
        broadcasts,
        directory,
        home,
        invitations,
        petitions,
        report_round,
        reports,
    )

    router = APIRouter(prefix=PREFIX, include_in_schema=False)

    @router.get("")
    async def bare() -> RedirectResponse:
        return RedirectResponse(PREFIX + "/", status_code=307)

    for module in (
        auth,
        home,
        broadcasts,
        broadcast_actions,
        reports,
        report_round,
        directory,
        invitations,
        petitions,
        archive,
    ):
        router.include_router(module.build_router())
    return router
