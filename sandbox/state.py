"""The sandbox's in-memory world: one bot, its users, chats, messages, updates and files.

"One bot world": every bot token talks to the same world.  Updates produced through the
control API go to a single queue (read by ``getUpdates`` or pushed to the webhook) whichever
token reads it, and the bot's membership in a chat is shared.  The bot's user object is
rendered with the id of the token that asks (``getMe``, ``from`` of its messages, the bot in
``my_chat_member``/``new_chat_members``), so updates queued before any token was seen are
still right.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.limits import LimitsConfig, RateLimiter

JSON = dict[str, Any]

BOT_MARKER_KEY = "__sandbox_bot__"
DEFAULT_BOT_ID = 1000000001
# Telegram's default (allowed_updates empty or never set): everything but these.
DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
MEMBER_STATUSES = ("creator", "administrator", "member", "restricted", "left", "kicked")
PRESENT_STATUSES = frozenset({"creator", "administrator", "member", "restricted"})


def bot_marker() -> JSON:
    """Placeholder for the bot's user object, replaced by :func:`render`."""
    return {BOT_MARKER_KEY: True}


def render(obj: Any, bot_user: JSON) -> Any:
    """Deep copy of ``obj`` with bot placeholders replaced by ``bot_user``."""
    if isinstance(obj, dict):
        if BOT_MARKER_KEY in obj:
            return dict(bot_user)
        return {k: render(v, bot_user) for k, v in obj.items()}
    if isinstance(obj, list):
        return [render(v, bot_user) for v in obj]
    return obj


class Clock:
    """Wall and monotonic time, both shiftable with :meth:`advance` ("time travel")."""

    def __init__(
        self,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._monotonic = monotonic
        self._wall = wall
        self.offset = 0.0

    def monotonic(self) -> float:
        return self._monotonic() + self.offset

    def time(self) -> float:
        return self._wall() + self.offset

    def now(self) -> int:
        """Unix time in whole seconds, as Telegram's ``date`` fields."""
        return int(self.time())

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@dataclass
class User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "vi"
    is_bot: bool = False
    blocked: bool = False
    deactivated: bool = False
    started: bool = True

    def to_dict(self) -> JSON:
        data: JSON = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    def control_view(self) -> JSON:
        return {
            **self.to_dict(),
            "blocked": self.blocked,
            "deactivated": self.deactivated,
            "started": self.started,
        }


@dataclass
class StoredMessage:
    """A message in a chat: what the bot sent (with edits/deletion) or what a user sent."""

    message_id: int
    chat_id: int
    data: JSON
    from_bot: bool
    created_at: float
    service: bool = False
    reply_markup: JSON | None = None
    options: JSON = field(default_factory=dict)
    history: list[JSON] = field(default_factory=list)
    deleted: bool = False
    deleted_at: int | None = None

    def content(self) -> JSON:
        """The part of the message an edit can change (compared for 'not modified')."""
        keys = ("text", "entities", "caption", "caption_entities")
        snapshot = {k: self.data[k] for k in keys if k in self.data}
        snapshot["reply_markup"] = self.reply_markup
        return snapshot

    def view(self) -> JSON:
        data = dict(self.data)
        data["reply_markup"] = self.reply_markup
        data["from_bot"] = self.from_bot
        data["service"] = self.service
        data["edited"] = bool(self.history)
        data["edit_history"] = list(self.history)
        data["deleted"] = self.deleted
        data["deleted_at"] = self.deleted_at
        data["options"] = dict(self.options)
        return data


@dataclass
class Chat:
    id: int
    type: str  # "private" | "group" | "supergroup"
    title: str | None = None
    user: User | None = None
    members: dict[int, str] = field(default_factory=dict)
    bot_status: str = "member"
    migrated_to: int | None = None
    migrated_from: int | None = None
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    next_message_id: int = 1
    menu_button: JSON | None = None

    @property
    def is_group(self) -> bool:
        return self.type in ("group", "supergroup")

    def to_dict(self) -> JSON:
        data: JSON = {"id": self.id, "type": self.type}
        if self.user is not None:
            data.update({k: v for k, v in self.user.to_dict().items() if k in ("first_name", "last_name")})
            if self.user.username:
                data["username"] = self.user.username
        else:
            data["title"] = self.title or ""
        if self.type == "group":
            data["all_members_are_administrators"] = False
        return data

    def allocate_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def member_count(self) -> int:
        count = sum(1 for status in self.members.values() if status in PRESENT_STATUSES)
        if self.bot_status in PRESENT_STATUSES:
            count += 1
        return count


@dataclass
class FileRecord:
    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str
    kind: str
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0

    @property
    def file_size(self) -> int:
        return len(self.data)


@dataclass
class WebhookConfig:
    url: str
    token: str
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class QueuedUpdate:
    update_id: int
    type: str
    payload: JSON
    redelivery: bool = False


@dataclass
class Fault:
    kind: str  # "error" | "slow"
    count: int
    status: int = 500
    delay: float = 0.0
    method: str | None = None
    chat_id: int | None = None
    description: str | None = None
    html: bool = False

    def matches(self, method: str, chat_id: int | None) -> bool:
        if self.method is not None and self.method.lower() != method.lower():
            return False
        return self.chat_id is None or self.chat_id == chat_id

    def to_dict(self) -> JSON:
        return {
            "kind": self.kind,
            "count": self.count,
            "status": self.status,
            "delay": self.delay,
            "method": self.method,
            "chat_id": self.chat_id,
            "description": self.description,
            "html": self.html,
        }


@dataclass
class CallRecord:
    method: str
    chat_id: int | None
    status: int
    time: float
    duration: float
    description: str | None = None
    bot_id: int | None = None

    def to_dict(self) -> JSON:
        return {
            "method": self.method,
            "chat_id": self.chat_id,
            "status": self.status,
            "time": self.time,
            "duration": self.duration,
            "description": self.description,
            "bot_id": self.bot_id,
        }


@dataclass
class Stats:
    calls: dict[str, int] = field(default_factory=dict)
    messages_delivered: int = 0
    rate_limited: int = 0
    client_errors: int = 0
    server_errors: int = 0
    updates_queued: int = 0
    updates_delivered: int = 0
    webhook_deliveries: int = 0
    webhook_failures: int = 0

    def to_dict(self) -> JSON:
        return {
            "calls": dict(self.calls),
            "total_calls": sum(self.calls.values()),
            "messages_delivered": self.messages_delivered,
            "rate_limited": self.rate_limited,
            "client_errors": self.client_errors,
            "server_errors": self.server_errors,
            "updates_queued": self.updates_queued,
            "updates_delivered": self.updates_delivered,
            "webhook_deliveries": self.webhook_deliveries,
            "webhook_failures": self.webhook_failures,
        }


class SandboxState:
    """Everything the sandbox knows.  Not thread-safe: use from one event loop."""

    CALL_LOG_SIZE = 100_000

    def __init__(
        self,
        limits: LimitsConfig | None = None,
        bot_username: str = "loa_bot",
        bot_first_name: str = "Loa",
        clock: Clock | None = None,
        dev_webhooks: bool = False,
    ) -> None:
        self.clock = clock or Clock()
        # Development only: accept http:// and any port in setWebhook (tests, demo, benchmarks).
        self.dev_webhooks = dev_webhooks
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.limiter = RateLimiter(limits or LimitsConfig(), clock=self.clock.monotonic)
        self.webhook_retry_delay = 0.05
        self.webhook_max_retry_delay = 1.0
        self.webhook_timeout = 10.0
        self.webhook_in_flight = 0  # deliveries under way (set by the pusher)
        self._update_ids = itertools.count(1)
        self._changed: asyncio.Event | None = None
        self.closing = False
        self.poll_generation = 0  # bumped by each getUpdates; a waiting older poll then gets 409
        self.active_polls = 0
        self._init_world()

    # ------------------------------------------------------------------ world

    def _init_world(self) -> None:
        self.bot_id: int | None = None
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.files: dict[str, FileRecord] = {}
        self.files_by_path: dict[str, FileRecord] = {}
        self.updates: list[QueuedUpdate] = []
        self.update_log: dict[int, QueuedUpdate] = {}
        self.allowed_updates: list[str] | None = None
        self.webhook: WebhookConfig | None = None
        self.commands: dict[str, list[JSON]] = {}
        self.default_menu_button: JSON = {"type": "commands"}
        self.default_admin_rights: dict[str, JSON] = {}
        self.bot_texts: dict[str, str] = {}
        self.callback_queries: dict[str, JSON] = {}
        self.callback_answers: list[JSON] = []
        self.faults: list[Fault] = []
        self.calls: deque[CallRecord] = deque(maxlen=self.CALL_LOG_SIZE)
        self.stats = Stats()
        self._user_ids = itertools.count(100000001)
        self._group_ids = itertools.count(4100000001)
        self._supergroup_ids = itertools.count(1002000000001)
        self._file_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self.limiter.reset()

    def reset(self) -> None:
        """Forget the world (users, chats, updates, webhook, faults, logs, clock offset).

        Update ids keep increasing so a running poller's offset stays valid.
        """
        self._init_world()
        self.clock.offset = 0.0
        self.notify()

    @property
    def limits(self) -> LimitsConfig:
        return self.limiter.config

    # ------------------------------------------------------------------ bot identity

    def bind_bot(self, bot_id: int) -> None:
        if self.bot_id is None:
            self.bot_id = bot_id

    def bot_user(self, bot_id: int | None = None) -> JSON:
        return {
            "id": bot_id if bot_id is not None else (self.bot_id or DEFAULT_BOT_ID),
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def render(self, obj: Any, bot_id: int | None = None) -> Any:
        return render(obj, self.bot_user(bot_id))

    # ------------------------------------------------------------------ users and chats

    def create_user(
        self,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "vi",
        user_id: int | None = None,
        started: bool = True,
    ) -> User:
        if user_id is None:
            user_id = next(self._user_ids)
            while user_id in self.users:
                user_id = next(self._user_ids)
        if user_id <= 0 or user_id in self.users:
            raise ValueError(f"user id {user_id} is taken or invalid")
        user = User(
            id=user_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
            started=started,
        )
        self.users[user_id] = user
        self.chats[user_id] = Chat(id=user_id, type="private", user=user)
        return user

    def create_group(
        self,
        title: str,
        chat_type: str = "group",
        member_ids: list[int] | None = None,
        bot_status: str = "member",
    ) -> Chat:
        if chat_type not in ("group", "supergroup"):
            raise ValueError("type must be 'group' or 'supergroup'")
        chat_id = -next(self._group_ids) if chat_type == "group" else -next(self._supergroup_ids)
        chat = Chat(id=chat_id, type=chat_type, title=title, bot_status=bot_status)
        for index, user_id in enumerate(member_ids or []):
            if user_id not in self.users:
                raise KeyError(user_id)
            chat.members[user_id] = "creator" if index == 0 else "member"
        self.chats[chat_id] = chat
        return chat

    def new_supergroup_id(self) -> int:
        return -next(self._supergroup_ids)

    def find_chat_by_username(self, username: str) -> Chat | None:
        name = username.lstrip("@").lower()
        for chat in self.chats.values():
            if chat.user is not None and (chat.user.username or "").lower() == name:
                return chat
        return None

    def add_message(
        self,
        chat: Chat,
        data: JSON,
        from_bot: bool,
        service: bool = False,
        reply_markup: JSON | None = None,
        options: JSON | None = None,
    ) -> StoredMessage:
        """Store ``data`` (message_id, date and chat are filled in) in ``chat``."""
        message_id = chat.allocate_message_id()
        body: JSON = {"message_id": message_id, "date": self.clock.now(), "chat": chat.to_dict()}
        body.update(data)
        stored = StoredMessage(
            message_id=message_id,
            chat_id=chat.id,
            data=body,
            from_bot=from_bot,
            created_at=self.clock.time(),
            service=service,
            reply_markup=reply_markup,
            options=options or {},
        )
        chat.messages[message_id] = stored
        if from_bot:
            self.stats.messages_delivered += 1
        return stored

    def new_callback_query_id(self) -> str:
        return str(4_000_000_000_000_000_000 + next(self._callback_ids))

    # ------------------------------------------------------------------ files

    def store_file(
        self,
        data: bytes,
        kind: str,
        file_name: str | None = None,
        mime_type: str | None = None,
        width: int = 0,
        height: int = 0,
    ) -> FileRecord:
        number = next(self._file_ids)
        prefix = {"photo": "AgAC", "document": "BQAC", "video": "BAAC", "audio": "CQAC", "voice": "AwAC"}.get(
            kind, "CgAC"
        )
        file_id = f"{prefix}SBX{number:06d}{secrets.token_hex(6)}"
        file_unique_id = f"AQAD{number:06d}"
        extension = ""
        if file_name and "." in file_name:
            extension = file_name.rsplit(".", 1)[1][:8]
        elif kind == "photo":
            extension = "jpg"
        folder = {"photo": "photos", "document": "documents"}.get(kind, f"{kind}s")
        file_path = f"{folder}/file_{number}" + (f".{extension}" if extension else "")
        record = FileRecord(
            file_id=file_id,
            file_unique_id=file_unique_id,
            data=data,
            file_path=file_path,
            kind=kind,
            file_name=file_name,
            mime_type=mime_type,
            width=width,
            height=height,
        )
        self.files[file_id] = record
        self.files_by_path[file_path] = record
        return record

    # ------------------------------------------------------------------ updates

    def _allowed(self, update_type: str) -> bool:
        allowed = self.allowed_updates
        if not allowed:
            return update_type not in DEFAULT_EXCLUDED_UPDATES
        return update_type in allowed

    def enqueue_update(self, update_type: str, payload: JSON) -> int | None:
        """Queue an update; returns its id, or ``None`` when ``allowed_updates`` filters it out."""
        update_id = next(self._update_ids)
        entry = QueuedUpdate(update_id=update_id, type=update_type, payload=payload)
        self.update_log[update_id] = entry
        if not self._allowed(update_type):
            return None
        self.updates.append(entry)
        self.stats.updates_queued += 1
        self.notify()
        return update_id

    def enqueue_raw(self, update: JSON) -> int:
        """Queue a raw update dict (its ``update_id``, if any, is replaced)."""
        kinds = [k for k in update if k != "update_id"]
        update_type = kinds[0] if kinds else "unknown"
        update_id = next(self._update_ids)
        entry = QueuedUpdate(
            update_id=update_id, type=update_type, payload=update[update_type] if kinds else {}
        )
        self.update_log[update_id] = entry
        self.updates.append(entry)
        self.stats.updates_queued += 1
        self.notify()
        return update_id

    def redeliver(self, update_id: int) -> QueuedUpdate:
        """Queue again an update that was already issued, with the same ``update_id``."""
        original = self.update_log[update_id]
        entry = QueuedUpdate(update_id, original.type, original.payload, redelivery=True)
        self.updates.append(entry)
        self.notify()
        return entry

    def update_dict(self, entry: QueuedUpdate, bot_id: int | None = None) -> JSON:
        return {"update_id": entry.update_id, entry.type: self.render(entry.payload, bot_id)}

    def confirm_updates(self, offset: int) -> None:
        """``getUpdates`` offset semantics (positive: drop ids below it; negative: keep the last -offset)."""
        if offset > 0:
            self.updates = [u for u in self.updates if u.update_id >= offset or u.redelivery]
        elif offset < 0:
            self.updates = self.updates[offset:]

    # ------------------------------------------------------------------ waiting

    def notify(self) -> None:
        """Wake everything waiting in :meth:`wait_changed`."""
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    async def sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` of real time, cut short when the server is closing."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not self.closing and (remaining := deadline - loop.time()) > 0:
            await self.wait_changed(remaining)

    async def wait_changed(self, timeout: float) -> bool:
        """Wait until :meth:`notify` or ``timeout``; returns False on timeout."""
        if self._changed is None:
            self._changed = asyncio.Event()
        event = self._changed
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return False
        return True
