"""Admin API for chats: list the chats inside the caller's subtrees; take one out of every audience."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query

from api.deps import ScopeDep, SessionDep, listing_roots
from api.types import Id, Offset
from directory import chats
from directory.access import AccessDenied, Scope
from directory.errors import NotFound
from directory.models import Chat, Role


def chat_out(chat: Chat) -> dict[str, Any]:
    return {
        "id": chat.id,
        "telegram_chat_id": chat.telegram_chat_id,
        "kind": chat.kind,
        "title": chat.title,
        "unit_id": chat.unit_id,
        "block": chat.block,
        "person_id": chat.person_id,
        "is_active": chat.is_active,
        "bot_status": chat.bot_status,
        "blocked_at": chat.blocked_at.isoformat() if chat.blocked_at else None,
        "migrated_from_chat_id": chat.migrated_from_chat_id,
    }


async def _chat_in_scope(session: SessionDep, scope: Scope, chat_id: Id) -> tuple[Chat, list[str]]:
    chat = await session.get(Chat, chat_id)
    if chat is None:
        raise NotFound("Không tìm thấy cuộc trò chuyện.")
    paths = await chats.chat_unit_paths(session, chat=chat)
    if not any(scope.allows(Role.officer, p) for p in paths):
        raise AccessDenied()
    return chat, paths


def build_router() -> APIRouter:
    router = APIRouter(prefix="/chats", tags=["chats"])

    @router.get("")
    async def list_chats(
        session: SessionDep,
        scope: ScopeDep,
        unit_id: Id | None = None,
        kind: Literal["private", "group"] | None = None,
        active: bool | None = None,
        limit: int = Query(default=100, ge=1, le=500),
        offset: Offset = 0,
    ) -> list[dict[str, Any]]:
        roots = await listing_roots(session, scope, Role.officer, unit_id)
        rows = await chats.list_chats(
            session, roots=roots, kind=kind, active=active, limit=limit, offset=offset
        )
        return [chat_out(c) for c in rows]

    @router.get("/{chat_id}")
    async def get_chat(chat_id: Id, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
        chat, _ = await _chat_in_scope(session, scope, chat_id)
        return chat_out(chat)

    @router.post("/{chat_id}/deactivate")
    async def deactivate(chat_id: Id, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
        chat, paths = await _chat_in_scope(session, scope, chat_id)
        await chats.deactivate_chat(
            session, actor=scope.actor, chat=chat, unit_path=paths[0] if paths else None
        )
        return chat_out(chat)

    return router
