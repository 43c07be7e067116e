"""The web service: one Starlette app serves Telegram, SMS, health and metrics."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.conversation.conversations import Conversations
from bot.library import Library, Watcher
from bot.wiring import System, telegram_application

log = logging.getLogger(__name__)


def create_app(system: System, watch: bool = True) -> Starlette:
    """The web service of a built system; channels without their token are simply off."""
    settings, library, store = system.settings, system.library, system.store
    conversations = system.conversations
    routes = [Route("/healthz", _health(library)), Route("/metrics", _metrics(conversations))]
    telegram_app: Any = None
    inbox: Any = None
    if settings.sms_on:
        from bot.channels.sms import SmsChannel

        sms = SmsChannel(
            conversations,
            settings.twilio_token or "",
            settings.public_base_url or "",
            settings.sms_budget,
        )
        routes.append(Route("/sms", sms.endpoint, methods=["POST"]))
    if settings.telegram_on:
        from bot.channels.telegram import TelegramWebhook
        from bot.channels.telegram_inbox import TelegramInbox

        telegram_app = telegram_application(system)
        inbox = TelegramInbox(telegram_app, store)
        hook = TelegramWebhook(telegram_app, conversations, settings.telegram_secret or "", inbox)
        routes.append(Route("/telegram", hook.endpoint, methods=["POST"]))
    watcher = Watcher(library, settings.knowledge, settings.locales) if watch else None

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if telegram_app is not None:
            await telegram_app.initialize()
            await telegram_app.start()
            await inbox.start()
        if watcher is not None:
            await watcher.start()
        try:
            yield
        finally:
            # Uvicorn has stopped taking requests and finished the ones in flight. Updates in
            # hand get a few seconds; the rest stay in the inbox for the next start.
            if watcher is not None:
                await watcher.stop()
            if telegram_app is not None:
                await inbox.stop()
                await telegram_app.stop()
                await telegram_app.shutdown()
            await store.close()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.conversations = conversations
    app.state.telegram = telegram_app
    app.state.inbox = inbox
    return app


def _health(library: Library) -> Any:
    async def health(request: Request) -> Response:
        snapshot = library.current
        body: dict[str, Any] = {
            "status": "ok",
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
        return JSONResponse(body)

    return health


def _metrics(conversations: Conversations) -> Any:
    async def metrics(request: Request) -> Response:
        data = generate_latest(conversations.metrics.registry)
        return PlainTextResponse(data.decode(), media_type=CONTENT_TYPE_LATEST)

    return metrics
