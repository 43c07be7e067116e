"""WhatsApp through Twilio: the same signed, deduplicated webhook as SMS, its own rendering.

Twilio posts WhatsApp messages to the messaging webhook like SMS, with `From: whatsapp:+…`;
`SmsChannel` checks the signature and hands those here. The user is the number without its
prefix and the channel is "whatsapp", so the session key is an HMAC like every other (no number
stored) and the same phone has one session on SMS and another on WhatsApp. Replies go back as
TwiML, the whole answer at once (WhatsApp does not charge per segment).
"""

from __future__ import annotations

from starlette.responses import PlainTextResponse, Response

from bot.channels.sms import START_WORDS, STOP_WORDS, country_of
from bot.channels.twilio_wire import twiml
from bot.channels.whatsapp_render import render
from bot.channels.whatsapp_window import Window
from bot.conversation import payloads
from bot.conversation.conversations import Conversations
from bot.conversation.messages import Inbound, Outcome
from bot.normalise import fold
from bot.storage import session_key

PREFIX = "whatsapp:"
CHANNEL = "whatsapp"
XML = "application/xml"


def is_whatsapp(sender: str) -> bool:
    """Whether a Twilio `From` is a WhatsApp user."""
    return sender.startswith(PREFIX)


def address(user: str) -> str:
    """The Twilio `To` of a WhatsApp user."""
    return PREFIX + user


class WhatsAppChannel:
    """Handles the WhatsApp messages of the messaging webhook, once their signature is checked."""

    def __init__(self, conversations: Conversations, window: Window) -> None:
        self.conversations = conversations
        self.window = window

    async def handle(self, params: dict[str, str]) -> Response:
        """Answer one WhatsApp message (its MessageSid and From already checked present)."""
        sid, sender = params["MessageSid"], params["From"]
        number = sender.removeprefix(PREFIX)
        message = self._inbound(number, params)
        if message is None:
            return PlainTextResponse("Latitude and Longitude must be numbers", 400)
        await self.window.saw(session_key(self.conversations.secret, CHANNEL, number))
        answer = await self.conversations.handle(message, _twiml, marker="wa:" + sid)
        return Response(answer, media_type=XML)

    def _inbound(self, number: str, params: dict[str, str]) -> Inbound | None:
        body = params.get("Body", "")
        hint = country_of(number)
        if params.get("Latitude") or params.get("Longitude"):
            try:
                lat, lon = float(params["Latitude"]), float(params["Longitude"])
            except (KeyError, ValueError):
                return None
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                return None
            return Inbound(CHANNEL, number, location=(lat, lon), country_hint=hint)
        word = fold(body).strip().strip(".!")
        if word in STOP_WORDS:
            return Inbound(CHANNEL, number, payload=payloads.OPT_OUT, country_hint=hint)
        if word in START_WORDS:
            return Inbound(CHANNEL, number, payload=payloads.OPT_IN, country_hint=hint)
        if not body.strip() and params.get("NumMedia", "0") not in ("", "0"):
            return Inbound(CHANNEL, number, unsupported="media", country_hint=hint)
        return Inbound(CHANNEL, number, text=body, country_hint=hint)


async def _twiml(outcome: Outcome) -> str:
    translate = outcome.snapshot.locales.text
    return twiml(part for reply in outcome.replies for part in render(reply, translate))
