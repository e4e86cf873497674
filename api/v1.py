"""The versioned admin API. Each domain contributes its own router here."""

from __future__ import annotations

from fastapi import APIRouter, Request

from bot.app import Loa


def build_v1_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1")

    @router.get("/info", tags=["meta"])
    async def info(request: Request) -> dict[str, str]:
        loa: Loa = request.app.state.loa
        return {
            "service": "loa",
            "version": "0.1.0",
            "environment": loa.settings.environment.value,
            "timezone": loa.settings.timezone,
            "locale": loa.settings.locale,
        }

    from api import chats as chats_api
    from api import invitations as invitations_api

    router.include_router(chats_api.build_router())
    router.include_router(invitations_api.build_router())
    from api import audit, auth_routes, people, units

    for module in (auth_routes, units, people, audit):
        router.include_router(module.build_router())
    from api import archive as archive_api
    from api import petitions as petitions_api

    router.include_router(archive_api.build_router())
    router.include_router(petitions_api.build_router())
    from api import outbox as outbox_api
    from api import reports as reports_api

    router.include_router(outbox_api.build_router())

    router.include_router(reports_api.build_router())
    from api import broadcasts as broadcasts_api

    router.include_router(broadcasts_api.build_router())
    return router
