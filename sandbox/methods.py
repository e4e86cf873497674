"""Bot API methods of the sandbox, and :func:`execute` which runs one call end to end."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sandbox.autoentities import detect, trim
from sandbox.errors import ApiError, bad_request, forbidden
from sandbox.formatting import EntityParseError, parse_text
from sandbox.limits import ChatKind
from sandbox.media import MEDIA_KINDS, guess_mime, image_size, media_object
from sandbox.params import Params, Upload
from sandbox.state import (
    JSON,
    PRESENT_STATUSES,
    CallRecord,
    Chat,
    FileRecord,
    SandboxState,
    StoredMessage,
    WebhookConfig,
    bot_marker,
)

TOKEN_RE = re.compile(r"^(\d{1,20}):([A-Za-z0-9_-]{30,200})$")  # what @BotFather hands out
WEBHOOK_PORTS = frozenset({443, 80, 88, 8443})
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_DOWNLOAD = 20 * 1024 * 1024
DELETE_WINDOW = 48 * 3600
GETUPDATES_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_send_welcome_messages",
    "can_pin_messages",
    "can_manage_topics",
    "can_manage_direct_messages",
    "can_manage_tags",
)


@dataclass
class Call:
    state: SandboxState
    token: str
    bot_id: int
    method: str
    params: Params
    chat_id: int | None = None

    @property
    def now(self) -> int:
        return self.state.clock.now()

    def bot_user(self) -> JSON:
        return self.state.bot_user(self.bot_id)


Handler = Callable[[Call], Awaitable[Any]]
METHODS: dict[str, tuple[str, Handler]] = {}
# Methods that produce a message and therefore count against the flood limits.
MESSAGE_METHODS = frozenset(
    {"sendmessage", "copymessage", "forwardmessage"} | {f"send{kind}" for kind in MEDIA_KINDS}
)


def api_method(*names: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        for name in names:
            METHODS[name.lower()] = (name, func)
        return func

    return register


def bot_id_of(token: str) -> int | None:
    match = TOKEN_RE.match(token)
    return int(match.group(1)) if match else None


def member_object(status: str, user: JSON) -> JSON:
    if status == "creator":
        return {"status": "creator", "user": user, "is_anonymous": False}
    if status == "administrator":
        rights: JSON = dict.fromkeys(ADMIN_RIGHTS, True)
        rights.update({"can_promote_members": False, "can_post_messages": False, "can_edit_messages": False})
        return {
            "status": "administrator",
            "user": user,
            "can_be_edited": False,
            "is_anonymous": False,
            **rights,
        }
    if status == "kicked":
        return {"status": "kicked", "user": user, "until_date": 0}
    if status in ("left", "member"):
        return {"status": status, "user": user}
    return {"status": "member", "user": user}


# --------------------------------------------------------------------------- execution


def _take_fault(state: SandboxState, method: str, chat_id: int | None) -> Any:
    for fault in state.faults:
        if fault.count > 0 and fault.matches(method, chat_id):
            fault.count -= 1
            if fault.count <= 0:
                state.faults.remove(fault)
            return fault
    return None


def _log_chat_id(params: Params) -> int | None:
    for name in ("chat_id", "from_chat_id"):
        try:
            value = params.chat_id(name)
        except ApiError:
            return None
        if isinstance(value, int):
            return value
    return None


async def execute(
    state: SandboxState, token: str, method_name: str, params: Params
) -> tuple[int, JSON | str]:
    """Run one Bot API call; returns the HTTP status and the JSON body (or an HTML page)."""
    started = time.monotonic()
    bot_id = bot_id_of(token)
    entry = METHODS.get(method_name.lower())
    name = entry[0] if entry else method_name
    call = Call(state, token, bot_id or 0, name, params, _log_chat_id(params))
    body: JSON | str
    try:
        if bot_id is None:
            raise ApiError(401, "Unauthorized")
        state.bind_bot(bot_id)
        fault = _take_fault(state, name, call.chat_id)
        if fault is not None:
            if fault.kind == "slow":
                await state.sleep(fault.delay)
            else:
                description = fault.description or {500: "Internal Server Error", 502: "Bad Gateway"}.get(
                    fault.status, "Internal Server Error"
                )
                if fault.html:
                    raise _HtmlFault(fault.status, description)
                raise ApiError(fault.status, description)
        if entry is None:
            raise ApiError(404, "Not Found")
        result = await entry[1](call)
        status, body = 200, {"ok": True, "result": state.render(result, bot_id)}
    except ApiError as exc:
        status, body = exc.status, exc.payload()
    except _HtmlFault as exc:
        status = exc.status
        body = f"<html><head><title>{exc.status} {exc.description}</title></head><body></body></html>"
    _record(state, call, status, body, started)
    return status, body


class _HtmlFault(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def _record(state: SandboxState, call: Call, status: int, body: JSON | str, started: float) -> None:
    stats = state.stats
    stats.calls[call.method] = stats.calls.get(call.method, 0) + 1
    if status == 429:
        stats.rate_limited += 1
    elif 400 <= status < 500:
        stats.client_errors += 1
    elif status >= 500:
        stats.server_errors += 1
    description = None
    if isinstance(body, dict):
        description = body.get("description")
    elif status >= 400:
        description = body
    state.calls.append(
        CallRecord(
            method=call.method,
            chat_id=call.chat_id,
            status=status,
            time=state.clock.time(),
            duration=time.monotonic() - started,
            description=description,
            bot_id=call.bot_id or None,
        )
    )


# --------------------------------------------------------------------------- helpers


def resolve_chat(call: Call, name: str = "chat_id") -> Chat:
    value = call.params.chat_id(name)
    if value is None:
        raise bad_request(f"{name} is empty" if name == "chat_id" else "chat not found")
    state = call.state
    # A private user's @username never names a chat; only public groups/channels resolve by name,
    # and the sandbox has none.
    chat = None if isinstance(value, str) else state.chats.get(value)
    if chat is None:
        raise bad_request("chat not found")
    if name == "chat_id":
        call.chat_id = chat.id
    if chat.migrated_to is not None:
        raise bad_request(
            "group chat was upgraded to a supergroup chat", {"migrate_to_chat_id": chat.migrated_to}
        )
    return chat


def check_bot_present(chat: Chat) -> None:
    """Raise 403 when the bot cannot write to ``chat``."""
    if chat.user is not None:
        user = chat.user
        if user.deactivated:
            raise forbidden("user is deactivated")
        if user.blocked:
            raise forbidden("bot was blocked by the user")
        if not user.started:
            raise forbidden("bot can't initiate conversation with a user")
        return
    kind = "supergroup chat" if chat.type == "supergroup" else "group chat"
    if chat.bot_status == "kicked":
        raise forbidden(f"bot was kicked from the {kind}")
    if chat.bot_status not in PRESENT_STATUSES:
        raise forbidden(f"bot is not a member of the {kind}")


def parse_formatted(
    call: Call, field: str, mode_field: str, entities_field: str
) -> tuple[str | None, list[JSON] | None]:
    params = call.params
    raw = params.get_str(field)
    if raw is None:
        return None, None
    entities = params.get_json(entities_field, error=f"can't parse {entities_field} JSON object")
    if entities is not None:
        if not isinstance(entities, list) or not all(
            isinstance(e, dict) and {"type", "offset", "length"} <= e.keys() for e in entities
        ):
            raise bad_request(f"can't parse {entities_field} JSON object")
        text, parsed = raw, [dict(e) for e in entities]
    else:
        mode = params.get_str(mode_field)
        try:
            text, parsed = parse_text(raw, mode)
        except EntityParseError as exc:
            raise bad_request(f"can't parse entities: {exc}") from None
        except ValueError:
            raise bad_request("unsupported parse_mode") from None
    text, parsed = trim(text, parsed)
    return text, detect(text, parsed) or None


def parse_message_text(call: Call) -> tuple[str, list[JSON] | None]:
    text, entities = parse_formatted(call, "text", "parse_mode", "entities")
    if text is None or not text.strip():
        raise bad_request("message text is empty")
    if len(text) > MAX_TEXT:
        raise bad_request("message is too long")
    return text, entities


def parse_caption(call: Call) -> tuple[str | None, list[JSON] | None]:
    caption, entities = parse_formatted(call, "caption", "parse_mode", "caption_entities")
    if caption is not None and len(caption) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    if caption is not None and not caption.strip():
        return None, None
    return caption, entities


def _validate_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request('can\'t parse inline keyboard button: Field "text" must be of type String')
    if not button["text"]:
        raise bad_request("BUTTON_TEXT_EMPTY")
    actions = (
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    )
    if not any(key in button for key in actions):
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        if not isinstance(url, str) or not re.match(r"^(https?|tg)://\S+$", url):
            raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")


def parse_reply_markup(call: Call) -> JSON | None:
    error = "can't parse reply keyboard markup JSON object"
    markup = call.params.get_json("reply_markup", error=error)
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request(error)
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
        for row in rows:
            for button in row:
                _validate_inline_button(button)
        return markup
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request("can't parse keyboard button: KeyboardButton must be a String or an Object")
        for row in rows:
            for button in row:
                text = (
                    button
                    if isinstance(button, str)
                    else button.get("text")
                    if isinstance(button, dict)
                    else None
                )
                if not isinstance(text, str) or not text:
                    raise bad_request('can\'t parse keyboard button: Field "text" must be of type String')
        return markup
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return markup
    raise bad_request(error)


def message_markup(markup: JSON | None) -> JSON | None:
    """Telegram echoes only inline keyboards in the returned Message."""
    if markup is not None and "inline_keyboard" in markup:
        return {"inline_keyboard": markup["inline_keyboard"]}
    return None


def _snapshot(message: StoredMessage) -> JSON:
    data = dict(message.data)
    data.pop("reply_to_message", None)
    return data


def find_reply(call: Call, chat: Chat) -> JSON | None:
    params = call.params
    reply = params.get_json("reply_parameters", error="can't parse reply parameters JSON object")
    message_id: int | None
    allow_without = params.get_bool("allow_sending_without_reply")
    if isinstance(reply, dict):
        message_id = reply.get("message_id")
        allow_without = bool(reply.get("allow_sending_without_reply", allow_without))
        target_chat = chat
        if reply.get("chat_id") not in (None, chat.id):
            other = call.state.chats.get(reply["chat_id"]) if isinstance(reply["chat_id"], int) else None
            if other is None:
                raise bad_request("chat not found")
            target_chat = other
        chat = target_chat
    else:
        message_id = params.get_int("reply_to_message_id")
    if not message_id:
        return None
    target = chat.messages.get(int(message_id))
    if target is None or target.deleted:
        if allow_without:
            return None
        raise bad_request("message to be replied not found")
    return _snapshot(target)


def rate_limit(call: Call, chat: Chat) -> None:
    paid = call.params.get_bool("allow_paid_broadcast")
    kind: ChatKind = "private" if chat.type == "private" else "group"
    retry = call.state.limiter.acquire(call.bot_id, chat.id, kind, paid)
    if retry is not None:
        raise ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})


def rate_limit_bot(call: Call) -> None:
    """429 for a call that sends no message (edit, delete, callback answer, chat action) during a flood."""
    retry = call.state.limiter.acquire_bot(call.bot_id)
    if retry is not None:
        raise ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})


def deliver(call: Call, chat: Chat, content: JSON, markup: JSON | None) -> StoredMessage:
    """Rate-limit, then store a bot message in ``chat``; returns the stored message."""
    params = call.params
    reply = find_reply(call, chat)
    rate_limit(call, chat)
    data: JSON = {"from": call.bot_user()}
    data.update(content)
    if reply is not None:
        data["reply_to_message"] = reply
    inline = message_markup(markup)
    if inline is not None:
        data["reply_markup"] = inline
    if params.get_bool("protect_content"):
        data["has_protected_content"] = True
    preview = params.get_json("link_preview_options", error="can't parse link preview options JSON object")
    if isinstance(preview, dict) and "text" in content:
        data["link_preview_options"] = preview
    options = {
        key: params.raw(key)
        for key in (
            "parse_mode",
            "disable_notification",
            "protect_content",
            "allow_paid_broadcast",
            "message_thread_id",
            "message_effect_id",
        )
        if params.raw(key) not in (None, "")
    }
    if isinstance(preview, dict):
        options["link_preview_options"] = preview
    elif params.has("disable_web_page_preview"):
        options["disable_web_page_preview"] = params.get_bool("disable_web_page_preview")
    for key in ("disable_notification", "protect_content", "allow_paid_broadcast"):
        if key in options:
            options[key] = params.get_bool(key)
    return call.state.add_message(chat, data, from_bot=True, reply_markup=markup, options=options)


def message_content(message: StoredMessage) -> JSON:
    """The copyable content of a message (text or media with caption)."""
    keys = ("text", "entities", "caption", "caption_entities", "link_preview_options", *MEDIA_KINDS)
    return {k: message.data[k] for k in keys if k in message.data}


def get_message(chat: Chat, message_id: int | None, not_found: str) -> StoredMessage:
    if message_id is None:
        raise bad_request("message identifier is not specified")
    message = chat.messages.get(message_id)
    if message is None or message.deleted:
        raise bad_request(not_found)
    return message


# --------------------------------------------------------------------------- identity


@api_method("getMe")
async def get_me(call: Call) -> JSON:
    return {
        **call.bot_user(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@api_method("logOut", "close")
async def log_out(call: Call) -> bool:
    return True


# --------------------------------------------------------------------------- updates


@api_method("getUpdates")
async def get_updates(call: Call) -> list[JSON]:
    state = call.state
    params = call.params
    if state.webhook is not None:
        raise ApiError(409, GETUPDATES_CONFLICT)
    offset = params.get_int("offset", 0) or 0
    limit = min(100, max(1, params.get_int("limit", 100) or 100))
    timeout = max(0.0, params.get_float("timeout", 0.0) or 0.0)
    allowed = params.get_json("allowed_updates", error="can't parse allowed_updates JSON object")
    if isinstance(allowed, list):
        state.allowed_updates = [str(a) for a in allowed]
    state.confirm_updates(offset)
    state.poll_generation += 1
    generation = state.poll_generation
    state.notify()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    state.active_polls += 1
    try:
        while not state.updates and not state.closing:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            await state.wait_changed(remaining)
            if state.poll_generation != generation:
                raise ApiError(409, POLL_CONFLICT)
            if state.webhook is not None:
                raise ApiError(409, GETUPDATES_CONFLICT)
    finally:
        state.active_polls -= 1
    batch = state.updates[:limit]
    for entry in batch:
        entry.redelivery = False
    state.stats.updates_delivered += len(batch)
    return [state.update_dict(entry, call.bot_id) for entry in batch]


@api_method("setWebhook")
async def set_webhook(call: Call) -> bool:
    state = call.state
    params = call.params
    url = params.get_str("url", "") or ""
    if params.get_bool("drop_pending_updates"):
        state.updates.clear()
    if not url:
        state.webhook = None
        state.notify()
        return True
    check_webhook_url(url, allow_dev=state.dev_webhooks)
    secret = params.get_str("secret_token")
    if secret is not None and not re.match(r"^[A-Za-z0-9_-]{1,256}$", secret):
        raise bad_request("bad webhook: secret token contains unallowed characters")
    allowed = params.get_json("allowed_updates", error="can't parse allowed_updates JSON object")
    if isinstance(allowed, list):
        state.allowed_updates = [str(a) for a in allowed]
    previous = state.webhook
    connections = params.get_int("max_connections", 40)
    hook = WebhookConfig(
        url=url,
        token=call.token,
        secret_token=secret or None,
        max_connections=min(100, max(1, connections if connections is not None else 40)),  # Telegram clamps
        allowed_updates=state.allowed_updates,
    )
    if previous is not None and previous.url == url:
        hook.last_error_date = previous.last_error_date
        hook.last_error_message = previous.last_error_message
    state.webhook = hook
    state.notify()
    return True


def check_webhook_url(url: str, *, allow_dev: bool) -> None:
    """Telegram accepts only ``https://`` on ports 443, 80, 88 or 8443; the dev flag lifts this for tests."""
    parts = urlsplit(url)
    if allow_dev and parts.scheme in ("http", "https") and parts.hostname:
        return
    if parts.scheme != "https" or not parts.hostname:
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    try:
        port = parts.port or 443
    except ValueError:
        port = 0
    if port not in WEBHOOK_PORTS:
        raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")


@api_method("deleteWebhook")
async def delete_webhook(call: Call) -> bool:
    state = call.state
    if call.params.get_bool("drop_pending_updates"):
        state.updates.clear()
    state.webhook = None
    state.notify()
    return True


@api_method("getWebhookInfo")
async def get_webhook_info(call: Call) -> JSON:
    state = call.state
    hook = state.webhook
    info: JSON = {"url": "", "has_custom_certificate": False, "pending_update_count": len(state.updates)}
    if hook is not None:
        info["url"] = hook.url
        info["max_connections"] = hook.max_connections
        info["ip_address"] = "127.0.0.1"
        if hook.allowed_updates:
            info["allowed_updates"] = list(hook.allowed_updates)
        if hook.last_error_date is not None:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message or ""
    return info


# --------------------------------------------------------------------------- sending


@api_method("sendMessage")
async def send_message(call: Call) -> JSON:
    chat = resolve_chat(call)
    check_bot_present(chat)
    text, entities = parse_message_text(call)
    markup = parse_reply_markup(call)
    content: JSON = {"text": text}
    if entities:
        content["entities"] = entities
    return deliver(call, chat, content, markup).data


def _file_for(call: Call, kind: str) -> tuple[FileRecord, Upload | None]:
    value = call.params.file(kind)
    state = call.state
    if value is None:
        raise bad_request(f"there is no {kind} in the request")
    if isinstance(value, Upload):
        if not value.data:
            raise bad_request("file must be non-empty")
        width, height = image_size(value.data) if kind in ("photo", "animation", "video") else (0, 0)
        mime = value.content_type if value.content_type not in (None, "application/octet-stream") else None
        mime = mime or guess_mime(value.filename)
        if kind == "photo":
            if (width, height) == (0, 0):
                raise bad_request("IMAGE_PROCESS_FAILED")
            mime = None
        record = state.store_file(value.data, kind, value.filename, mime, width, height)
        return record, value
    existing = state.files.get(value)
    if existing is not None:
        if existing.kind != kind and not (kind == "document" and existing.kind != "photo"):
            raise bad_request(f"can't use file of type {existing.kind.title()} as {kind.title()}")
        return existing, None
    if re.match(r"^https?://\S+$", value):
        name = value.rstrip("/").rsplit("/", 1)[-1] or None
        return state.store_file(b"", kind, name, guess_mime(name) if kind != "photo" else None), None
    raise bad_request("wrong file identifier/HTTP URL specified")


def _send_media(kind: str) -> Handler:
    async def handler(call: Call) -> JSON:
        chat = resolve_chat(call)
        check_bot_present(chat)
        caption, entities = parse_caption(call)
        markup = parse_reply_markup(call)
        record, _ = _file_for(call, kind)
        content: JSON = {kind: media_object(record, kind)}
        if kind == "animation":
            content["document"] = media_object(record, "document")
        if caption is not None:
            content["caption"] = caption
            if entities:
                content["caption_entities"] = entities
        if call.params.get_bool("has_spoiler"):
            content["has_media_spoiler"] = True
        return deliver(call, chat, content, markup).data

    handler.__name__ = f"send_{kind}"
    return handler


for _kind in MEDIA_KINDS:
    api_method(f"send{_kind.capitalize()}")(_send_media(_kind))


@api_method("sendChatAction")
async def send_chat_action(call: Call) -> bool:
    chat = resolve_chat(call)
    check_bot_present(chat)
    action = call.params.get_str("action")
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    rate_limit_bot(call)
    return True


@api_method("copyMessage")
async def copy_message(call: Call) -> JSON:
    chat = resolve_chat(call)
    check_bot_present(chat)
    source_chat = resolve_chat(call, "from_chat_id")
    source = get_message(source_chat, call.params.get_int("message_id"), "message to copy not found")
    if source.service:
        raise bad_request("message can't be copied")
    content = message_content(source)
    content.pop("link_preview_options", None)
    if call.params.has("caption") or call.params.has("caption_entities"):
        if "text" in content:
            raise bad_request("there is no caption in the message")
        caption, entities = parse_caption(call)
        content.pop("caption", None)
        content.pop("caption_entities", None)
        if caption is not None:
            content["caption"] = caption
            if entities:
                content["caption_entities"] = entities
    markup = parse_reply_markup(call)
    stored = deliver(call, chat, content, markup)
    stored.options["copied_from"] = {"chat_id": source_chat.id, "message_id": source.message_id}
    return {"message_id": stored.message_id}


@api_method("forwardMessage")
async def forward_message(call: Call) -> JSON:
    chat = resolve_chat(call)
    check_bot_present(chat)
    source_chat = resolve_chat(call, "from_chat_id")
    source = get_message(source_chat, call.params.get_int("message_id"), "message to forward not found")
    if source.service:
        raise bad_request("message can't be forwarded")
    content = message_content(source)
    sender = source.data.get("from") or call.bot_user()
    content["forward_origin"] = {"type": "user", "date": source.data["date"], "sender_user": sender}
    stored = deliver(call, chat, content, None)
    stored.options["forwarded_from"] = {"chat_id": source_chat.id, "message_id": source.message_id}
    return stored.data


# --------------------------------------------------------------------------- editing


def _editable(call: Call) -> tuple[Chat, StoredMessage]:
    if call.params.has("inline_message_id"):
        raise bad_request("message to edit not found")
    chat = resolve_chat(call)
    check_bot_present(chat)
    message = get_message(chat, call.params.get_int("message_id"), "message to edit not found")
    if not message.from_bot or message.service:
        raise bad_request("message can't be edited")
    return chat, message


def _apply_edit(call: Call, message: StoredMessage, changes: JSON, markup: JSON | None) -> JSON:
    before = message.content()
    after = dict(before)
    for key, value in changes.items():
        if value is None:
            after.pop(key, None)
        else:
            after[key] = value
    after["reply_markup"] = markup
    if after == before:
        raise bad_request(NOT_MODIFIED)
    rate_limit_bot(call)
    previous = dict(before)
    previous["edit_date"] = message.data.get("edit_date", message.data["date"])
    message.history.append(previous)
    for key, value in changes.items():
        if value is None:
            message.data.pop(key, None)
        else:
            message.data[key] = value
    inline = message_markup(markup)
    if inline is None:
        message.data.pop("reply_markup", None)
    else:
        message.data["reply_markup"] = inline
    message.reply_markup = markup
    message.data["edit_date"] = call.now
    return message.data


@api_method("editMessageText")
async def edit_message_text(call: Call) -> JSON:
    _, message = _editable(call)
    if "text" not in message.data:
        raise bad_request("there is no text in the message to edit")
    text, entities = parse_message_text(call)
    markup = parse_reply_markup(call)
    changes: JSON = {"text": text, "entities": entities}
    preview = call.params.get_json("link_preview_options")
    if isinstance(preview, dict):
        message.options["link_preview_options"] = preview
    return _apply_edit(call, message, changes, markup)


@api_method("editMessageCaption")
async def edit_message_caption(call: Call) -> JSON:
    _, message = _editable(call)
    if not any(kind in message.data for kind in MEDIA_KINDS):
        raise bad_request("there is no caption in the message to edit")
    caption, entities = parse_caption(call)
    markup = parse_reply_markup(call)
    return _apply_edit(call, message, {"caption": caption, "caption_entities": entities}, markup)


@api_method("editMessageReplyMarkup")
async def edit_message_reply_markup(call: Call) -> JSON:
    _, message = _editable(call)
    markup = parse_reply_markup(call)
    if markup is not None and "inline_keyboard" not in markup:
        raise bad_request("inline keyboard expected")
    return _apply_edit(call, message, {}, markup)


@api_method("deleteMessage")
async def delete_message(call: Call) -> bool:
    chat = resolve_chat(call)
    message = get_message(chat, call.params.get_int("message_id"), "message to delete not found")
    rate_limit_bot(call)
    _delete(call, chat, message)
    return True


def _delete(call: Call, chat: Chat, message: StoredMessage) -> None:
    if chat.is_group:
        check_bot_present(chat)
        if call.state.clock.time() - message.created_at > DELETE_WINDOW:
            raise bad_request("message can't be deleted")
        if not message.from_bot and chat.bot_status not in ("administrator", "creator"):
            raise bad_request("message can't be deleted")
    message.deleted = True
    message.deleted_at = call.now


@api_method("deleteMessages")
async def delete_messages(call: Call) -> bool:
    chat = resolve_chat(call)
    ids = call.params.get_json("message_ids")
    if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
        raise bad_request("message_ids is empty" if not ids else "too many message identifiers specified")
    rate_limit_bot(call)
    for message_id in ids:
        message = chat.messages.get(int(message_id))
        if message is None or message.deleted:
            continue
        try:
            _delete(call, chat, message)
        except ApiError:
            continue
    return True


@api_method("pinChatMessage", "unpinChatMessage")
async def pin_chat_message(call: Call) -> bool:
    chat = resolve_chat(call)
    check_bot_present(chat)
    message_id = call.params.get_int("message_id")
    if call.method == "pinChatMessage" or message_id is not None:
        message = get_message(chat, message_id, "message to pin not found")
        message.options["pinned"] = call.method == "pinChatMessage"
    return True


@api_method("unpinAllChatMessages")
async def unpin_all_chat_messages(call: Call) -> bool:
    chat = resolve_chat(call)
    check_bot_present(chat)
    for message in chat.messages.values():
        message.options.pop("pinned", None)
    return True


# --------------------------------------------------------------------------- callbacks


@api_method("answerCallbackQuery")
async def answer_callback_query(call: Call) -> bool:
    state = call.state
    query_id = call.params.get_str("callback_query_id") or ""
    query = state.callback_queries.get(query_id)
    if query is None or query.get("answered"):
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = call.params.get_str("text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    rate_limit_bot(call)
    query["answered"] = True
    state.callback_answers.append(
        {
            "callback_query_id": query_id,
            "text": text,
            "show_alert": call.params.get_bool("show_alert"),
            "url": call.params.get_str("url"),
            "cache_time": call.params.get_int("cache_time", 0),
            "user_id": query["user_id"],
            "chat_id": query["chat_id"],
            "message_id": query["message_id"],
            "data": query["data"],
            "date": call.now,
        }
    )
    return True


# --------------------------------------------------------------------------- chats


@api_method("getChat")
async def get_chat(call: Call) -> JSON:
    chat = resolve_chat(call)
    info = chat.to_dict()
    info.update(
        {
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }
    )
    if chat.type == "group":
        info.pop("all_members_are_administrators", None)
    if chat.migrated_from is not None:
        info["migrated_from_chat_id"] = chat.migrated_from
    return info


def _is_bot(call: Call, user_id: int) -> bool:
    return user_id in (call.bot_id, call.state.bot_id)


@api_method("getChatMember")
async def get_chat_member(call: Call) -> JSON:
    chat = resolve_chat(call)
    user_id = call.params.get_int("user_id")
    if user_id is None:
        raise bad_request("user_id is empty")
    if _is_bot(call, user_id):
        status = "member" if chat.user is not None else chat.bot_status
        return member_object(status, call.bot_user())
    user = call.state.users.get(user_id)
    if user is None:
        raise bad_request("user not found")
    if chat.user is not None:
        if chat.user.id != user_id:
            raise bad_request("user not found")
        return member_object("member", user.to_dict())
    return member_object(chat.members.get(user_id, "left"), user.to_dict())


@api_method("getChatMemberCount", "getChatMembersCount")
async def get_chat_member_count(call: Call) -> int:
    chat = resolve_chat(call)
    return 2 if chat.user is not None else chat.member_count()


@api_method("getChatAdministrators")
async def get_chat_administrators(call: Call) -> list[JSON]:
    chat = resolve_chat(call)
    if chat.user is not None:
        raise bad_request("there are no administrators in the private chat")
    admins = [
        member_object(status, call.state.users[uid].to_dict())
        for uid, status in chat.members.items()
        if status in ("creator", "administrator") and uid in call.state.users
    ]
    if chat.bot_status == "administrator":
        admins.append(member_object("administrator", call.bot_user()))
    return admins


@api_method("leaveChat")
async def leave_chat(call: Call) -> bool:
    chat = resolve_chat(call)
    if chat.user is not None:
        raise bad_request("chat member status can't be changed in private chats")
    check_bot_present(chat)
    old = chat.bot_status
    chat.bot_status = "left"
    call.state.enqueue_update(
        "my_chat_member",
        {
            "chat": chat.to_dict(),
            "from": bot_marker(),
            "date": call.now,
            "old_chat_member": member_object(old, bot_marker()),
            "new_chat_member": member_object("left", bot_marker()),
        },
    )
    return True


# --------------------------------------------------------------------------- files


@api_method("getFile")
async def get_file(call: Call) -> JSON:
    record = call.state.files.get(call.params.get_str("file_id") or "")
    if record is None:
        raise bad_request("invalid file_id")
    if record.file_size > MAX_DOWNLOAD:
        raise bad_request("file is too big")
    return {
        "file_id": record.file_id,
        "file_unique_id": record.file_unique_id,
        "file_size": record.file_size,
        "file_path": record.file_path,
    }


# --------------------------------------------------------------------------- bot settings


def _scope_key(call: Call) -> str:
    scope = call.params.get_json("scope", error="can't parse BotCommandScope JSON object")
    language = call.params.get_str("language_code") or ""
    if scope is None:
        scope = {"type": "default"}
    if not isinstance(scope, dict) or "type" not in scope:
        raise bad_request("can't parse BotCommandScope JSON object")
    return json.dumps(scope, sort_keys=True) + "|" + language


@api_method("setMyCommands")
async def set_my_commands(call: Call) -> bool:
    commands = call.params.get_json("commands", error="can't parse commands JSON object")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("can't parse commands JSON object")
    cleaned: list[JSON] = []
    for command in commands:
        if not isinstance(command, dict):
            raise bad_request("can't parse commands JSON object")
        name = command.get("command")
        description = command.get("description")
        if not isinstance(name, str) or not re.match(r"^[a-z0-9_]{1,32}$", name):
            raise bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        cleaned.append({"command": name, "description": description})
    call.state.commands[_scope_key(call)] = cleaned
    return True


@api_method("getMyCommands")
async def get_my_commands(call: Call) -> list[JSON]:
    return list(call.state.commands.get(_scope_key(call), []))


@api_method("deleteMyCommands")
async def delete_my_commands(call: Call) -> bool:
    call.state.commands.pop(_scope_key(call), None)
    return True


@api_method("setChatMenuButton")
async def set_chat_menu_button(call: Call) -> bool:
    button = call.params.get_json("menu_button", error="can't parse menu button JSON object") or {
        "type": "default"
    }
    if not isinstance(button, dict) or button.get("type") not in ("default", "commands", "web_app"):
        raise bad_request("can't parse menu button JSON object")
    if call.params.has("chat_id"):
        resolve_chat(call).menu_button = button
    else:
        call.state.default_menu_button = button
    return True


@api_method("getChatMenuButton")
async def get_chat_menu_button(call: Call) -> JSON:
    if call.params.has("chat_id"):
        button = resolve_chat(call).menu_button
        if button is not None and button.get("type") != "default":
            return button
    default = call.state.default_menu_button
    return default if default.get("type") != "default" else {"type": "commands"}


def _bot_text(setting: str, result_key: str, max_len: int) -> tuple[Handler, Handler]:
    async def setter(call: Call) -> bool:
        value = call.params.get_str(result_key) or ""
        if len(value) > max_len:
            raise bad_request(f"{result_key} is too long")
        language = call.params.get_str("language_code") or ""
        call.state.bot_texts[f"{setting}|{language}"] = value
        return True

    async def getter(call: Call) -> JSON:
        language = call.params.get_str("language_code") or ""
        texts = call.state.bot_texts
        default = call.state.bot_first_name if setting == "name" else ""
        return {result_key: texts.get(f"{setting}|{language}", texts.get(f"{setting}|", default))}

    return setter, getter


for _setting, _key, _max, _suffix in (
    ("name", "name", 64, "Name"),
    ("description", "description", 512, "Description"),
    ("short_description", "short_description", 120, "ShortDescription"),
):
    _setter, _getter = _bot_text(_setting, _key, _max)
    api_method(f"setMy{_suffix}")(_setter)
    api_method(f"getMy{_suffix}")(_getter)


@api_method("setMyDefaultAdministratorRights")
async def set_default_admin_rights(call: Call) -> bool:
    rights = call.params.get_json("rights") or {}
    key = "channel" if call.params.get_bool("for_channels") else "group"
    call.state.default_admin_rights[key] = rights
    return True


@api_method("getMyDefaultAdministratorRights")
async def get_default_admin_rights(call: Call) -> JSON:
    key = "channel" if call.params.get_bool("for_channels") else "group"
    base: JSON = dict.fromkeys(("is_anonymous", *ADMIN_RIGHTS[:11]), False)
    base.update(call.state.default_admin_rights.get(key, {}))
    return base
