"""`puente report handovers`: conversations handed to a person, by country and outcome.

Read from the store's `handovers` log, which holds events only (opened, answered, closed, away),
never what anyone wrote; it is pruned with the unanswered log's retention.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from bot.conversation.handover import EVENTS
from bot.reports.document import Cell, Document, Heading, Paragraph, Table
from bot.storage import Store

DAY = 86_400.0
OUTCOMES = ("closed", "idle", "unanswered", "forgotten", "stopped")


@dataclass
class Tally:
    """One country's handovers."""

    opened: int = 0
    answered: int = 0
    away: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    waits: list[float] = field(default_factory=list)


async def read(store: Store, days: float | None, now: float) -> list[dict[str, object]]:
    """The events of the last `days` days (all kept ones by default), oldest first."""
    since = now - days * DAY if days else 0.0
    return [json.loads(data) for _at, data in await store.records(EVENTS, since)]


def tally(events: list[dict[str, object]]) -> dict[str, Tally]:
    """Events counted by country ('—' for a user who gave none)."""
    by_country: dict[str, Tally] = defaultdict(Tally)
    for event in events:
        row = by_country[str(event.get("country") or "—")]
        kind = event.get("event")
        if kind == "opened":
            row.opened += 1
        elif kind == "answered":
            row.answered += 1
            wait = event.get("wait")
            if isinstance(wait, int | float):
                row.waits.append(float(wait))
        elif kind == "away":
            row.away += 1
        elif kind == "closed":
            row.outcomes[str(event.get("outcome"))] += 1
    return dict(by_country)


def document(counts: dict[str, Tally], days: float | None) -> Document:
    """The report: one row per country, outcomes as columns."""
    span = f"the last {days:g} days" if days else "every event kept"
    blocks: list[Heading | Paragraph | Table] = [
        Paragraph(
            f"Handovers to a person over {span}. 'away' asked out of opening hours; 'idle' went "
            "back to the bot after a day without messages; 'unanswered' did so before any "
            "moderator replied. Median wait is to the first moderator reply."
        )
    ]
    if not counts:
        blocks.append(Paragraph("No handovers yet."))
        return Document("Handovers", tuple(blocks))
    columns = ("country", "opened", "answered", "away", *OUTCOMES, "median wait (min)")
    rows: list[tuple[Cell, ...]] = []
    for country in sorted(counts):
        row = counts[country]
        rows.append(
            (
                country,
                row.opened,
                row.answered,
                row.away,
                *(row.outcomes[o] for o in OUTCOMES),
                _median_minutes(row.waits),
            )
        )
    everything = Tally()
    for row in counts.values():
        everything.opened += row.opened
        everything.answered += row.answered
        everything.away += row.away
        everything.outcomes.update(row.outcomes)
        everything.waits += row.waits
    total: tuple[Cell, ...] = (
        "all",
        everything.opened,
        everything.answered,
        everything.away,
        *(everything.outcomes[o] for o in OUTCOMES),
        _median_minutes(everything.waits),
    )
    unanswered = 4 + OUTCOMES.index("unanswered")
    blocks.append(Table(columns, tuple(rows), total, alert=frozenset({unanswered})))
    return Document("Handovers", tuple(blocks))


def _median_minutes(waits: list[float]) -> str:
    if not waits:
        return "—"
    ordered = sorted(waits)
    middle = ordered[len(ordered) // 2]
    return f"{middle / 60:.1f}"
