"""The Zalo side of a running Loa: its bot, polling or webhook, and outbound routing.

Zalo updates go through `Inbound` to the SAME aiogram dispatcher as Telegram's, with a second
`Bot` whose session speaks Zalo, so every handler serves both messengers. Messages that domain
code sends through the Telegram bot to a Zalo chat (report requests, petition answers, reminders)
are routed to the Zalo session by a request middleware: the chat id says which messenger it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from typing import Any

from bot.app import Loa
from bot.fsm_storage import update_session
from directory.identities import native_address
from messengers.zalo.api import ZaloApi, ZaloError
from messengers.zalo.choices import ChoiceStore
from messengers.zalo.inbound import Inbound
from messengers.zalo.session import ZaloRouting, ZaloSession, fsm_key, update_of, zalo_bot
from messengers.zalo.transport import AddressBook, ZaloTransport

log = logging.getLogger(__name__)
JSON = dict[str, Any]
POLL_TIMEOUT = 10


def zalo_transport(loa: Loa) -> ZaloTransport:
    """The worker's Zalo transport: its own API client, the shared choices, cached addresses."""
    settings = loa.settings
    assert settings.zalo_token is not None

    async def lookup(chat_id: int) -> str | None:
        async with loa.db.sessions() as session:
            return await native_address(session, messenger_id=chat_id)

    return ZaloTransport(
        api=ZaloApi(token=settings.zalo_token.get_secret_value(), base=settings.zalo_api_base),
        choices=ChoiceStore(loa.db, loa.redis),
        address_of=AddressBook(lookup),
    )


class ZaloRuntime:
    def __init__(self, loa: Loa) -> None:
        settings = loa.settings
        assert settings.zalo_token is not None
        self.loa = loa
        self.api = ZaloApi(token=settings.zalo_token.get_secret_value(), base=settings.zalo_api_base)
        self.choices = ChoiceStore(loa.db, loa.redis)
        self._addresses: dict[int, str] = {}
        self.session = ZaloSession(
            api=self.api, choices=self.choices, address_of=self.address_of, in_form=self._private_in_form
        )
        self.bot = zalo_bot(settings.zalo_token.get_secret_value(), self.session)
        self.inbound = Inbound(db=loa.db, choices=self.choices, in_form=self.in_form)
        self.webhook_secret = (
            settings.zalo_webhook_secret.get_secret_value()
            if settings.zalo_webhook_secret
            else secrets.token_urlsafe(24)
        )
        self._chains: dict[int, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()
        self._poller: asyncio.Task[Any] | None = None

    def __repr__(self) -> str:
        return "ZaloRuntime(...)"

    # ------------------------------------------------------------------ ids, state

    async def address_of(self, chat_id: int) -> str | None:
        cached = self._addresses.get(chat_id)
        if cached is not None:
            return cached
        current = update_session.get()
        if current is not None:
            address = await native_address(current, messenger_id=chat_id)
        else:
            async with self.loa.db.sessions() as session:
                address = await native_address(session, messenger_id=chat_id)
        if address is not None:
            self._addresses[chat_id] = address
        return address

    async def in_form(self, chat_id: int, user_id: int) -> bool:
        return await self.loa.dispatcher.storage.get_state(fsm_key(self.bot, chat_id, user_id)) is not None

    async def _private_in_form(self, chat_id: int) -> bool:
        return await self.in_form(chat_id, chat_id)

    def install_outbound(self) -> None:
        self.loa.bot.session.middleware(ZaloRouting(self.bot))

    # ------------------------------------------------------------------ updates

    async def feed(self, update: JSON) -> None:
        """Translate and dispatch one Zalo update (errors are the dispatcher's to answer)."""
        translated = await self.inbound.translate(update)
        if translated is None:
            return
        await self.loa.dispatcher.feed_update(self.bot, update_of(translated, self.bot))

    def _sender(self, update: JSON) -> int:
        message = update.get("message") or {}
        return hash(str((message.get("chat") or {}).get("id") or (message.get("from") or {}).get("id")))

    async def feed_in_order(self, update: JSON) -> None:
        """Updates of one chat are translated and handled one after another, since «1» means the
        choices the previous update's answer showed; different chats run side by side."""
        key = self._sender(update)
        previous = self._chains.get(key)

        async def run() -> None:
            if previous is not None:
                with contextlib.suppress(Exception):
                    await previous
            try:
                await self.feed(update)
            except Exception:
                log.exception("Zalo update failed")

        task = asyncio.create_task(run())
        self._chains[key] = task
        self._tasks.add(task)
        task.add_done_callback(self._done(key))
        await asyncio.sleep(0)

    def _done(self, key: int) -> Any:
        def done(task: asyncio.Task[None]) -> None:
            self._tasks.discard(task)
            if self._chains.get(key) is task:
                del self._chains[key]

        return done

    async def poll(self) -> None:
        """Long polling: one update per call; an empty poll answers 408 and the next call starts."""
        self._poller = asyncio.current_task()
        with contextlib.suppress(ZaloError):
            await self.api.call("deleteWebhook")
        await self.api.call("getMe")
        pause = 0.5
        while not self._stopping.is_set():
            try:
                update = await self.api.call(
                    "getUpdates", http_timeout=POLL_TIMEOUT + 5, timeout=str(POLL_TIMEOUT)
                )
            except ZaloError as exc:
                if exc.code == 408:
                    continue
                log.warning("Zalo getUpdates failed (%s); retrying in %.1fs", exc.code, pause)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), pause)
                pause = min(pause * 2, 10.0)
                continue
            pause = 0.5
            if isinstance(update, dict):
                await self.feed_in_order(update)

    async def start_webhook(self) -> None:
        url = (self.loa.settings.webhook_url or "").rstrip("/") + self.loa.settings.zalo_webhook_path
        await self.api.call("setWebhook", url=url, secret_token=self.webhook_secret)
        log.info("Zalo webhook set to %s", url)

    async def stop(self) -> None:
        self._stopping.set()
        if self._poller is not None and not self._poller.done():
            self._poller.cancel()  # an open long poll would hold the shutdown for its whole timeout
        for task in list(self._tasks):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, timeout=10)

    async def close(self) -> None:
        await self.stop()
        await self.choices.drain()
        await self.bot.session.close()
