"""A report as neutral blocks (headings, paragraphs, tables, lists), and its plain-text form.

Each report builds one `Document`; the command prints it as text for the terminal or hands it
to `bot.reports.html` for a page. Keeping the two renderings apart from the counting means a
test can check the numbers without parsing either.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field

Cell = str | int | float
_NUMBER = re.compile(r"[-+]?\d[\d.,]*\s*%?|[-+]?\d+(\.\d+)?\s*s|—|-|")
WIDTH = 100  # long cells (questions people typed) wrap so a table still fits a terminal
WIDEST_CELL = 60
NARROWEST = 12


@dataclass(frozen=True)
class Heading:
    """A title for what follows; level 1 is the report's own title."""

    text: str
    level: int = 2


@dataclass(frozen=True)
class Paragraph:
    """A few sentences of explanation."""

    text: str


@dataclass(frozen=True)
class Items:
    """A bulleted list."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """Rows under column names, with an optional total row.

    In `alert` columns a number above 0 needs work; in `gap` columns a 0 does.
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    total: tuple[Cell, ...] | None = None
    alert: frozenset[int] = frozenset()
    gap: frozenset[int] = frozenset()


Block = Heading | Paragraph | Items | Table


@dataclass(frozen=True)
class Document:
    """One report: a title and its blocks, in order."""

    title: str
    blocks: tuple[Block, ...] = field(default_factory=tuple)


def cell_text(cell: Cell) -> str:
    """How a cell is written: whole numbers as they are, fractions with one decimal."""
    if isinstance(cell, float):
        return f"{cell:.1f}"
    return str(cell)


def percent(part: int, whole: int) -> str:
    """`part` of `whole` as a percentage with one decimal, or '—' when there is nothing."""
    return f"{100 * part / whole:.1f}%" if whole else "—"


def is_numeric(column: list[Cell]) -> bool:
    """Whether a column holds only numbers (so it is aligned to the right)."""
    return bool(column) and all(
        isinstance(c, int | float) or _NUMBER.fullmatch(str(c)) for c in column
    )


def render_text(document: Document) -> str:
    """The document as plain text with aligned columns, for a terminal or a mail."""
    parts = [document.title, "=" * len(document.title)]
    for block in document.blocks:
        parts.append("")
        if isinstance(block, Heading):
            underline = "=" if block.level <= 1 else "-" if block.level == 2 else ""
            parts.append(block.text)
            if underline:
                parts.append(underline * len(block.text))
        elif isinstance(block, Paragraph):
            parts.append(textwrap.fill(block.text, WIDTH))
        elif isinstance(block, Items):
            parts.extend(
                textwrap.fill(item, WIDTH, initial_indent="- ", subsequent_indent="  ")
                for item in block.items
            )
        else:
            parts.append(_table_text(block))
    return "\n".join(parts) + "\n"


def _table_text(table: Table) -> str:
    rows: list[list[Cell]] = [list(table.columns), *(list(r) for r in table.rows)]
    if table.total is not None:
        rows.append(list(table.total))
    texts = [[cell_text(c) for c in row] for row in rows]
    count = len(table.columns)
    right = [is_numeric([row[i] for row in rows[1:]]) for i in range(count)]
    widths = [min(WIDEST_CELL, max(len(row[i]) for row in texts)) for i in range(count)]
    body = [max((len(row[i]) for row in texts[1:]), default=0) for i in range(count)]
    floor = [max([body[i], *(len(word) for word in texts[0][i].split())]) for i in range(count)]

    def too_wide() -> bool:
        return sum(widths) + 2 * (count - 1) > WIDTH

    # To fit, headers wider than their numbers wrap first ("no sms" over two lines); then the
    # widest columns narrow and their cells wrap too (ids at their dashes).
    while too_wide() and any(w > f for w, f in zip(widths, floor, strict=True)):
        slack = [w - f for w, f in zip(widths, floor, strict=True)]
        widths[slack.index(max(slack))] -= 1
    while too_wide() and max(widths) > NARROWEST:
        widths[widths.index(max(widths))] -= 1
    lines: list[str] = []
    for number, row in enumerate(texts):
        if number == 1 or (table.total is not None and number == len(texts) - 1):
            lines.append("  ".join("-" * w for w in widths))
        # A cell longer than its column wraps onto continuation lines of the same row.
        wrapped = [textwrap.wrap(text, widths[i]) or [""] for i, text in enumerate(row)]
        for depth in range(max(len(w) for w in wrapped)):
            pieces = []
            for i, lines_of_cell in enumerate(wrapped):
                piece = lines_of_cell[depth] if depth < len(lines_of_cell) else ""
                pieces.append(piece.rjust(widths[i]) if right[i] else piece.ljust(widths[i]))
            lines.append("  ".join(pieces).rstrip())
    return "\n".join(lines)
