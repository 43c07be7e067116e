"""The web service: one Starlette app serves Telegram, SMS, health and metrics."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import sqlite3
from collections.abc import AsyncIterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from redis.exceptions import RedisError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.conversation.conversations import Conversations
from bot.library import Library, Watcher
from bot.storage import Store
from bot.wiring import HandoverParts, System, broadcaster, handover, telegram_application

log = logging.getLogger(__name__)


def create_app(system: System, watch: bool = True, broadcasts: bool = True) -> Starlette:
    """The web service of a built system; channels without their token are simply off."""
    settings, library, store = system.settings, system.library, system.store
    conversations = system.conversations
    routes = [Route("/metrics", _metrics(conversations))]
    telegram_app: Any = None
    inbox: Any = None
    handover_parts: HandoverParts | None = None
    if settings.sms_on:
        from bot.channels.sms import SmsChannel
        from bot.channels.whatsapp import WhatsAppChannel
        from bot.channels.whatsapp_window import Window

        whatsapp = WhatsAppChannel(conversations, Window(store))
        sms = SmsChannel(
            conversations,
            settings.twilio_token or "",
            settings.public_base_url or "",
            settings.sms_budget,
            whatsapp,
        )
        routes.append(Route("/sms", sms.endpoint, methods=["POST"]))
        # The same endpoint under its own name, for a WhatsApp sender configured apart.
        routes.append(Route("/whatsapp", sms.endpoint, methods=["POST"]))
        from bot.channels.twilio_status import StatusCallbacks

        callbacks = StatusCallbacks(
            store,
            settings.twilio_token or "",
            settings.public_base_url or "",
            conversations.metrics.registry,
        )
        routes.append(Route("/twilio/status", callbacks.endpoint, methods=["POST"]))
    if settings.telegram_on:
        from bot.channels.telegram import TelegramWebhook
        from bot.channels.telegram_inbox import TelegramInbox

        telegram_app = telegram_application(system)
        inbox = TelegramInbox(telegram_app, store, max_pending=settings.telegram_max_pending)
        if settings.handover_on:
            handover_parts = handover(system, telegram_app)
        hook = TelegramWebhook(telegram_app, conversations, settings.telegram_secret or "", inbox)
        routes.append(Route("/telegram", hook.endpoint, methods=["POST"]))
    watcher = Watcher(library, settings.knowledge, settings.locales) if watch else None

    telegram = TelegramStarter(telegram_app, inbox) if telegram_app is not None else None
    alerts = broadcaster(system, telegram_app) if broadcasts else None

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if telegram is not None:
            await telegram.start()
        if watcher is not None:
            await watcher.start()
        sweeper = Sweeper(handover_parts) if handover_parts is not None else None
        if sweeper is not None:
            sweeper.start()
        if alerts is not None:
            await alerts.start()
        try:
            yield
        finally:
            if sweeper is not None:
                await sweeper.stop()
            # Uvicorn has stopped taking requests and finished the ones in flight. Updates in
            # hand get a few seconds; the rest stay in the inbox for the next start.
            if alerts is not None:
                await alerts.stop()  # sends under way finish; the rest stay queued
            if watcher is not None:
                await watcher.stop()
            if telegram is not None:
                await telegram.stop()
            await store.close()

    routes.append(Route("/healthz", _health(library, store, telegram)))
    app = Starlette(routes=routes, lifespan=lifespan)
    app.add_middleware(StoreOutages)
    app.state.conversations = conversations
    app.state.telegram = telegram_app
    app.state.inbox = inbox
    app.state.telegram_state = telegram
    app.state.handover = handover_parts
    app.state.alerts = alerts
    return app


class Sweeper:
    """Every minute: reminders for handovers waiting too long, idle ones back to the bot."""

    EVERY = 60.0

    def __init__(self, parts: HandoverParts) -> None:
        self.parts = parts
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin sweeping in the background."""
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.EVERY)
            try:
                await self.parts.handovers.sweep()
            except Exception:  # the store or Telegram is down: the next sweep tries again
                log.exception("the handover sweep failed; trying again in a minute")

    async def stop(self) -> None:
        """Stop sweeping and close the Twilio connections."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.parts.close()


class TelegramStarter:
    """Brings Telegram up without holding SMS hostage: if the Bot API cannot be reached at
    start, the service serves SMS at once and keeps trying Telegram in the background."""

    RETRY_EVERY = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)

    def __init__(self, application: Any, inbox: Any) -> None:
        self.application = application
        self.inbox = inbox
        self.state = "starting"
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Try once now; on failure, keep trying in the background."""
        if not await self._try():
            self._task = asyncio.create_task(self._keep_trying())

    async def _try(self) -> bool:
        try:
            await self.application.initialize()
            await self.application.start()
        except Exception as exc:  # an outage, a rejected token: report it, never die of it
            self.state = "unreachable"
            # python-telegram-bot quotes a rejected token in its message: never log it.
            reason = str(exc).replace(self.application.bot.token, "[token]")
            log.warning("Telegram is not reachable yet (%s); SMS is served meanwhile", reason)
            with contextlib.suppress(Exception):
                await self.application.bot.shutdown()  # close its connections until next try
            return False
        await self.inbox.start()
        self.state = "ok"
        log.info("Telegram is up")
        return True

    async def _keep_trying(self) -> None:
        for attempt in itertools.count():
            await asyncio.sleep(self.RETRY_EVERY[min(attempt, len(self.RETRY_EVERY) - 1)])
            if await self._try():
                return

    async def stop(self) -> None:
        """Stop the retries, the inbox worker and the application."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.state == "ok":
            await self.inbox.stop()
            await self.application.stop()
            await self.application.shutdown()


_STORE_ERRORS: tuple[type[BaseException], ...] = (sqlite3.Error, TimeoutError, RedisError)


class StoreOutages:
    """A store that cannot serve makes requests 503 (not a traceback each), logged once."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.down = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = False, 0

        async def tracked(message: Message) -> None:
            nonlocal started, status
            if message["type"] == "http.response.start":
                started, status = True, int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except _STORE_ERRORS as exc:
            if not self.down:
                log.error("the session store cannot serve: %r; answering 503 until it can", exc)
                self.down = True
            if not started:
                await PlainTextResponse("store unavailable", 503)(scope, receive, send)
            return
        if self.down and status < 500:  # /healthz answering 503 is no sign of recovery
            log.info("the session store serves again")
            self.down = False


def _health(library: Library, store: Store, telegram: TelegramStarter | None) -> Any:
    async def health(request: Request) -> Response:
        snapshot = library.current
        status, code, store_state = "ok", 200, "ok"
        try:
            await asyncio.wait_for(store.ping(), 2.0)
        except Exception as exc:  # down, frozen, corrupted, disk full: a load balancer must know
            status, code, store_state = "unavailable", 503, f"unavailable: {type(exc).__name__}"
        body: dict[str, Any] = {
            "status": status,
            "store": store_state,
            "version": snapshot.version,
            "entries": len(snapshot.base.entries),
            "countries": sorted(snapshot.base.countries),
        }
        refused = library.refused
        if refused is not None:
            body["refused"] = {
                "version": refused.version,
                "errors": [str(p) for p in refused.errors[:50]],
            }
        if telegram is not None:
            body["telegram"] = telegram.state
            if store_state == "ok":
                body["telegram_waiting"] = await telegram.inbox.store.pending("telegram")
        return JSONResponse(body, status_code=code)

    return health


def _metrics(conversations: Conversations) -> Any:
    async def metrics(request: Request) -> Response:
        data = generate_latest(conversations.metrics.registry)
        return PlainTextResponse(data.decode(), media_type=CONTENT_TYPE_LATEST)

    return metrics
