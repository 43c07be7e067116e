"""Telegram: python-telegram-bot owns dispatch and sending; the web app owns HTTP.

The `Application` is built with `updater=None`; the /telegram route checks the secret header,
drops redelivered updates, and puts the rest on the application's queue.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.channels import bodies
from bot.channels.telegram_inbox import TelegramInbox, record_failure
from bot.channels.telegram_render import render
from bot.conversation import payloads
from bot.conversation.conversations import Conversations
from bot.conversation.messages import Inbound, Outcome
from bot.conversation.payloads import Payload
from bot.settings import Settings
from bot.storage import session_key

log = logging.getLogger(__name__)
MAX_UPDATE_BYTES = 1024 * 1024
LATE = timedelta(hours=1)  # a message answered later than this gets an apology first
COMMANDS = {
    "start": payloads.MENU,
    "menu": payloads.MENU,
    "help": payloads.HELP,
    "language": payloads.language(),
    "country": payloads.country(),
    "forget": payloads.FORGET,
    "alerts": payloads.ALERTS,
    "stopalerts": payloads.NO_ALERTS,
}
COMMAND_HELP = {
    "menu": "What do you need help with?",
    "help": "Help and keywords",
    "language": "Change language",
    "country": "Change country",
    "alerts": "Alerts for your country",
}

Context = ContextTypes.DEFAULT_TYPE


class _HideToken(logging.Filter):
    """The bot token is in every Bot API URL, and httpx logs URLs: write it as [token]."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.token in message:
            record.msg, record.args = message.replace(self.token, "[token]"), ()
        return True


def hide_token(token: str) -> None:
    """Keep `token` out of the log, whoever logs it (httpx, python-telegram-bot, us)."""
    if not token:
        return
    for name in ("httpx", "httpcore", "telegram", "bot", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _HideToken) and f.token == token for f in logger.filters):
            logger.addFilter(_HideToken(token))


def _builder(settings: Settings) -> Any:
    hide_token(settings.telegram_token or "")
    builder = Application.builder().token(settings.telegram_token or "")
    if settings.telegram_api_base:
        builder = builder.base_url(settings.telegram_api_base)
    return builder


def build_bot_application(settings: Settings) -> Application[Any, Any, Any, Any, Any, Any]:
    """An application that only calls the Bot API: no handlers, no updates."""
    application: Application[Any, Any, Any, Any, Any, Any] = (
        _builder(settings).updater(None).build()
    )
    return application


def build_application(
    settings: Settings, conversations: Conversations, polling: bool = False
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The python-telegram-bot Application, with our handlers and rate limiting.

    Fed by the /telegram route (no updater), or with `polling` by getUpdates.
    """
    builder = _builder(settings).concurrent_updates(64)
    if settings.telegram_rate_limit:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    if not polling:
        builder = builder.updater(None)
    application: Application[Any, Any, Any, Any, Any, Any] = builder.build()
    adapter = TelegramAdapter(conversations)
    private = filters.ChatType.PRIVATE & ~filters.UpdateType.EDITED
    application.add_handler(ChatMemberHandler(adapter.on_member, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_handler(CallbackQueryHandler(adapter.on_button))
    application.add_handler(CommandHandler(list(COMMANDS), adapter.on_command, filters=private))
    application.add_handler(MessageHandler(private & filters.TEXT, adapter.on_text))
    application.add_handler(MessageHandler(private & filters.LOCATION, adapter.on_location))
    application.add_handler(MessageHandler(private, adapter.on_other))
    application.add_error_handler(adapter.on_error)
    return application


class TelegramAdapter:
    """Turns updates into Inbound messages and sends the rendered replies back."""

    def __init__(self, conversations: Conversations) -> None:
        self.conversations = conversations

    async def _run(self, update: Update, context: Context, **fields: Any) -> None:
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None:
            return
        message = Inbound(
            "telegram", str(user.id), resumes=True, language_hint=user.language_code, **fields
        )
        chat_id = chat.id
        sent = update.effective_message.date if update.effective_message else None
        late = sent is not None and datetime.now(UTC) - sent > LATE

        async def deliver(outcome: Outcome) -> str:
            if late and outcome.replies:
                # Hours old (an outage, a backlog): say so before answering, never drop it.
                note = outcome.snapshot.locales.text(
                    outcome.replies[0].language,
                    "Sorry for the late reply: your message reached me only now.",
                )
                await context.bot.send_message(chat_id, escape(note), parse_mode=ParseMode.HTML)
            await self._send(context, chat_id, outcome)
            return "sent"

        await self.conversations.handle(message, deliver, marker=f"tg:{update.update_id}")

    async def _send(self, context: Context, chat_id: int, outcome: Outcome) -> None:
        translate = outcome.snapshot.locales.text
        for reply in outcome.replies:
            for part in render(reply, translate):
                markup = None
                if part.buttons:
                    markup = InlineKeyboardMarkup(
                        [
                            [InlineKeyboardButton(label, callback_data=data) for label, data in row]
                            for row in part.buttons
                        ]
                    )
                await context.bot.send_message(
                    chat_id,
                    part.html,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                )

    async def on_text(self, update: Update, context: Context) -> None:
        """A text message."""
        assert update.effective_message is not None
        await self._run(update, context, text=update.effective_message.text or "")

    async def on_command(self, update: Update, context: Context) -> None:
        """/start, /menu, /help, /language, /country, /forget."""
        text = (update.effective_message.text or "") if update.effective_message else ""
        name = text.split()[0].lstrip("/").split("@")[0].lower() if text else "menu"
        await self._run(update, context, payload=COMMANDS.get(name, payloads.MENU))

    async def on_location(self, update: Update, context: Context) -> None:
        """A shared location: the nearest services."""
        message = update.effective_message
        assert message is not None and message.location is not None
        location = (message.location.latitude, message.location.longitude)
        await self._run(update, context, location=location)

    async def on_other(self, update: Update, context: Context) -> None:
        """Stickers, photos, voice notes...: a polite word that we read text."""
        message = update.effective_message
        kind = "other"
        if message is not None:
            kind = next(
                (
                    k
                    for k in ("sticker", "photo", "voice", "video", "document", "audio")
                    if getattr(message, k, None)
                ),
                "other",
            )
        await self._run(update, context, unsupported=kind)

    async def on_button(self, update: Update, context: Context) -> None:
        """A tapped inline button."""
        query = update.callback_query
        assert query is not None
        await query.answer()
        payload = Payload.parse(query.data or "") or payloads.MENU
        await self._run(update, context, payload=payload)

    async def on_member(self, update: Update, context: Context) -> None:
        """The user blocked the bot: mark them opted out so nothing more is sent."""
        member = update.my_chat_member
        if member is None or member.chat.type != ChatType.PRIVATE:
            return
        if member.new_chat_member.status == ChatMemberStatus.BANNED:
            message = Inbound("telegram", str(member.from_user.id), payload=payloads.OPT_OUT)

            async def keep(outcome: Outcome) -> str:
                return "kept"

            await self.conversations.handle(message, keep, marker=f"tg:{update.update_id}")

    async def on_error(self, update: object, context: Context) -> None:
        """Log, never crash: one bad update must not stop the others; the inbox retries it."""
        record_failure(context.error)
        log.warning("a Telegram update was not answered: %r", context.error)


async def register(
    application: Application[Any, Any, Any, Any, Any, Any],
    url: str,
    secret: str,
    languages: dict[str, Any],
) -> None:
    """setWebhook with the secret, and the command list in every offered language."""
    await application.bot.set_webhook(
        url, secret_token=secret, allowed_updates=Update.ALL_TYPES, drop_pending_updates=False
    )
    for code, translate in languages.items():
        commands = [
            BotCommand(name, translate(help_text)[:256]) for name, help_text in COMMAND_HELP.items()
        ]
        await application.bot.set_my_commands(
            commands, language_code=None if code == "en" else code
        )


class TelegramWebhook:
    """The /telegram endpoint."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        conversations: Conversations,
        secret: str,
        inbox: TelegramInbox,
    ) -> None:
        self.application = application
        self.conversations = conversations
        self.secret = secret
        self.inbox = inbox

    async def endpoint(self, request: Request) -> Response:
        """Accept one update: 200 once it is safe in the store's inbox, handled off the request."""
        given = request.headers.get("x-telegram-bot-api-secret-token", "")
        if not _same(given, self.secret):
            return PlainTextResponse("forbidden", 403)
        try:
            data = bodies.json_object(await bodies.read(request, MAX_UPDATE_BYTES))
        except bodies.TooLarge:
            return PlainTextResponse("update too large", 413)
        except bodies.Malformed:
            return PlainTextResponse("malformed update", 400)
        if not isinstance(data.get("update_id"), int):
            return PlainTextResponse("malformed update", 400)
        try:
            update = Update.de_json(data, self.application.bot)
        except (ValueError, TypeError, KeyError, AttributeError):
            # Acknowledge it anyway: Telegram would redeliver a rejected update forever.
            log.warning("ignored an update python-telegram-bot could not read: %s", sorted(data))
            return PlainTextResponse("ignored")
        chat = update.effective_chat or update.effective_user
        user = (
            session_key(self.conversations.secret, "telegram", str(chat.id))
            if chat is not None
            else f"update:{update.update_id}"
        )
        state = await self.inbox.accept(update.update_id, user, json.dumps(data))
        if state == "full":
            # Not accepted, so not promised: Telegram delivers it again later.
            return PlainTextResponse("busy, try again later", 503, headers={"Retry-After": "5"})
        return PlainTextResponse("already have it" if state == "duplicate" else "ok")


def _same(given: str, expected: str) -> bool:
    import hmac

    return hmac.compare_digest(given.encode(), expected.encode())
