"""The one place that builds the running system, for every command that runs it.

`serve`, `chat`, `telegram-poll` and `set-webhook` all start here, so the store, the library,
the unanswered log, the conversations and the Telegram application are put together once and
the same way.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from bot.clock import Clock, system_clock
from bot.conversation.conversations import Conversations
from bot.conversation.engine import Engine
from bot.conversation.subscriptions import Subscriptions
from bot.conversation.unanswered import UnansweredLog
from bot.library import Library, Snapshot
from bot.settings import Settings
from bot.storage import Store, open_store

TelegramApp = Any  # python-telegram-bot's Application, generic in six types we never vary


@dataclass(frozen=True)
class System:
    """Everything a running Puente holds, built once."""

    settings: Settings
    library: Library
    store: Store
    unanswered: UnansweredLog
    conversations: Conversations
    clock: Clock = system_clock


def build(
    settings: Settings,
    content: Snapshot | Library,
    store: Store | None = None,
    clock: Clock = system_clock,
) -> System:
    """Put the system together; the store is opened from SESSION_STORE unless one is given."""
    library = content if isinstance(content, Library) else Library(content)
    if store is None:
        store = open_store(settings.session_store, clock, settings.session_days)
    unanswered = UnansweredLog(store, settings.unanswered_days, clock)
    conversations = Conversations(
        Engine(library, clock, handover=settings.handover_on),
        store,
        settings.session_secret,
        record=unanswered.add,
        subscriptions=Subscriptions(store),
    )
    return System(settings, library, store, unanswered, conversations, clock)


@contextlib.asynccontextmanager
async def running(system: System) -> AsyncIterator[System]:
    """Hold the system open; close the store however the block ends."""
    try:
        yield system
    finally:
        await system.store.close()


def telegram_application(system: System, polling: bool = False) -> TelegramApp:
    """The Telegram application: fed by the webhook route, or by long polling."""
    from bot.channels.telegram import build_application

    return build_application(system.settings, system.conversations, polling=polling)


def telegram_registrar(settings: Settings) -> TelegramApp:
    """A Telegram application that only talks to the Bot API (setWebhook, setMyCommands)."""
    from bot.channels.telegram import build_bot_application

    return build_bot_application(settings)


# Human handover --------------------------------------------------------------------------


@dataclass(frozen=True)
class HandoverParts:
    """The running handover: the service, and what must be closed at the end."""

    handovers: Any  # conversation.handovers.Handovers
    twilio: Any  # channels.twilio_rest.TwilioMessages, or None without SMS

    async def close(self) -> None:
        """Release the Twilio connections."""
        if self.twilio is not None:
            await self.twilio.close()


def handover(system: System, application: TelegramApp) -> HandoverParts:
    """Moderators in the Telegram group, replies to Telegram and SMS users; hooked in."""
    from bot.channels.sms_relay import SmsRelay
    from bot.channels.telegram_desk import ModeratorHandlers, TelegramDesk, TelegramRelay
    from bot.channels.twilio_rest import Sender, TwilioMessages
    from bot.conversation.handover import Relay
    from bot.conversation.handovers import Handovers
    from bot.hours import parse_hours

    settings = system.settings
    chat = settings.moderators_chat_id
    assert chat is not None
    relays: dict[str, Relay] = {"telegram": TelegramRelay(application.bot)}
    twilio = None
    if settings.sms_on:
        sender = Sender(settings.twilio_from_number, settings.twilio_messaging_service_sid)
        twilio = TwilioMessages(
            settings.twilio_account_sid or "",
            settings.twilio_token or "",
            sender,
            settings.twilio_api_base,
        )
        relays["sms"] = SmsRelay(twilio, settings.sms_budget)
    handovers = Handovers(
        system.store,
        system.library,
        TelegramDesk(application.bot, chat),
        relays,
        settings.session_secret,
        system.conversations.metrics.registry,
        parse_hours(settings.handover_hours),
        remind_after=settings.handover_remind_minutes * 60.0,
        idle_after=settings.handover_idle_hours * 3600.0,
        retention_days=settings.unanswered_days,
        clock=system.clock,
    )
    ModeratorHandlers(handovers, chat).register(application)
    system.conversations.handover = handovers
    return HandoverParts(handovers, twilio)


def broadcaster(system: System, telegram: TelegramApp | None) -> Any:
    """The alert broadcaster (issue 16), sending on every channel this process is set up for."""
    from bot.channels.alert_send import AlertSender
    from bot.channels.broadcast import Broadcaster
    from bot.channels.twilio_send import TwilioRest
    from bot.channels.whatsapp_window import Window

    settings = system.settings
    twilio = None
    if settings.twilio_rest_on:
        twilio = TwilioRest(
            settings.twilio_account_sid or "",
            settings.twilio_token or "",
            settings.twilio_sms_from,
            settings.twilio_whatsapp_from,
            settings.twilio_api_base,
        )
    status_url = None
    if settings.public_base_url and settings.sms_on:
        status_url = settings.public_base_url + "/twilio/status"
    sender = AlertSender(
        telegram_bot=telegram.bot if telegram is not None else None,
        twilio=twilio,
        window=Window(system.store),
        telegram_rate=settings.telegram_alert_rate,
        twilio_mps=settings.twilio_mps,
        templates=dict(settings.whatsapp_templates),
        status_url=status_url,
    )
    registry = system.conversations.metrics.registry
    return Broadcaster(system.library, system.store, sender, registry=registry)
