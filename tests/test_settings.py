"""Configuration: read once from the environment, every mistake named by its variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import ConfigError, Settings

KNOWLEDGE = Path("knowledge")
SECRET = "a-long-test-session-secret"


def test_no_tokens_means_no_channels_and_defaults() -> None:
    settings = Settings.from_env({}, KNOWLEDGE)
    assert not settings.telegram_on and not settings.sms_on
    assert settings.sms_budget == 2 and settings.unanswered_days == 90
    assert settings.session_store == "puente-sessions.sqlite3"


def test_a_full_configuration_is_read_and_trimmed() -> None:
    settings = Settings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": "123:abc",
            "TELEGRAM_WEBHOOK_SECRET": "s3cret_-9f8e7d6c5b",
            "TWILIO_AUTH_TOKEN": "tok",
            "PUBLIC_BASE_URL": " https://puente.example.org/ ",
            "SESSION_SECRET": SECRET,
            "SESSION_STORE": "redis://127.0.0.1:6379/0",
            "SMS_MAX_SEGMENTS": "3",
        },
        KNOWLEDGE,
    )
    assert settings.telegram_on and settings.sms_on
    assert settings.public_base_url == "https://puente.example.org"
    assert settings.sms_budget == 3 and settings.session_store.startswith("redis://")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TELEGRAM_BOT_TOKEN": "1:a", "SESSION_SECRET": SECRET}, "TELEGRAM_WEBHOOK_SECRET is"),
        (
            {
                "TELEGRAM_BOT_TOKEN": "1:a",
                "TELEGRAM_WEBHOOK_SECRET": "a b",
                "SESSION_SECRET": SECRET,
            },
            "TELEGRAM_WEBHOOK_SECRET may only use",
        ),
        ({"TWILIO_AUTH_TOKEN": "t", "SESSION_SECRET": SECRET}, "PUBLIC_BASE_URL is required"),
        (
            {"TWILIO_AUTH_TOKEN": "t", "PUBLIC_BASE_URL": "ftp://x", "SESSION_SECRET": SECRET},
            "PUBLIC_BASE_URL must be an http(s) URL",
        ),
        (
            {"TWILIO_AUTH_TOKEN": "t", "PUBLIC_BASE_URL": "https://x.org", "SESSION_SECRET": "x"},
            "SESSION_SECRET must be set to at least 16",
        ),
        (
            {
                "TWILIO_AUTH_TOKEN": "t",
                "PUBLIC_BASE_URL": "https://x.org",
                "SESSION_SECRET": "a" * 16,
            },
            "SESSION_SECRET must be set to at least 16",
        ),
        (
            {"TELEGRAM_BOT_TOKEN": "1:a", "TELEGRAM_WEBHOOK_SECRET": "x", "SESSION_SECRET": SECRET},
            "TELEGRAM_WEBHOOK_SECRET is too easy to guess",
        ),
        ({"SMS_MAX_SEGMENTS": "two"}, "SMS_MAX_SEGMENTS must be a whole number, got 'two'"),
        ({"UNANSWERED_RETENTION_DAYS": "0"}, "UNANSWERED_RETENTION_DAYS must be at least 1"),
    ],
)
def test_each_mistake_is_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Settings.from_env(env, KNOWLEDGE)


def test_the_sms_budget_alone_for_commands_that_need_nothing_else() -> None:
    assert Settings.sms_budget_from({"SMS_MAX_SEGMENTS": "4", "TWILIO_AUTH_TOKEN": "t"}) == 4
    with pytest.raises(ConfigError, match="SMS_MAX_SEGMENTS"):
        Settings.sms_budget_from({"SMS_MAX_SEGMENTS": "-1"})


HANDOVER = {
    "TELEGRAM_BOT_TOKEN": "123:abc",
    "TELEGRAM_WEBHOOK_SECRET": "s3cret_-9f8e7d6c5b",
    "TWILIO_AUTH_TOKEN": "tok",
    "PUBLIC_BASE_URL": "https://puente.example.org",
    "SESSION_SECRET": SECRET,
    "MODERATORS_CHAT_ID": "-1001234567890",
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_FROM_NUMBER": "+18685550100",
}


def test_handover_is_read_with_its_defaults() -> None:
    settings = Settings.from_env(HANDOVER, KNOWLEDGE)
    assert settings.handover_on and settings.moderators_chat_id == -1001234567890
    assert settings.twilio_api_base == "https://api.twilio.com"
    assert (settings.handover_remind_minutes, settings.handover_idle_hours) == (60, 24)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"MODERATORS_CHAT_ID": "my group"}, "MODERATORS_CHAT_ID must be the group's numeric id"),
        ({"TELEGRAM_BOT_TOKEN": "", "TELEGRAM_WEBHOOK_SECRET": ""}, "needs TELEGRAM_BOT_TOKEN"),
        ({"TWILIO_ACCOUNT_SID": ""}, "TWILIO_ACCOUNT_SID is required"),
        ({"TWILIO_FROM_NUMBER": ""}, "TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID"),
        ({"TWILIO_API_BASE_URL": "api.twilio.com"}, "TWILIO_API_BASE_URL must be an http"),
        ({"HANDOVER_HOURS": "weekdays 8-5"}, "HANDOVER_HOURS: cannot read 'weekdays 8-5'"),
        ({"HANDOVER_HOURS": "mon-fri 17:00-08:00"}, "ends before it starts"),
        ({"HANDOVER_REMIND_MINUTES": "0"}, "HANDOVER_REMIND_MINUTES must be at least 1"),
    ],
)
def test_a_bad_handover_setting_is_named(change: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({**HANDOVER, **change}, KNOWLEDGE)


# WhatsApp and alerts (issue 16) -------------------------------------------------------------

TWILIO = {"TWILIO_AUTH_TOKEN": "tok", "PUBLIC_BASE_URL": "https://p.example.org"}
ACCOUNT = "AC" + "0" * 32


def test_alert_sending_defaults_to_twilios_one_message_a_second() -> None:
    settings = Settings.from_env(
        {**TWILIO, "SESSION_SECRET": SECRET, "TWILIO_ACCOUNT_SID": ACCOUNT,
         "WHATSAPP_TEMPLATE_SID": f"alert:en=HX{'1' * 32}, alert:es=HX{'2' * 32}"},
        KNOWLEDGE,
    )  # fmt: skip
    assert settings.twilio_rest_on and settings.twilio_mps == 1.0
    assert settings.telegram_alert_rate == 30.0
    assert settings.whatsapp_template("alert", "es") == "HX" + "2" * 32
    assert settings.whatsapp_template("alert", "fr") is None


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"TWILIO_ACCOUNT_SID": "AC123"}, "TWILIO_ACCOUNT_SID"),
        ({"TWILIO_MPS": "fast"}, "TWILIO_MPS"),
        ({"TWILIO_MPS": "0"}, "TWILIO_MPS"),
        ({"TWILIO_WHATSAPP_FROM": "+14155238886"}, "TWILIO_WHATSAPP_FROM"),
        ({"WHATSAPP_TEMPLATE_SID": "alert=HX1"}, "WHATSAPP_TEMPLATE_SID"),
    ],
)
def test_a_bad_alert_setting_is_named(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        Settings.from_env({**TWILIO, "SESSION_SECRET": SECRET, **env}, KNOWLEDGE)
