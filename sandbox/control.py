"""The control API (``/sandbox/...``): build the world, act as users, inject faults, inspect."""

from __future__ import annotations

import base64
import binascii
import copy
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from sandbox.errors import ControlError
from sandbox.formatting import utf16_len
from sandbox.limits import LimitsConfig
from sandbox.media import guess_mime, image_size, media_object
from sandbox.methods import member_object
from sandbox.state import (
    JSON,
    PRESENT_STATUSES,
    Chat,
    Fault,
    SandboxState,
    StoredMessage,
    User,
    bot_marker,
)

STATE_KEY = web.AppKey("sandbox_state", SandboxState)

ControlHandler = Callable[[web.Request, SandboxState], Awaitable[Any]]


# --------------------------------------------------------------------------- plumbing


def _wrap(
    handler: ControlHandler, status: int = 200
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        state = request.app[STATE_KEY]
        try:
            result = await handler(request, state)
        except ControlError as exc:
            return web.json_response({"ok": False, "error": exc.message}, status=exc.status)
        return web.json_response(state.render(result), status=status)

    return wrapped


async def _body(request: web.Request) -> JSON:
    if not request.can_read_body:
        return {}
    try:
        data = await request.json()
    except ValueError:
        raise ControlError(400, "request body must be JSON") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ControlError(400, "request body must be a JSON object")
    return data


def _field(
    body: JSON, name: str, kind: type | tuple[type, ...], default: Any = None, required: bool = False
) -> Any:
    if name not in body or body[name] is None:
        if required:
            raise ControlError(400, f"{name} is required")
        return default
    value = body[name]
    if isinstance(value, bool) and kind is not bool and (not isinstance(kind, tuple) or bool not in kind):
        raise ControlError(400, f"{name} has a wrong type")
    if not isinstance(value, kind):
        raise ControlError(400, f"{name} has a wrong type")
    return value


def _int_path(request: web.Request, name: str) -> int:
    try:
        return int(request.match_info[name])
    except ValueError:
        raise ControlError(400, f"{name} must be an integer") from None


def _user(state: SandboxState, user_id: int) -> User:
    user = state.users.get(user_id)
    if user is None:
        raise ControlError(404, f"user {user_id} not found")
    return user


def _chat(state: SandboxState, chat_id: int) -> Chat:
    chat = state.chats.get(chat_id)
    if chat is None:
        raise ControlError(404, f"chat {chat_id} not found")
    return chat


def _group(state: SandboxState, chat_id: int) -> Chat:
    chat = _chat(state, chat_id)
    if not chat.is_group:
        raise ControlError(400, f"chat {chat_id} is not a group")
    if chat.migrated_to is not None:
        raise ControlError(400, f"group {chat_id} was migrated to {chat.migrated_to}")
    return chat


def chat_view(chat: Chat) -> JSON:
    return {
        **chat.to_dict(),
        "bot_status": ("kicked" if chat.user.blocked else "member")
        if chat.user is not None
        else chat.bot_status,
        "members": {str(uid): status for uid, status in chat.members.items()},
        "member_count": 2 if chat.user is not None else chat.member_count(),
        "migrated_to_chat_id": chat.migrated_to,
        "migrated_from_chat_id": chat.migrated_from,
        "message_count": len(chat.messages),
        "blocked": chat.user.blocked if chat.user is not None else None,
        "menu_button": chat.menu_button,
    }


def detect_entities(text: str) -> list[JSON]:
    """bot_command, mention and url entities, as Telegram adds them to users' messages."""
    entities: list[JSON] = []
    patterns = (
        ("bot_command", r"(?<![\w/])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?"),
        ("mention", r"(?<![\w@/])@[A-Za-z0-9_]{5,32}"),
        ("url", r"https?://[^\s]+"),
    )
    for kind, pattern in patterns:
        for match in re.finditer(pattern, text):
            entities.append(
                {"type": kind, "offset": utf16_len(text[: match.start()]), "length": utf16_len(match.group())}
            )
    entities.sort(key=lambda e: e["offset"])
    return entities


def _bot_present(chat: Chat) -> bool:
    if chat.user is not None:
        return not chat.user.blocked and not chat.user.deactivated
    return chat.bot_status in PRESENT_STATUSES


def _queue_message(state: SandboxState, chat: Chat, stored: StoredMessage) -> int | None:
    if not _bot_present(chat):
        return None
    return state.enqueue_update("message", copy.deepcopy(stored.data))


def _my_chat_member(
    state: SandboxState, chat: Chat, actor: JSON, old: str, new: str, user: JSON | None = None
) -> int | None:
    member = user if user is not None else bot_marker()
    update_type = "my_chat_member" if user is None else "chat_member"
    return state.enqueue_update(
        update_type,
        {
            "chat": chat.to_dict(),
            "from": actor,
            "date": state.clock.now(),
            "old_chat_member": member_object(old, member),
            "new_chat_member": member_object(new, member),
        },
    )


def _decode_b64(value: Any, name: str) -> bytes:
    if not isinstance(value, str):
        raise ControlError(400, f"{name}.content_b64 is required")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ControlError(400, f"{name}.content_b64 is not valid base64") from None


# --------------------------------------------------------------------------- world


async def reset(request: web.Request, state: SandboxState) -> JSON:
    state.reset()
    return {"ok": True}


async def get_limits(request: web.Request, state: SandboxState) -> JSON:
    return state.limits.to_dict()


async def put_limits(request: web.Request, state: SandboxState) -> JSON:
    body = await _body(request)
    try:
        config: LimitsConfig = state.limits.updated(body)
    except ValueError as exc:
        raise ControlError(400, str(exc)) from None
    state.limiter.configure(config)
    return config.to_dict()


async def get_clock(request: web.Request, state: SandboxState) -> JSON:
    return {"time": state.clock.time(), "offset": state.clock.offset}


async def post_clock(request: web.Request, state: SandboxState) -> JSON:
    body = await _body(request)
    seconds = _field(body, "advance", (int, float), required=True)
    if seconds < 0:
        raise ControlError(400, "advance must be >= 0")
    state.clock.advance(float(seconds))
    return {"time": state.clock.time(), "offset": state.clock.offset}


async def create_user(request: web.Request, state: SandboxState) -> JSON:
    body = await _body(request)
    first_name = _field(body, "first_name", str, required=True)
    if not first_name:
        raise ControlError(400, "first_name must not be empty")
    try:
        user = state.create_user(
            first_name=first_name,
            last_name=_field(body, "last_name", str),
            username=_field(body, "username", str),
            language_code=_field(body, "language_code", str, "vi"),
            user_id=_field(body, "id", int),
            started=_field(body, "started", bool, True),
        )
    except ValueError as exc:
        raise ControlError(400, str(exc)) from None
    return user.control_view()


async def list_users(request: web.Request, state: SandboxState) -> list[JSON]:
    return [user.control_view() for user in state.users.values()]


async def create_group(request: web.Request, state: SandboxState) -> JSON:
    body = await _body(request)
    title = _field(body, "title", str, required=True)
    chat_type = _field(body, "type", str, "group")
    member_ids = _field(body, "member_ids", list, [])
    bot_status = _field(body, "bot_status", str, "member")
    if bot_status not in ("member", "administrator", "left", "kicked"):
        raise ControlError(400, "bot_status must be member, administrator, left or kicked")
    if not all(isinstance(m, int) and not isinstance(m, bool) for m in member_ids):
        raise ControlError(400, "member_ids must be a list of user ids")
    for member in member_ids:
        _user(state, member)
    try:
        chat = state.create_group(title, chat_type, member_ids, bot_status)
    except ValueError as exc:
        raise ControlError(400, str(exc)) from None
    return chat_view(chat)


async def get_chat(request: web.Request, state: SandboxState) -> JSON:
    return chat_view(_chat(state, _int_path(request, "chat_id")))


async def get_chat_messages(request: web.Request, state: SandboxState) -> list[JSON]:
    chat = _chat(state, _int_path(request, "chat_id"))
    include_all = request.query.get("all", "").lower() in ("1", "true", "yes")
    include_deleted = request.query.get("include_deleted", "true").lower() not in ("0", "false", "no")
    return [
        message.view()
        for message in chat.messages.values()
        if (include_all or message.from_bot) and (include_deleted or not message.deleted)
    ]


# --------------------------------------------------------------------------- acting as users


async def user_message(request: web.Request, state: SandboxState) -> JSON:
    user = _user(state, _int_path(request, "user_id"))
    body = await _body(request)
    chat = _chat(state, _field(body, "chat_id", int, user.id))
    if chat.migrated_to is not None:
        raise ControlError(400, f"group {chat.id} was migrated to {chat.migrated_to}")
    if chat.user is not None and chat.user.id != user.id:
        raise ControlError(400, "a user can only write to their own private chat with the bot")
    if chat.is_group and chat.members.get(user.id) not in PRESENT_STATUSES:
        raise ControlError(400, f"user {user.id} is not a member of chat {chat.id}")
    text = _field(body, "text", str)
    caption = _field(body, "caption", str)
    document = _field(body, "document", dict)
    photo = _field(body, "photo", dict)
    if text is None and document is None and photo is None:
        raise ControlError(400, "one of text, document or photo is required")
    data: JSON = {"from": user.to_dict()}
    if text is not None:
        if document is not None or photo is not None:
            raise ControlError(400, "text cannot be combined with a document or photo (use caption)")
        data["text"] = text
        entities = detect_entities(text)
        if entities:
            data["entities"] = entities
    elif document is not None:
        content = _decode_b64(document.get("content_b64"), "document")
        file_name = document.get("file_name") or "file.bin"
        mime = document.get("mime_type") or guess_mime(file_name)
        record = state.store_file(content, "document", file_name, mime)
        data["document"] = media_object(record, "document")
    elif photo is not None:
        content = _decode_b64(photo.get("content_b64"), "photo")
        width, height = image_size(content)
        record = state.store_file(content, "photo", None, None, width, height)
        data["photo"] = media_object(record, "photo")
    if caption is not None and text is None:
        data["caption"] = caption
        entities = detect_entities(caption)
        if entities:
            data["caption_entities"] = entities
    reply_to = _field(body, "reply_to_message_id", int)
    if reply_to is not None:
        target = chat.messages.get(reply_to)
        if target is None or target.deleted:
            raise ControlError(404, f"message {reply_to} not found in chat {chat.id}")
        snapshot = dict(target.data)
        snapshot.pop("reply_to_message", None)
        data["reply_to_message"] = snapshot
    update_ids: list[int] = []
    if chat.user is not None:
        user.started = True
        if user.blocked:  # writing to the bot again unblocks it
            user.blocked = False
            uid = _my_chat_member(state, chat, user.to_dict(), "kicked", "member")
            if uid is not None:
                update_ids.append(uid)
    stored = state.add_message(chat, data, from_bot=False)
    update_id = _queue_message(state, chat, stored)
    return {"update_id": update_id, "message": stored.data, "other_update_ids": update_ids}


def _buttons(markup: JSON | None) -> list[JSON]:
    if not markup or "inline_keyboard" not in markup:
        return []
    return [button for row in markup["inline_keyboard"] for button in row if isinstance(button, dict)]


async def user_callback(request: web.Request, state: SandboxState) -> JSON:
    user = _user(state, _int_path(request, "user_id"))
    body = await _body(request)
    chat = _chat(state, _field(body, "chat_id", int, user.id))
    message_id = _field(body, "message_id", int, required=True)
    data = _field(body, "data", str, required=True)
    message = chat.messages.get(message_id)
    if message is None or message.deleted:
        raise ControlError(404, f"message {message_id} not found in chat {chat.id}")
    if _field(body, "strict", bool, True) and data not in [
        b.get("callback_data") for b in _buttons(message.reply_markup)
    ]:
        raise ControlError(400, f"message {message_id} has no inline button with callback_data {data!r}")
    query_id = state.new_callback_query_id()
    state.callback_queries[query_id] = {
        "user_id": user.id,
        "chat_id": chat.id,
        "message_id": message_id,
        "data": data,
        "answered": False,
    }
    payload = {
        "id": query_id,
        "from": user.to_dict(),
        "message": copy.deepcopy(message.data),
        "chat_instance": str(abs(chat.id) * 7919 % 10**18),
        "data": data,
    }
    update_id = state.enqueue_update("callback_query", payload)
    return {"update_id": update_id, "callback_query_id": query_id}


async def block_user(request: web.Request, state: SandboxState) -> JSON:
    user = _user(state, _int_path(request, "user_id"))
    body = await _body(request)
    blocked = _field(body, "blocked", bool, True)
    update_id = None
    if blocked != user.blocked:
        user.blocked = blocked
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        update_id = _my_chat_member(state, state.chats[user.id], user.to_dict(), old, new)
    return {**user.control_view(), "update_id": update_id}


async def deactivate_user(request: web.Request, state: SandboxState) -> JSON:
    user = _user(state, _int_path(request, "user_id"))
    body = await _body(request)
    user.deactivated = _field(body, "deactivated", bool, True)
    return user.control_view()


# --------------------------------------------------------------------------- groups


def _actor(state: SandboxState, chat: Chat, body: JSON) -> JSON:
    by_user_id = _field(body, "by_user_id", int)
    if by_user_id is None:
        creators = [uid for uid, status in chat.members.items() if status == "creator"]
        if not creators:
            raise ControlError(400, "by_user_id is required (the group has no creator)")
        by_user_id = creators[0]
    return _user(state, by_user_id).to_dict()


async def group_bot(request: web.Request, state: SandboxState) -> JSON:
    chat = _group(state, _int_path(request, "chat_id"))
    body = await _body(request)
    action = _field(body, "action", str, required=True)
    actor = _actor(state, chat, body)
    old = chat.bot_status
    present = old in PRESENT_STATUSES
    transitions = {
        "add": (not present, "member"),
        "remove": (present, "kicked"),
        "promote": (old == "member", "administrator"),
        "demote": (old == "administrator", "member"),
    }
    if action not in transitions:
        raise ControlError(400, "action must be add, remove, promote or demote")
    allowed, new = transitions[action]
    if not allowed:
        raise ControlError(400, f"cannot {action} the bot: its status in the chat is {old!r}")
    if action == "add" and _field(body, "as_admin", bool, False):
        new = "administrator"
    chat.bot_status = new
    update_ids = [_my_chat_member(state, chat, actor, old, new)]
    message: JSON | None = None
    if action in ("add", "remove"):
        service: JSON = {"from": actor}
        if action == "add":
            service["new_chat_members"] = [bot_marker()]
            service["new_chat_member"] = bot_marker()
            service["new_chat_participant"] = bot_marker()
        else:
            service["left_chat_member"] = bot_marker()
            service["left_chat_participant"] = bot_marker()
        stored = state.add_message(chat, service, from_bot=False, service=True)
        message = stored.data
        update_ids.append(_queue_message(state, chat, stored))
    return {
        "update_ids": [u for u in update_ids if u is not None],
        "message": message,
        "chat": chat_view(chat),
    }


async def group_members(request: web.Request, state: SandboxState) -> JSON:
    chat = _group(state, _int_path(request, "chat_id"))
    body = await _body(request)
    user = _user(state, _field(body, "user_id", int, required=True))
    action = _field(body, "action", str, required=True)
    old = chat.members.get(user.id, "left")
    if action == "join":
        if old in PRESENT_STATUSES:
            raise ControlError(400, f"user {user.id} is already a member")
        new = "member"
        service: JSON = {
            "from": user.to_dict(),
            "new_chat_members": [user.to_dict()],
            "new_chat_member": user.to_dict(),
            "new_chat_participant": user.to_dict(),
        }
    elif action == "leave":
        if old not in PRESENT_STATUSES:
            raise ControlError(400, f"user {user.id} is not a member")
        new = "left"
        service = {
            "from": user.to_dict(),
            "left_chat_member": user.to_dict(),
            "left_chat_participant": user.to_dict(),
        }
    else:
        raise ControlError(400, "action must be join or leave")
    chat.members[user.id] = new
    stored = state.add_message(chat, service, from_bot=False, service=True)
    update_ids = [_queue_message(state, chat, stored)]
    if chat.bot_status == "administrator":
        update_ids.append(_my_chat_member(state, chat, user.to_dict(), old, new, user=user.to_dict()))
    return {"update_ids": [u for u in update_ids if u is not None], "message": stored.data}


async def migrate_group(request: web.Request, state: SandboxState) -> JSON:
    chat = _group(state, _int_path(request, "chat_id"))
    if chat.type != "group":
        raise ControlError(400, "only a basic group can be migrated")
    body = await _body(request)
    actor = _actor(state, chat, body)
    new_chat = Chat(
        id=state.new_supergroup_id(),
        type="supergroup",
        title=chat.title,
        members=dict(chat.members),
        bot_status=chat.bot_status,
        migrated_from=chat.id,
    )
    state.chats[new_chat.id] = new_chat
    chat.migrated_to = new_chat.id
    old_message = state.add_message(
        chat, {"from": actor, "migrate_to_chat_id": new_chat.id}, from_bot=False, service=True
    )
    new_message = state.add_message(
        new_chat, {"from": actor, "migrate_from_chat_id": chat.id}, from_bot=False, service=True
    )
    update_ids = [_queue_message(state, chat, old_message), _queue_message(state, new_chat, new_message)]
    return {"new_chat_id": new_chat.id, "update_ids": [u for u in update_ids if u is not None]}


# --------------------------------------------------------------------------- faults, logs, updates


async def add_fault(request: web.Request, state: SandboxState) -> JSON:
    body = await _body(request)
    kind = _field(body, "kind", str, required=True)
    if kind not in ("error", "slow"):
        raise ControlError(400, "kind must be 'error' or 'slow'")
    status = _field(body, "status", int, 500)
    if not 400 <= status <= 599:
        raise ControlError(400, "status must be between 400 and 599")
    delay = float(_field(body, "delay", (int, float), 1.0 if kind == "slow" else 0.0))
    count = _field(body, "count", int, 1)
    if count < 1 or delay < 0:
        raise ControlError(400, "count must be >= 1 and delay >= 0")
    fault = Fault(
        kind=kind,
        count=count,
        status=status,
        delay=delay,
        method=_field(body, "method", str),
        chat_id=_field(body, "chat_id", int),
        description=_field(body, "description", str),
        html=_field(body, "html", bool, False),
    )
    state.faults.append(fault)
    return {"faults": [f.to_dict() for f in state.faults]}


async def list_faults(request: web.Request, state: SandboxState) -> JSON:
    return {"faults": [f.to_dict() for f in state.faults]}


async def clear_faults(request: web.Request, state: SandboxState) -> JSON:
    state.faults.clear()
    return {"faults": []}


async def list_calls(request: web.Request, state: SandboxState) -> list[JSON]:
    method = request.query.get("method")
    chat_id = request.query.get("chat_id")
    status = request.query.get("status")
    calls = [
        c.to_dict()
        for c in state.calls
        if (method is None or c.method.lower() == method.lower())
        and (chat_id is None or str(c.chat_id) == chat_id)
        and (status is None or str(c.status) == status)
    ]
    limit = request.query.get("limit")
    if limit and limit.isdigit():
        calls = calls[-int(limit) :]
    return calls


async def list_callback_answers(request: web.Request, state: SandboxState) -> list[JSON]:
    return list(state.callback_answers)


async def get_stats(request: web.Request, state: SandboxState) -> JSON:
    extra = {
        "pending_updates": len(state.updates),
        "active_polls": state.active_polls,
        "webhook_in_flight": state.webhook_in_flight,
    }
    return {**state.stats.to_dict(), **extra}


async def inject_update(request: web.Request, state: SandboxState) -> JSON:
    body = await _body(request)
    body.pop("update_id", None)
    kinds = list(body)
    if len(kinds) != 1 or not isinstance(body[kinds[0]], dict):
        raise ControlError(400, "an update has exactly one field besides update_id, holding an object")
    return {"update_id": state.enqueue_raw(body)}


async def pending_updates(request: web.Request, state: SandboxState) -> list[JSON]:
    return [state.update_dict(entry) for entry in state.updates]


async def redeliver_update(request: web.Request, state: SandboxState) -> JSON:
    update_id = _int_path(request, "update_id")
    if update_id not in state.update_log:
        raise ControlError(404, f"update {update_id} not found")
    state.redeliver(update_id)
    return {"update_id": update_id}


async def get_webhook(request: web.Request, state: SandboxState) -> JSON:
    hook = state.webhook
    if hook is None:
        return {"url": "", "pending_update_count": len(state.updates)}
    return {
        "url": hook.url,
        "secret_token": hook.secret_token,
        "allowed_updates": hook.allowed_updates,
        "max_connections": hook.max_connections,
        "pending_update_count": len(state.updates),
        "in_flight": state.webhook_in_flight,
        "last_error_date": hook.last_error_date,
        "last_error_message": hook.last_error_message,
    }


def add_control_routes(app: web.Application) -> None:
    r = app.router
    p = "/sandbox"
    r.add_post(f"{p}/reset", _wrap(reset))
    r.add_get(f"{p}/limits", _wrap(get_limits))
    r.add_put(f"{p}/limits", _wrap(put_limits))
    r.add_get(f"{p}/clock", _wrap(get_clock))
    r.add_post(f"{p}/clock", _wrap(post_clock))
    r.add_post(f"{p}/users", _wrap(create_user, 201))
    r.add_get(f"{p}/users", _wrap(list_users))
    r.add_post(f"{p}/users/{{user_id}}/messages", _wrap(user_message, 201))
    r.add_post(f"{p}/users/{{user_id}}/callback", _wrap(user_callback, 201))
    r.add_post(f"{p}/users/{{user_id}}/block", _wrap(block_user))
    r.add_post(f"{p}/users/{{user_id}}/deactivate", _wrap(deactivate_user))
    r.add_post(f"{p}/groups", _wrap(create_group, 201))
    r.add_post(f"{p}/groups/{{chat_id}}/bot", _wrap(group_bot))
    r.add_post(f"{p}/groups/{{chat_id}}/members", _wrap(group_members))
    r.add_post(f"{p}/groups/{{chat_id}}/migrate", _wrap(migrate_group))
    r.add_get(f"{p}/chats/{{chat_id}}", _wrap(get_chat))
    r.add_get(f"{p}/chats/{{chat_id}}/messages", _wrap(get_chat_messages))
    r.add_post(f"{p}/faults", _wrap(add_fault, 201))
    r.add_get(f"{p}/faults", _wrap(list_faults))
    r.add_delete(f"{p}/faults", _wrap(clear_faults))
    r.add_get(f"{p}/calls", _wrap(list_calls))
    r.add_get(f"{p}/callback_answers", _wrap(list_callback_answers))
    r.add_get(f"{p}/stats", _wrap(get_stats))
    r.add_post(f"{p}/updates", _wrap(inject_update, 201))
    r.add_get(f"{p}/updates", _wrap(pending_updates))
    r.add_post(f"{p}/updates/{{update_id}}/redeliver", _wrap(redeliver_update))
    r.add_get(f"{p}/webhook", _wrap(get_webhook))


__all__ = ["STATE_KEY", "add_control_routes", "chat_view", "detect_entities"]
