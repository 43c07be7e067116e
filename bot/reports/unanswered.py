"""`puente report unanswered`: what people asked that the base could not answer, grouped.

Near-duplicate questions are grouped greedily: texts are folded and stripped of stop words,
then, the most asked first, each joins the group whose leading text it resembles most by
rapidfuzz's token_set_ratio (at least CUTOFF), or starts a group of its own. The most asked
groups come first, so editors see what to write next.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from bot.conversation.messages import Unanswered
from bot.conversation.unanswered import UnansweredLog
from bot.normalise import tokens
from bot.reports.document import Block, Document, Heading, Items, Paragraph, Table
from bot.storage import Store

CUTOFF = 75  # token_set_ratio at or above which two questions count as the same need
SHOWN_WORDINGS = 8


# The log's records are Unanswered values; the report calls them by what editors see.
Asked = Unanswered


def asked_of(record: Mapping[str, object]) -> Unanswered:
    """Read a log record; missing fields become empty."""
    candidates = record.get("candidates")
    country = record.get("country")
    return Unanswered(
        str(record.get("text") or ""),
        str(record.get("language") or "?"),
        str(country) if country else None,
        tuple(str(c) for c in candidates) if isinstance(candidates, list | tuple) else (),
        str(record.get("reason") or ""),
    )


@dataclass
class Group:
    """Questions that ask for the same thing, and who asked them."""

    key: str  # the most frequent comparable text of the group, which it was started by
    leading: list[Asked]  # the questions with exactly that text
    asked: list[Asked] = field(default_factory=list)

    @property
    def count(self) -> int:
        """How many times it was asked."""
        return len(self.asked)

    @property
    def representative(self) -> str:
        """The most asked wording of the leading text (the shortest among equals)."""
        counts = Counter(a.text for a in self.leading)
        return min(counts, key=lambda text: (-counts[text], len(text), text))

    def wordings(self) -> list[tuple[str, int]]:
        """Every distinct wording with its count, the most asked first."""
        return sorted(Counter(a.text for a in self.asked).items(), key=lambda i: (-i[1], i[0]))

    def tally(self, what: str, limit: int = 3) -> str:
        """The most common languages, countries, candidates or reasons, as 'value count'."""
        counts: Counter[str] = Counter()
        for a in self.asked:
            if what == "candidates":
                counts.update(a.candidates)
            else:
                value = {"language": a.language, "country": a.country, "reason": a.reason}[what]
                counts[value or "—"] += 1
        return ", ".join(f"{value} {n}" for value, n in counts.most_common(limit))


def comparable(text: str, lang: str, stopwords: Mapping[str, frozenset[str]]) -> str:
    """Folded words without stop words: what two wordings of one need share."""
    words = tokens(text)
    kept = [w for w in words if w not in stopwords.get(lang, frozenset())]
    return " ".join(kept or words)


def group(
    asked: Iterable[Asked], stopwords: Mapping[str, frozenset[str]], cutoff: int = CUTOFF
) -> list[Group]:
    """Greedy groups of similar questions, the most asked first."""
    by_key: dict[str, list[Asked]] = {}
    for item in asked:
        by_key.setdefault(comparable(item.text, item.language, stopwords), []).append(item)
    # The most frequent wordings lead, so a group is named after what most people typed.
    order = sorted(by_key, key=lambda key: (-len(by_key[key]), key))
    groups: list[Group] = []
    leaders: list[str] = []
    for key in order:
        found = process.extractOne(key, leaders, scorer=fuzz.token_set_ratio, score_cutoff=cutoff)
        if found is None or not key:
            groups.append(Group(key, by_key[key]))
            leaders.append(key)
            target = groups[-1]
        else:
            target = groups[found[2]]
        target.asked.extend(by_key[key])
    return sorted(groups, key=lambda g: (-g.count, g.key))


async def read(store: Store, days: float | None, retention_days: int) -> list[Asked]:
    """The questions of the log kept in `store`, of the last `days` days (all by default)."""
    log = UnansweredLog(store, retention_days)
    return [asked_of(record) for _, record in await log.since(days)]


def document(groups: list[Group], days: float | None, store: str) -> Document:
    """The report: one row per group, then the wordings of the most asked groups."""
    total = sum(g.count for g in groups)
    period = f"the last {days:g} days" if days else "all the kept records"
    blocks: list[Block] = [
        Paragraph(
            f"{total} unanswered questions in {period} (store {store}), in {len(groups)} "
            "groups of similar wording, the most asked first. 'closest entries' are those the "
            "matcher suggested: a new entry may belong next to them, or they may need better "
            "example questions."
        )
    ]
    if not groups:
        return Document("Unanswered questions", tuple(blocks))
    rows = tuple(
        (
            number,
            g.count,
            g.representative,
            g.tally("language"),
            g.tally("country"),
            g.tally("candidates") or "—",
            g.tally("reason"),
        )
        for number, g in enumerate(groups, start=1)
    )
    columns = ("#", "asked", "question", "languages", "countries", "closest entries", "why")
    blocks.append(Table(columns, rows))
    blocks.append(Heading("Wordings of each group"))
    for number, g in enumerate(groups, start=1):
        if g.count < 2:
            break  # a question asked once is all in the table already
        blocks.append(Heading(f"{number}. {g.representative} ({g.count})", 3))
        wordings = g.wordings()
        items = [f"{text} ({n})" for text, n in wordings[:SHOWN_WORDINGS]]
        if len(wordings) > SHOWN_WORDINGS:
            items.append(f"… and {len(wordings) - SHOWN_WORDINGS} more")
        blocks.append(Items(tuple(items)))
    return Document("Unanswered questions", tuple(blocks))
