"""Twilio SMS webhook: signed requests in, TwiML out.

Twilio signs the public URL it called; behind a proxy that is PUBLIC_BASE_URL plus the path,
not the address this process sees. A retried MessageSid gets the same TwiML again (the first
may never have arrived) without being handled twice.
"""

from __future__ import annotations

import logging
from functools import lru_cache

import phonenumbers
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from bot.channels.sms_render import render
from bot.conversation.conversations import Conversations
from bot.conversation.engine import Outcome
from bot.conversation.messages import Inbound, Reply
from bot.conversation.session import Session
from bot.normalise import fold

log = logging.getLogger(__name__)
MAX_FORM_BYTES = 64 * 1024
# Twilio's own opt-out and opt-in keywords: it stops delivery at carrier level, and so do we.
STOP_WORDS = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit"}
START_WORDS = {"start", "unstop", "yes"}
XML = "application/xml"


@lru_cache(maxsize=65536)
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
        self, conversations: Conversations, auth_token: str, public_base_url: str, budget: int
    ) -> None:
        self.conversations = conversations
        self.validator = RequestValidator(auth_token)
        self.public_base_url = public_base_url.rstrip("/")
        self.budget = budget
        # Rendering is pure: the same reply from the same content version pages the same way,
        # and the popular answers are asked again and again.
        self._pages = lru_cache(maxsize=4096)(self._render)

    def _render(self, reply: Reply, version: str) -> tuple[str, ...]:
        translate = self.conversations.engine.library.current.locales.text
        return tuple(render(reply, translate, self.budget))

    async def endpoint(self, request: Request) -> Response:
        """Handle one incoming message webhook."""
        if int(request.headers.get("content-length") or 0) > MAX_FORM_BYTES:
            return PlainTextResponse("request too large", 413)
        if not request.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            return PlainTextResponse("expected a form-encoded Twilio webhook", 415)
        try:
            form = await request.form()
        except Exception:  # a body Starlette cannot parse is the sender's mistake, not ours
            return PlainTextResponse("malformed form body", 400)
        params = {key: str(value) for key, value in form.items()}
        url = self.public_base_url + request.url.path
        if request.url.query:
            url += "?" + request.url.query
        signature = request.headers.get("x-twilio-signature", "")
        if not signature or not self.validator.validate(url, params, signature):
            log.warning("rejected an SMS webhook with a missing or wrong signature")
            return PlainTextResponse("invalid signature", 403)
        sid, sender = params.get("MessageSid"), params.get("From")
        if not sid or not sender:
            return PlainTextResponse("MessageSid and From are required", 400)
        message = self._inbound(sender, params.get("Body", ""))
        twiml = await self.conversations.handle(message, self._deliver, marker="sms:" + sid)
        return Response(twiml, media_type=XML)

    def _inbound(self, sender: str, body: str) -> Inbound:
        word = fold(body).strip().strip(".!")
        hint = country_of(sender)
        if word in STOP_WORDS:
            return Inbound("sms", sender, payload="optout", country_hint=hint)
        if word in START_WORDS:
            return Inbound("sms", sender, payload="optin", country_hint=hint)
        return Inbound("sms", sender, text=body, country_hint=hint)

    async def _deliver(
        self, outcome: Outcome, session: Session | None
    ) -> tuple[str, Session | None]:
        response = MessagingResponse()
        version = self.conversations.engine.library.current.version
        pending: tuple[str, ...] = ()
        for reply in outcome.replies:
            pages = self._pages(reply, version)
            response.message(pages[0])
            pending = tuple(pages[1:]) or pending
        if session is not None and outcome.replies and outcome.replies[-1].kind != "page":
            session = session.update(pages=pending)
        return str(response), session
