"""Configuration, read once from the environment at start into a frozen object."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

DEFAULT_LOCALES = Path(__file__).resolve().parent.parent / "locales"
SMS_MAX_SEGMENTS = 2  # the default budget of one reply, in SMS segments
_TELEGRAM_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts as secret_token


class ConfigError(Exception):
    """A missing or bad setting; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    """Everything `puente serve` needs to know, validated."""

    knowledge: Path = Path("knowledge")
    locales: Path = DEFAULT_LOCALES
    telegram_token: str | None = None
    telegram_secret: str | None = None
    telegram_api_base: str | None = None
    twilio_token: str | None = None
    public_base_url: str | None = None
    session_secret: str = ""
    session_store: str = "puente-sessions.sqlite3"
    sms_budget: int = SMS_MAX_SEGMENTS
    unanswered_days: int = 90
    session_days: int = 90
    max_connections: int = 500
    # Human handover (bot/conversation/handover.py): off unless MODERATORS_CHAT_ID is set.
    moderators_chat_id: int | None = None
    twilio_account_sid: str | None = None
    twilio_from_number: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_api_base: str = "https://api.twilio.com"
    handover_hours: str = ""  # "mon-fri 08:00-17:00; ht=mon-sat 08:00-16:00"; empty: always
    handover_remind_minutes: int = 60
    handover_idle_hours: int = 24

    @property
    def handover_on(self) -> bool:
        """Moderators answer in a Telegram group only when its id is set."""
        return self.moderators_chat_id is not None

    # Telegram under load: the inbox's bound, and the 30 messages/s limiter (off only for a
    # local Bot API stub, as the benchmarks use).
    telegram_max_pending: int = 10_000
    telegram_rate_limit: bool = True

    # WhatsApp and alerts (issue 16): sending messages nobody is waiting for, through Twilio's
    # REST API, at bounded rates.
    twilio_sms_from: str | None = None  # a number, or a Messaging Service (MG…)
    twilio_whatsapp_from: str | None = None  # whatsapp:+…
    twilio_mps: float = 1.0  # messages per second per sender
    telegram_alert_rate: float = 30.0  # alert messages per second to Telegram, all chats
    whatsapp_templates: tuple[tuple[str, str], ...] = ()  # ("alert:es", "HX…")

    @property
    def twilio_rest_on(self) -> bool:
        """Puente can start Twilio messages (alerts) only with an account to send from."""
        return bool(self.twilio_account_sid and self.twilio_token)

    def whatsapp_template(self, kind: str, lang: str) -> str | None:
        """The approved template (ContentSid) for a message of `kind` in `lang`, if any."""
        return dict(self.whatsapp_templates).get(f"{kind}:{lang}")

    @property
    def telegram_on(self) -> bool:
        """Telegram is served only when it has its token."""
        return bool(self.telegram_token)

    @property
    def sms_on(self) -> bool:
        """SMS is served only when it has its token."""
        return bool(self.twilio_token)

    @staticmethod
    def sms_budget_from(env: Mapping[str, str]) -> int:
        """SMS_MAX_SEGMENTS alone, for commands that need nothing else of the settings."""
        return _whole_number(env, "SMS_MAX_SEGMENTS", SMS_MAX_SEGMENTS)

    @classmethod
    def from_env(
        cls, env: Mapping[str, str], knowledge: Path, locales: Path = DEFAULT_LOCALES
    ) -> Settings:
        """Read and check the environment; raise ConfigError naming the first bad variable."""

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        telegram_token, twilio_token = get("TELEGRAM_BOT_TOKEN"), get("TWILIO_AUTH_TOKEN")
        secret = get("TELEGRAM_WEBHOOK_SECRET")
        if telegram_token and not secret:
            raise ConfigError("TELEGRAM_WEBHOOK_SECRET is required when TELEGRAM_BOT_TOKEN is set")
        if secret and not _TELEGRAM_SECRET.match(secret):
            raise ConfigError(
                "TELEGRAM_WEBHOOK_SECRET may only use A-Z, a-z, 0-9, _ and -, up to 256 characters"
            )
        if secret and _weak(secret):
            raise ConfigError(
                "TELEGRAM_WEBHOOK_SECRET is too easy to guess: use at least 16 random characters"
            )
        base = get("PUBLIC_BASE_URL")
        if twilio_token and not base:
            raise ConfigError(
                "PUBLIC_BASE_URL is required when TWILIO_AUTH_TOKEN is set: "
                "Twilio signs the public URL it calls"
            )
        for name, value in (
            ("PUBLIC_BASE_URL", base),
            ("TELEGRAM_API_BASE_URL", get("TELEGRAM_API_BASE_URL")),
        ):
            if value and (
                urlparse(value).scheme not in {"http", "https"} or not urlparse(value).netloc
            ):
                raise ConfigError(f"{name} must be an http(s) URL, got '{value}'")
        session_secret = get("SESSION_SECRET") or ""
        if (telegram_token or twilio_token) and _weak(session_secret):
            raise ConfigError(
                "SESSION_SECRET must be set to at least 16 random characters: "
                "it keys the sessions so no phone number is stored in clear"
            )
        numbers = {
            "SMS_MAX_SEGMENTS": cls.sms_budget_from(env),
            "UNANSWERED_RETENTION_DAYS": _whole_number(env, "UNANSWERED_RETENTION_DAYS", 90),
            "SESSION_RETENTION_DAYS": _whole_number(env, "SESSION_RETENTION_DAYS", 90),
            "MAX_CONNECTIONS": _whole_number(env, "MAX_CONNECTIONS", 500),
            "TELEGRAM_MAX_PENDING": _whole_number(env, "TELEGRAM_MAX_PENDING", 10_000),
        }
        limiter = (get("TELEGRAM_RATE_LIMIT") or "on").lower()
        if limiter not in {"on", "off"}:
            raise ConfigError(f"TELEGRAM_RATE_LIMIT must be 'on' or 'off', got '{limiter}'")
        return cls(
            knowledge=knowledge,
            locales=locales,
            telegram_token=telegram_token,
            telegram_secret=secret,
            telegram_api_base=get("TELEGRAM_API_BASE_URL"),
            twilio_token=twilio_token,
            public_base_url=base.rstrip("/") if base else None,
            session_secret=session_secret,
            session_store=get("SESSION_STORE") or cls.session_store,
            sms_budget=numbers["SMS_MAX_SEGMENTS"],
            unanswered_days=numbers["UNANSWERED_RETENTION_DAYS"],
            session_days=numbers["SESSION_RETENTION_DAYS"],
            max_connections=numbers["MAX_CONNECTIONS"],
            # Both read TWILIO_ACCOUNT_SID and TWILIO_API_BASE_URL, the same way.
            **(
                _handover(env, get, bool(telegram_token), bool(twilio_token))
                | _reach(env, get, twilio_token)
            ),
            telegram_max_pending=numbers["TELEGRAM_MAX_PENDING"],
            telegram_rate_limit=limiter == "on",
        )


def _handover(
    env: Mapping[str, str], get: Callable[[str], str | None], telegram: bool, sms: bool
) -> dict[str, Any]:
    """The handover settings, checked: moderators need the bot, SMS users need Twilio's REST."""
    raw_chat = get("MODERATORS_CHAT_ID")
    base = get("TWILIO_API_BASE_URL") or Settings.twilio_api_base
    if urlparse(base).scheme not in {"http", "https"} or not urlparse(base).netloc:
        raise ConfigError(f"TWILIO_API_BASE_URL must be an http(s) URL, got '{base}'")
    values: dict[str, Any] = {
        "twilio_account_sid": get("TWILIO_ACCOUNT_SID"),
        "twilio_from_number": get("TWILIO_FROM_NUMBER"),
        "twilio_messaging_service_sid": get("TWILIO_MESSAGING_SERVICE_SID"),
        "twilio_api_base": base.rstrip("/"),
        "handover_hours": get("HANDOVER_HOURS") or "",
        "handover_remind_minutes": _whole_number(env, "HANDOVER_REMIND_MINUTES", 60),
        "handover_idle_hours": _whole_number(env, "HANDOVER_IDLE_HOURS", 24),
    }
    if raw_chat is None:
        return values
    try:
        values["moderators_chat_id"] = int(raw_chat)
    except ValueError:
        raise ConfigError(
            f"MODERATORS_CHAT_ID must be the group's numeric id (like -1001234567890), "
            f"got '{raw_chat}'"
        ) from None
    if not telegram:
        raise ConfigError("MODERATORS_CHAT_ID needs TELEGRAM_BOT_TOKEN: moderators use the bot")
    if sms and not values["twilio_account_sid"]:
        raise ConfigError(
            "TWILIO_ACCOUNT_SID is required when MODERATORS_CHAT_ID and TWILIO_AUTH_TOKEN are "
            "set: moderators' replies reach SMS users through Twilio's REST API"
        )
    if sms and not (values["twilio_from_number"] or values["twilio_messaging_service_sid"]):
        raise ConfigError(
            "TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID is required when "
            "MODERATORS_CHAT_ID and TWILIO_AUTH_TOKEN are set: the sender of moderators' replies"
        )
    from bot.hours import HoursError, parse_hours  # a leaf like this module

    try:
        parse_hours(values["handover_hours"])
    except HoursError as exc:
        raise ConfigError(f"HANDOVER_HOURS: {exc}") from None
    return values


def _reach(
    env: Mapping[str, str], get: Callable[[str], str | None], twilio_token: str | None
) -> dict[str, Any]:
    """The WhatsApp and alert settings (issue 16)."""
    account = get("TWILIO_ACCOUNT_SID")
    if account and not twilio_token:
        raise ConfigError("TWILIO_AUTH_TOKEN is required when TWILIO_ACCOUNT_SID is set")
    if account and not re.fullmatch(r"AC[0-9a-fA-F]{32}", account):
        raise ConfigError("TWILIO_ACCOUNT_SID must be AC followed by 32 hexadecimal digits")
    whatsapp = get("TWILIO_WHATSAPP_FROM")
    if whatsapp and not whatsapp.startswith("whatsapp:+"):
        raise ConfigError(
            f"TWILIO_WHATSAPP_FROM must look like whatsapp:+14155238886, got '{whatsapp}'"
        )
    base = get("TWILIO_API_BASE_URL") or "https://api.twilio.com"
    if urlparse(base).scheme not in {"http", "https"} or not urlparse(base).netloc:
        raise ConfigError(f"TWILIO_API_BASE_URL must be an http(s) URL, got '{base}'")
    templates = []
    for item in (get("WHATSAPP_TEMPLATE_SID") or "").split(","):
        if not item.strip():
            continue
        name, _, sid = item.strip().partition("=")
        if not re.fullmatch(r"[a-z_]+:[a-z]{2,3}", name) or not re.fullmatch(
            r"HX[0-9a-fA-F]{32}", sid
        ):
            raise ConfigError(
                "WHATSAPP_TEMPLATE_SID must be KIND:LANG=HX… pairs separated by commas, e.g. "
                f"alert:en=HX…,alert:es=HX… (got '{item.strip()}')"
            )
        templates.append((name, sid))
    return {
        "twilio_account_sid": account,
        # The sender of moderators' replies (TWILIO_FROM_NUMBER, or a Messaging Service) sends
        # alerts too unless TWILIO_SMS_FROM says otherwise.
        "twilio_sms_from": get("TWILIO_SMS_FROM")
        or get("TWILIO_FROM_NUMBER")
        or get("TWILIO_MESSAGING_SERVICE_SID"),
        "twilio_whatsapp_from": whatsapp,
        "twilio_api_base": base.rstrip("/"),
        "twilio_mps": _rate(env, "TWILIO_MPS", 1.0),
        "telegram_alert_rate": _rate(env, "TELEGRAM_ALERT_RATE", 30.0),
        "whatsapp_templates": tuple(templates),
    }


def _rate(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        raise ConfigError(f"{name} must be a number of messages per second, got '{raw}'") from None
    if not 0 < value <= 10_000:
        raise ConfigError(f"{name} must be more than 0 (messages per second)")
    return value


def _whole_number(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    try:
        value = int(raw) if raw else default
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got '{raw}'") from None
    if value < 1:
        raise ConfigError(f"{name} must be at least 1")
    return value


def _weak(secret: str) -> bool:
    """Shorter than 16 characters, or so repetitive ("aaaaaaaaaaaaaaaa") it is not random."""
    return len(secret) < 16 or len(set(secret)) < 6
