"""Twilio SMS webhook: signed requests in, TwiML out.

Twilio signs the public URL it called; behind a proxy that is PUBLIC_BASE_URL plus the path,
not the address this process sees. A retried MessageSid gets the same TwiML again (the first
may never have arrived) without being handled twice.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import phonenumbers
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bot.channels.sms_render import render
from bot.channels.twilio_http import signed_form
from bot.channels.twilio_wire import Signatures, twiml
from bot.content.locales import Locales
from bot.conversation import payloads
from bot.conversation.conversations import Conversations
from bot.conversation.messages import Inbound, Outcome, Reply
from bot.normalise import fold
from bot.storage.contract import TurnTimeout

if TYPE_CHECKING:
    from bot.channels.whatsapp import WhatsAppChannel

log = logging.getLogger(__name__)
MAX_FORM_BYTES = 64 * 1024
# Twilio's own opt-out and opt-in keywords: it stops delivery at carrier level, and so do we.
STOP_WORDS = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit"}
START_WORDS = {"start", "unstop", "yes"}
XML = "application/xml"
PAGE_CACHE = 4096  # rendered replies kept; the popular answers are asked again and again


def country_of(number: str) -> str | None:
    """The ISO country of a phone number, lower case, when it can be told."""
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        return None
    return region.lower() if region and region != "ZZ" else None


class SmsChannel:
    """The /sms endpoint."""

    def __init__(
        self,
        conversations: Conversations,
        auth_token: str,
        public_base_url: str,
        budget: int,
        whatsapp: WhatsAppChannel | None = None,
    ) -> None:
        self.conversations = conversations
        self.whatsapp = whatsapp  # Twilio posts WhatsApp messages to this webhook too
        self.signatures = Signatures(auth_token)
        self.public_base_url = public_base_url.rstrip("/")
        self.budget = budget
        # Rendering is pure: the same reply from the same locales pages the same way.
        self._pages: dict[tuple[Reply, str], tuple[str, ...]] = {}

    def split(self, reply: Reply, locales: Locales) -> tuple[str, ...]:
        """The SMS pages of one reply (the paging channel's `Split`)."""
        key = (reply, locales.version)
        if self._pages and next(iter(self._pages))[1] != locales.version:
            self._pages.clear()  # a reload: pages of the old locales go with them
        pages = self._pages.get(key)
        if pages is None:
            pages = tuple(render(reply, locales.text, self.budget))
            if len(self._pages) >= PAGE_CACHE:
                del self._pages[next(iter(self._pages))]  # the oldest
            self._pages[key] = pages
        return pages

    async def endpoint(self, request: Request) -> Response:
        """Handle one incoming message webhook."""
        if not request.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            return PlainTextResponse("expected a form-encoded Twilio webhook", 415)
        params = await signed_form(
            request, self.signatures, self.public_base_url, MAX_FORM_BYTES, "an SMS webhook"
        )
        if isinstance(params, Response):
            return params
        sid, sender = params.get("MessageSid"), params.get("From")
        if not sid or not sender:
            return PlainTextResponse("MessageSid and From are required", 400)
        if self.whatsapp is not None and sender.startswith("whatsapp:"):
            return await self.whatsapp.handle(params)
        message = self._inbound(sender, params.get("Body", ""))
        try:
            answer = await self.conversations.handle(
                message, _twiml, marker="sms:" + sid, split=self.split
            )
        except TurnTimeout:
            # The store works; this user's earlier message is still being answered. Say so,
            # rather than a 503 that Twilio would not retry and the user would never see.
            log.warning("an SMS waited too long for its user's earlier message; asked to resend")
            return Response(twiml((self._busy(message),)), media_type=XML)
        return Response(answer, media_type=XML)

    def _busy(self, message: Inbound) -> str:
        snapshot = self.conversations.engine.library.current
        country = snapshot.base.countries.get(message.country_hint or "")
        lang = country.languages[0] if country and country.languages else "en"
        return snapshot.locales.text(lang, BUSY)

    def _inbound(self, sender: str, body: str) -> Inbound:
        word = fold(body).strip().strip(".!")
        hint = country_of(sender)
        if word in STOP_WORDS:
            return Inbound("sms", sender, payload=payloads.OPT_OUT, country_hint=hint)
        if word in START_WORDS:
            return Inbound("sms", sender, payload=payloads.OPT_IN, country_hint=hint)
        return Inbound("sms", sender, text=body, country_hint=hint)


BUSY = "I am still answering your previous message. Please send this one again in a minute."


async def _twiml(outcome: Outcome) -> str:
    return twiml(outcome.parts)
