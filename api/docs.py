"""The OpenAPI schema in production: only for an authenticated admin (the interactive pages are off),
so the attack surface is not published to anyone who asks."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from api.deps import ScopeDep
from directory.access import AccessDenied


def build_private_docs_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/openapi.json")
    async def openapi(request: Request, scope: ScopeDep) -> dict[str, Any]:
        if not scope.is_admin:
            raise AccessDenied("Chỉ quản trị được xem mô tả API.")
        schema: dict[str, Any] = request.app.openapi()
        return schema

    return router
