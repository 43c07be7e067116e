"""One alert to one subscriber, through their channel: rendered, paced, and the outcome named.

Telegram gets HTML; SMS the alert's short text (GSM-7); WhatsApp the whole text, free-form
within 24 hours of the user's last message and otherwise only through the approved template for
alerts in that language (`WHATSAPP_TEMPLATE_SID`), else held with the reason.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from html import escape
from typing import Any
from urllib.parse import urlencode

from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.channels.gsm import to_gsm
from bot.channels.pacing import Pace, PerChat
from bot.channels.twilio_send import UNREACHABLE, TwilioError, TwilioRest
from bot.channels.whatsapp_window import Window
from bot.content.locales import Locales
from bot.content.model import Alert

TEMPLATE_KIND = "alert"


@dataclass(frozen=True)
class Job:
    """One queued message: which alert, to whom (the address lives only until it is sent)."""

    alert: str
    key: str
    country: str
    channel: str
    address: str
    lang: str


@dataclass(frozen=True)
class Result:
    """What became of one attempt."""

    state: str  # "sent", "failed", "held", "retry", "expired", or "back" (not sent: stopping)
    reason: str = ""
    delay: float = 0.0  # for "retry": how long to wait
    unsubscribe: bool = False  # the recipient can never be reached: end their subscription


def _retry_after(error: RetryAfter) -> float:
    # python-telegram-bot 22 warns that the int form will become a timedelta: accept both.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: Any = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _texts(alert: Alert, lang: str, locales: Locales, short: bool) -> tuple[str, str, str, str]:
    text, used = alert.in_language(lang, short=short)
    label = locales.text(used, "Alert")
    stop = locales.text(used, "Reply STOP ALERTS to end them.")
    source = alert.sources[0].url if alert.sources else ""
    return text, label, stop, source


class AlertSender:
    """Sends alerts on every configured channel at its own rate."""

    def __init__(
        self,
        *,
        telegram_bot: Any | None = None,
        twilio: TwilioRest | None = None,
        window: Window | None = None,
        telegram_rate: float = 30.0,
        twilio_mps: float = 1.0,
        templates: dict[str, str] | None = None,
        status_url: str | None = None,
    ) -> None:
        self.telegram_bot = telegram_bot
        self.twilio = twilio
        self.window = window
        self.templates = templates or {}
        self.status_url = status_url
        self.rates = {"telegram": telegram_rate, "sms": twilio_mps, "whatsapp": twilio_mps}
        # One pace per sender: Telegram's bot, the SMS number and the WhatsApp number.
        self.paces = {channel: Pace(rate) for channel, rate in self.rates.items()}
        self.per_chat = PerChat(1.0)

    def serves(self, channel: str) -> bool:
        """Whether this process can send on `channel`."""
        if channel == "telegram":
            return self.telegram_bot is not None
        if self.twilio is None:
            return False
        return bool(self.twilio.whatsapp_from if channel == "whatsapp" else self.twilio.sms_from)

    async def close(self) -> None:
        """Close the connections this sender opened (Telegram's belong to its application)."""
        if self.twilio is not None:
            await self.twilio.close()

    async def send(
        self, job: Job, alert: Alert, locales: Locales, go: Callable[[], bool] = lambda: True
    ) -> Result:
        """Send (or hold) one alert message after waiting for its slot, if `go()` still says so."""
        if job.channel == "telegram":
            return await self._telegram(job, alert, locales, go)
        if job.channel in ("sms", "whatsapp"):
            return await self._twilio(job, alert, locales, go)
        return Result("failed", f"unknown channel {job.channel}")

    async def _telegram(
        self, job: Job, alert: Alert, locales: Locales, go: Callable[[], bool]
    ) -> Result:
        if self.telegram_bot is None:
            return Result("retry", "Telegram is not configured in this process", 60.0)
        text, label, stop, source = _texts(alert, job.lang, locales, short=False)
        html = f"⚠️ <b>{escape(label)}</b>\n{escape(text)}"
        if source:
            html += f"\n<i>{escape(source)}</i>"
        html += f"\n\n{escape(stop)}"
        await self.per_chat.wait(job.address)
        pace = self.paces["telegram"]
        await pace.wait()
        if not go():
            return Result("back")
        try:
            await self.telegram_bot.send_message(int(job.address), html, parse_mode="HTML")
        except RetryAfter as exc:
            delay = _retry_after(exc)
            pace.pause(delay)  # Telegram asked the whole bot to wait, not only this chat
            return Result("retry", "429 retry_after", delay)
        except Forbidden:
            return Result("failed", "blocked the bot", unsubscribe=True)
        except BadRequest as exc:
            return Result("failed", f"refused: {exc.message}")
        except TelegramError as exc:
            return Result("retry", f"Telegram: {type(exc).__name__}", 5.0)
        return Result("sent")

    async def _twilio(
        self, job: Job, alert: Alert, locales: Locales, go: Callable[[], bool]
    ) -> Result:
        if self.twilio is None:
            return Result("retry", "Twilio sending is not configured in this process", 60.0)
        whatsapp = job.channel == "whatsapp"
        to = ("whatsapp:" + job.address) if whatsapp else job.address
        text, label, stop, _source = _texts(alert, job.lang, locales, short=not whatsapp)
        content_sid: str | None = None
        variables: dict[str, str] | None = None
        if whatsapp:
            body = f"⚠️ *{label}*\n{text}\n\n{stop}"
            assert self.window is not None
            if not await self.window.open(job.key):
                content_sid = self.templates.get(f"{TEMPLATE_KIND}:{job.lang}")
                if content_sid is None:
                    return Result(
                        "held",
                        f"outside WhatsApp's 24-hour window and no approved template for "
                        f"{TEMPLATE_KIND}:{job.lang} (WHATSAPP_TEMPLATE_SID)",
                    )
                variables = {"1": text}
        else:
            body = to_gsm(f"{label}: {text}\n{stop}")
        callback = None
        if self.status_url:
            callback = (
                f"{self.status_url}?{urlencode({'alert': job.alert, 'channel': job.channel})}"
            )
        pace = self.paces[job.channel]
        await pace.wait()
        if not go():
            return Result("back")
        try:
            await self.twilio.send(
                to, body, content_sid=content_sid, variables=variables, status_callback=callback
            )
        except TwilioError as exc:
            if exc.status == 429:
                delay = exc.retry_after or 1.0
                pace.pause(delay)
                return Result("retry", "429 too many requests", delay)
            if exc.code in UNREACHABLE:
                return Result("failed", f"unreachable ({exc.code})", unsubscribe=True)
            if exc.final:
                return Result("failed", f"refused ({exc.code or exc.status})")
            return Result("retry", str(exc), 5.0)
        return Result("sent")
