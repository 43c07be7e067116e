"""`puente alerts status`: how far each alert has gone, from the broadcast's own records."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterable

from bot.channels.broadcast import CHANNELS, EVENTS, queue
from bot.content.model import Alert
from bot.storage import StoreError, open_store

COLUMNS = ("queued", "sent", "failed", "held", "expired", "waiting", "delivered", "undelivered")


def tally(records: Iterable[str]) -> dict[str, Counter[str]]:
    """Per alert: how many were queued, sent, failed, held, skipped, and Twilio's reports."""
    counts: dict[str, Counter[str]] = {}
    for text in records:
        try:
            record = json.loads(text)
        except ValueError:
            continue
        count = counts.setdefault(str(record.get("alert")), Counter())
        state = str(record.get("state"))
        if state == "queued":
            count["queued"] += int(record.get("n", 1))
        elif state.startswith("status:"):
            status = state.removeprefix("status:")  # read comes after delivered: not counted
            if status == "delivered":
                count["delivered"] += 1
            elif status in ("failed", "undelivered"):
                count["undelivered"] += 1
        else:
            count[state] += 1
            if record.get("reason") and state in ("held", "failed"):
                count[f"{state}: {record['reason']}"] += 1
    for count in counts.values():
        done = sum(count[s] for s in ("sent", "failed", "held", "expired"))
        count["waiting"] = max(0, count["queued"] - done)
    return counts


async def read_events(spec: str) -> tuple[list[str], int | None]:
    """The broadcast records of a store, and how many messages wait in its send queues.

    A SQLite file in use by `puente serve` is read read-only (it cannot be opened twice as a
    store); the queue length is then not known.
    """
    try:
        store = open_store(spec)
    except StoreError:
        if "://" in spec:
            raise
        with sqlite3.connect(f"file:{spec}?mode=ro", uri=True) as db:
            rows = db.execute("SELECT data FROM records WHERE log = ? ORDER BY at", (EVENTS,))
            return [str(row[0]) for row in rows], None
    try:
        records = [data for _at, data in await store.records(EVENTS)]
        waiting = sum([await store.pending(queue(channel)) for channel in CHANNELS])
        return records, waiting
    finally:
        await store.close()


def document(alerts: Iterable[Alert], counts: dict[str, Counter[str]], now: float) -> str:
    """The status table, one alert a line, with the reasons of holds and failures under it."""
    known = {alert.id: alert for alert in alerts}
    lines = ["alert".ljust(28) + "state".ljust(11) + "".join(c.rjust(12) for c in COLUMNS)]
    for alert_id in sorted(set(known) | set(counts)):
        alert = known.get(alert_id)
        if alert is None:
            state = "withdrawn"
        elif alert.live(now):
            state = "live"
        elif now < alert.starts.timestamp():
            state = "scheduled"
        else:
            state = "expired"
        count = counts.get(alert_id, Counter())
        row = alert_id[:27].ljust(28) + state.ljust(11)
        lines.append(row + "".join(str(count[c]).rjust(12) for c in COLUMNS))
        for reason, n in sorted(count.items()):
            if ": " in reason:
                lines.append(f"    {n} {reason}")
    return "\n".join(lines)
