"""Application assembly: builds the bot, the dispatcher and the shared services from settings."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.memory import DisabledEventIsolation, SimpleEventIsolation
from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage
from aiogram.types import Update
from pydantic import ValidationError
from redis.asyncio import Redis

from bot import replies, retry
from bot.fsm_storage import SqlStorage
from bot.metrics import Metrics
from bot.middlewares import ChatIsolationMiddleware, UnitOfWorkMiddleware
from config.settings import TELEGRAM_API_BASE, Settings
from handlers import build_routers
from storage.db import Database
from storage.migrate import ensure_schema_current

log = logging.getLogger(__name__)


def build_bot(settings: Settings) -> Bot:
    session = AiohttpSession()
    if settings.telegram_api_base.rstrip("/") != TELEGRAM_API_BASE:
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_base.rstrip("/")))
    bot = Bot(
        token=settings.telegram_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
    replies.install(bot)  # outermost: a held reply still passes the retry middleware when it is sent
    return retry.install(bot)


def build_fsm_storage(settings: Settings, db: Database, redis: Redis | None) -> BaseStorage:
    if redis is not None:
        return RedisStorage(redis, key_builder=DefaultKeyBuilder(prefix="loa:fsm", with_destiny=True))
    return SqlStorage(db)


def build_isolation(redis: Redis | None) -> BaseEventIsolation:
    """Updates of one chat are handled one at a time, each after the previous one committed: a leader
    answering a form quickly never races the commit of the question before. Other chats run in parallel."""
    if redis is not None:
        return RedisEventIsolation(redis, key_builder=DefaultKeyBuilder(prefix="loa:lock", with_destiny=True))
    return SimpleEventIsolation()


def build_dispatcher(
    *,
    settings: Settings,
    db: Database,
    metrics: Metrics,
    storage: BaseStorage,
    isolation: BaseEventIsolation | None = None,
    **services: Any,
) -> Dispatcher:
    # aiogram's own FSM middleware would read the state before our transaction starts; it is registered
    # here instead, inside the unit of work, with the per-chat lock taken outside it (bot/middlewares.py).
    dp = Dispatcher(storage=storage, disable_fsm=True)
    dp.update.outer_middleware(ChatIsolationMiddleware(dp.fsm, isolation or SimpleEventIsolation()))
    dp.update.outer_middleware(UnitOfWorkMiddleware(db, metrics))
    dp.update.outer_middleware(
        FSMContextMiddleware(storage=storage, events_isolation=DisabledEventIsolation())
    )
    dp.include_routers(*build_routers())
    dp.workflow_data.update(settings=settings, db=db, metrics=metrics, **services)
    return dp


@dataclass
class Loa:
    """Everything one running process owns. Created by `Loa.create`, closed by `close`."""

    settings: Settings
    db: Database
    metrics: Metrics
    redis: Redis | None
    bot: Bot
    dispatcher: Dispatcher
    webhook_secret: str = field(repr=False, default="")

    @classmethod
    async def create(cls, settings: Settings, *, check_schema: bool = True) -> Loa:
        db = Database(settings)
        redis: Redis | None = None
        try:
            if check_schema:
                await ensure_schema_current(db.engine)
            if settings.redis_url:
                redis = Redis.from_url(settings.redis_url)
            metrics = Metrics()
            storage = build_fsm_storage(settings, db, redis)
            bot = build_bot(settings)
            dp = build_dispatcher(
                settings=settings, db=db, metrics=metrics, storage=storage, isolation=build_isolation(redis)
            )
        except BaseException:
            await db.dispose()
            if redis is not None:
                await redis.aclose()
            raise
        secret = (
            settings.webhook_secret.get_secret_value()
            if settings.webhook_secret
            else secrets.token_urlsafe(32)
        )
        return cls(settings, db, metrics, redis, bot, dp, secret)

    async def close(self) -> None:
        await self.dispatcher.storage.close()
        await self.bot.session.close()
        if self.redis is not None:
            await self.redis.aclose()
        await self.db.dispose()

    async def announce_commands(self) -> None:
        """The members' command list (leaders and officers get theirs in their own chat at /start)."""
        from handlers.menu import register_commands

        try:
            await register_commands(self.bot)
        except Exception:  # the list is a convenience: never a reason not to start
            log.warning("could not register the bot's command list", exc_info=True)

    async def feed_webhook(self, payload: dict[str, Any]) -> bool:
        """Handles one update posted to the webhook; False (and nothing runs) when it is not an update."""
        try:
            update = Update.model_validate(payload, context={"bot": self.bot})
        except ValidationError:
            return False
        if not 0 <= update.update_id < 2**63:
            return False
        await self.dispatcher.feed_webhook_update(self.bot, update)
        return True

    async def start_webhook(self) -> None:
        url = (self.settings.webhook_url or "").rstrip("/") + self.settings.webhook_path
        await self.bot.set_webhook(
            url=url,
            secret_token=self.webhook_secret,
            allowed_updates=self.dispatcher.resolve_used_update_types(),
        )
        log.info("webhook set to %s", url)
        await self.announce_commands()

    async def start_polling(self) -> None:
        await self.bot.delete_webhook(drop_pending_updates=False)
        await self.announce_commands()
        await self.dispatcher.start_polling(
            self.bot,
            handle_signals=False,
            close_bot_session=False,
            allowed_updates=self.dispatcher.resolve_used_update_types(),
            polling_timeout=10,
        )

    async def stop_polling(self) -> None:
        if self.dispatcher._running_lock.locked():
            await self.dispatcher.stop_polling()
