"""A report as one self-contained HTML page: inline CSS, no scripts, nothing fetched.

Editors open the file from a mail or a shared folder, often offline, so the page carries
everything it needs. Every text from the base or from users is escaped.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from bot.reports.document import (
    Block,
    Cell,
    Document,
    Heading,
    Items,
    Paragraph,
    Table,
    cell_text,
    is_numeric,
)

STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: #1d2433; background: #fff; margin: 2rem auto; max-width: 72rem; padding: 0 1.5rem; }
h1 { font-size: 1.6rem; border-bottom: 3px solid #2b6cb0; padding-bottom: .3rem; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; color: #1a4e8a; }
h3 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; }
h4 { font-size: .95rem; margin: 1rem 0 .3rem; }
p { max-width: 60rem; }
table { border-collapse: collapse; margin: .6rem 0 1.2rem; font-size: .9rem; }
th, td { border: 1px solid #d5dbe5; padding: .25rem .6rem; vertical-align: top; text-align: left; }
th { background: #eef2f8; font-weight: 600; }
tbody tr:nth-child(even) { background: #f8fafc; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.word { white-space: nowrap; }
td.zero { color: #a0a8b8; }
td.gap { background: #fde2e1; color: #9b1c1c; font-weight: 600; }
td.alert { background: #fff1d6; color: #7a4100; font-weight: 600; }
tfoot td { font-weight: 700; border-top: 2px solid #8796ad; background: #eef2f8; }
ul { padding-left: 1.3rem; }
li { margin: .15rem 0; }
footer { margin-top: 3rem; color: #6b7588; font-size: .8rem; }
"""


def render_html(document: Document) -> str:
    """The whole page for `document`, as one string."""
    body = "\n".join(_block(block) for block in document.blocks)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(document.title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{escape(document.title)}</h1>\n{body}\n"
        "<footer>Written by <code>puente report</code>.</footer>\n</body>\n</html>\n"
    )


def write_html(document: Document, path: Path) -> None:
    """Write the page to `path` (UTF-8)."""
    path.write_text(render_html(document), encoding="utf-8")


def _block(block: Block) -> str:
    if isinstance(block, Heading):
        level = min(max(block.level, 2), 4)
        return f"<h{level}>{escape(block.text)}</h{level}>"
    if isinstance(block, Paragraph):
        return f"<p>{escape(block.text)}</p>"
    if isinstance(block, Items):
        items = "".join(f"<li>{escape(item)}</li>" for item in block.items)
        return f"<ul>{items}</ul>"
    return _table(block)


def _table(table: Table) -> str:
    columns = range(len(table.columns))
    every = [*table.rows, *([table.total] if table.total is not None else [])]
    numeric = [is_numeric([row[i] for row in every]) for i in columns]
    head = "".join(
        f'<th{" class=num" if numeric[i] else ""} scope="col">{escape(name)}</th>'
        for i, name in enumerate(table.columns)
    )
    rows = "\n".join(f"<tr>{_cells(row, numeric, table)}</tr>" for row in table.rows)
    foot = ""
    if table.total is not None:
        foot = f"<tfoot><tr>{_cells(table.total, numeric, None)}</tr></tfoot>"
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{rows}\n</tbody>{foot}\n</table>"


def _cells(row: tuple[Cell, ...], numeric: list[bool], table: Table | None) -> str:
    alert = table.alert if table else frozenset()
    gap = table.gap if table else frozenset()
    cells = []
    for i, cell in enumerate(row):
        classes = []
        if numeric[i]:
            classes.append("num")
            # Harmless zeros fade and the numbers that need work stand out, so the eye finds
            # the gaps without reading every cell.
            if cell == 0:
                classes.append("gap" if i in gap else "zero")
            elif i in alert and isinstance(cell, int) and cell > 0:
                classes.append("alert")
        elif isinstance(cell, str) and " " not in cell and len(cell) <= 60:
            classes.append("word")  # an entry id stays on one line; sentences wrap around it
        attribute = f' class="{" ".join(classes)}"' if classes else ""
        cells.append(f"<td{attribute}>{escape(cell_text(cell))}</td>")
    return "".join(cells)
