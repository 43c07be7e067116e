"""Sessions survive a round trip through a store, and old stored sessions still load."""

from __future__ import annotations

from bot.conversation.session import Session


def test_round_trip_keeps_every_field() -> None:
    session = Session(
        language="ht",
        detected="fr",
        country="do",
        menu=("topic:health", "menu"),
        pages=("part 2",),
        opted_out=True,
        last_entry="do-health-x",
        seen=True,
    )
    assert Session.from_json(session.to_json()) == session


def test_unknown_fields_from_a_newer_version_are_ignored() -> None:
    assert Session.from_json('{"language": "es", "future_field": 1}') == Session(language="es")
