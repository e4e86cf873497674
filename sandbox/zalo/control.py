"""The ``/sandbox`` control API of the Zalo sandbox: people and groups, their messages, faults, limits."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aiohttp import web

from sandbox.zalo.state import Fault, Group, User, ZaloState

STATE_KEY = web.AppKey("zalo_state", ZaloState)


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=status)


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        data = await request.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def add_control_routes(app: web.Application) -> None:
    routes = web.RouteTableDef()

    @routes.post("/sandbox/reset")
    async def reset(request: web.Request) -> web.Response:
        request.app[STATE_KEY].reset()
        return web.json_response({"ok": True})

    @routes.get("/sandbox/limits")
    async def get_limits(request: web.Request) -> web.Response:
        return web.json_response(asdict(request.app[STATE_KEY].limits))

    @routes.put("/sandbox/limits")
    async def set_limits(request: web.Request) -> web.Response:
        state = request.app[STATE_KEY]
        try:
            state.limits = state.limits.updated(await _body(request))
        except ValueError as exc:
            return _error(400, str(exc))
        return web.json_response(asdict(state.limits))

    @routes.post("/sandbox/users")
    async def create_user(request: web.Request) -> web.Response:
        state = request.app[STATE_KEY]
        body = await _body(request)
        user = User(id=state.next_id("user"), display_name=str(body.get("display_name") or "Người dùng"))
        state.users[user.id] = user
        return web.json_response(asdict(user))

    @routes.post("/sandbox/groups")
    async def create_group(request: web.Request) -> web.Response:
        state = request.app[STATE_KEY]
        body = await _body(request)
        members = [str(m) for m in body.get("member_ids") or []]
        if any(m not in state.users for m in members):
            return _error(404, "unknown member")
        group = Group(
            id=state.next_id("group"),
            title=str(body.get("title") or "Nhóm"),
            members=members,
            bot_can_post=bool(body.get("bot_can_post", True)),
        )
        state.groups[group.id] = group
        return web.json_response(asdict(group))

    @routes.post("/sandbox/groups/{id}")
    async def change_group(request: web.Request) -> web.Response:
        state = request.app[STATE_KEY]
        group = state.groups.get(request.match_info["id"])
        if group is None:
            return _error(404, "unknown group")
        body = await _body(request)
        if "bot_can_post" in body:
            group.bot_can_post = bool(body["bot_can_post"])
        return web.json_response(asdict(group))

    @routes.post("/sandbox/users/{id}/messages")
    async def user_message(request: web.Request) -> web.Response:
        state = request.app[STATE_KEY]
        user_id = request.match_info["id"]
        body = await _body(request)
        if user_id not in state.users:
            return _error(404, "unknown user")
        chat_id = body.get("chat_id")
        if chat_id is not None and chat_id not in state.groups:
            return _error(404, "unknown group")
        if chat_id is not None and user_id not in state.groups[chat_id].members:
            return _error(400, "the user is not a member of the group")
        text = body.get("text")
        if not isinstance(text, str) or not text:
            return _error(400, "text is required")
        return web.json_response(state.queue_user_message(user_id, text, chat_id))

    @routes.post("/sandbox/users/{id}/block")
    async def block(request: web.Request) -> web.Response:
        state = request.app[STATE_KEY]
        user = state.users.get(request.match_info["id"])
        if user is None:
            return _error(404, "unknown user")
        user.blocked = bool((await _body(request)).get("blocked", True))
        return web.json_response(asdict(user))

    @routes.get("/sandbox/chats/{id}/messages")
    async def messages(request: web.Request) -> web.Response:
        state = request.app[STATE_KEY]
        chat_id = request.match_info["id"]
        rows = state.messages.get(chat_id, [])
        if request.query.get("all") != "1":
            rows = [m for m in rows if m.get("from_bot")]
        return web.json_response(rows)

    @routes.post("/sandbox/faults")
    async def add_fault(request: web.Request) -> web.Response:
        state = request.app[STATE_KEY]
        body = await _body(request)
        kind = body.get("kind", "error")
        if kind not in ("error", "slow"):
            return _error(400, "kind must be error or slow")
        fault = Fault(
            id=len(state.faults) + state.counter + 1,
            kind=kind,
            count=int(body.get("count", 1)),
            status=int(body.get("status") or 500),
            delay=float(body.get("delay") or 0.0),
            method=body.get("method"),
            chat_id=body.get("chat_id"),
            description=body.get("description"),
        )
        state.faults.append(fault)
        return web.json_response([asdict(f) for f in state.faults])

    @routes.delete("/sandbox/faults")
    async def clear_faults(request: web.Request) -> web.Response:
        request.app[STATE_KEY].faults.clear()
        return web.json_response({"ok": True})

    @routes.get("/sandbox/calls")
    async def calls(request: web.Request) -> web.Response:
        rows = request.app[STATE_KEY].calls
        method = request.query.get("method")
        if method:
            rows = [c for c in rows if c["method"] == method]
        return web.json_response(rows)

    @routes.get("/sandbox/stats")
    async def stats(request: web.Request) -> web.Response:
        return web.json_response(request.app[STATE_KEY].stats())

    @routes.get("/sandbox/webhook")
    async def webhook(request: web.Request) -> web.Response:
        state = request.app[STATE_KEY]
        return web.json_response(
            {
                "url": state.webhook_url,
                "pending": len(state.updates),
                "deliveries": state.webhook_deliveries[-20:],
            }
        )

    @routes.get("/sandbox/updates")
    async def pending(request: web.Request) -> web.Response:
        return web.json_response(list(request.app[STATE_KEY].updates))

    app.router.add_routes(routes)
