"""A moderator's reply to an SMS user: Twilio's REST API, within the SMS budget.

Rendered as the bot's own SMS replies are (GSM-7 where possible, the rest paged for MORE), so
a long reply costs no more than `SMS_MAX_SEGMENTS` per message; the pages not sent yet go back
to the session, and the user's MORE serves them even while a person holds the conversation.
"""

from __future__ import annotations

from bot.channels.sms_render import render
from bot.channels.twilio_rest import SendError, TwilioMessages
from bot.content.locales import Locales
from bot.conversation.handover import Relay, RelayError
from bot.conversation.messages import Reply


class SmsRelay(Relay):
    """Sends the first page now; returns the rest for MORE."""

    def __init__(self, messages: TwilioMessages, budget: int) -> None:
        self.messages, self.budget = messages, budget

    async def send(self, address: str, reply: Reply, locales: Locales) -> tuple[str, ...]:
        """One SMS now, through the REST API."""
        pages = render(reply, locales.text, self.budget)
        try:
            await self.messages.send(address, pages[0])
        except SendError as exc:
            raise RelayError(str(exc)) from None
        return tuple(pages[1:])
