"""The HTML reports: one self-contained page, escaped, and readable in a real browser."""

from __future__ import annotations

import json
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bot.cli import main
from bot.reports.document import Document, Heading, Items, Paragraph, Table
from bot.reports.html import render_html
from tests.conftest import need_program

EVIL = '<script>alert("x")</script> & <b>bold</b>'


class Page(HTMLParser):
    """What a reader finds on a page: headings, tables of cell texts, list items, scripts."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.tables: list[list[list[str]]] = []
        self.items: list[str] = []
        self.classes: dict[str, set[str]] = {}
        self.tags: set[str] = set()
        self._text: list[str] | None = None
        self._class = ""
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        if tag in {"h1", "h2", "h3", "h4", "td", "th", "li"}:
            self._text = []
            self._class = dict(attrs).get("class") or ""

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._text is None or tag not in {"h1", "h2", "h3", "h4", "td", "th", "li"}:
            return
        text = " ".join("".join(self._text).split())
        self._text = None
        if tag in {"td", "th"}:
            self.tables[-1][-1].append(text)
            self.classes.setdefault(text, set()).update(self._class.split())
        elif tag == "li":
            self.items.append(text)
        else:
            self.headings.append(text)


def test_page_is_self_contained_and_escapes_everything() -> None:
    document = Document(
        f"Report {EVIL}",
        (
            Heading(EVIL),
            Paragraph(EVIL),
            Items((EVIL,)),
            Table(("text", "n"), ((EVIL, 3),), total=("total", 3)),
        ),
    )
    html = render_html(document)
    assert "<script" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    # Nothing is fetched: no links, sources, imports or remote fonts.
    for outside in ("src=", "href=", "@import", "url(", "http://", "https://"):
        assert outside not in html
    page = Page(html)
    assert page.headings == [f"Report {EVIL}", EVIL]
    assert page.tables == [[["text", "n"], [EVIL, "3"], ["total", "3"]]]
    assert page.items == [EVIL]


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    program = need_program("chromium")
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
    ]
    return subprocess.run(
        [program, *flags, *args], capture_output=True, text=True, timeout=120, check=True
    )


def test_coverage_page_in_a_real_browser(tmp_path: Path) -> None:
    page_file = tmp_path / "coverage.html"
    mini = Path(__file__).resolve().parent.parent / "data" / "mini"
    # A long grace period keeps the test true whatever today's date.
    argv = ["report", "coverage", "--knowledge", str(mini), "--stale-months", "600"]
    assert main([*argv, "--html", str(page_file)]) == 0
    dom = chromium("--dump-dom", page_file.as_uri(), profile=tmp_path / "profile").stdout
    page = Page(dom)
    assert "script" not in page.tags
    assert page.headings[:2] == ["Coverage of the knowledge base", "Totals per country"]
    assert "tt — Trinidad and Tobago (en es)" in page.headings
    totals = page.tables[0]
    assert totals[0] == [
        "country", "languages", "entries", "answers", "missing", "no sms", "no sources",
        "stale", "unreviewed", "empty",
    ]  # fmt: skip
    assert ["tt Trinidad and Tobago", "en es", "3", "6", "0", "5", "0", "0", "0", "5"] in totals
    assert ["jm Jamaica", "en", "0", "0", "0", "0", "0", "0", "0", "7"] in totals
    tt = page.tables[1]
    assert tt[1] == ["health", "en", "2", "2", "0", "1", "0", "0", "0"]
    assert tt[-1] == ["total", "", "3", "6", "0", "5", "0", "0", "0"]
    assert "mini-tt-passport (mini/tt/documents.yaml:3): no sms in en, es" in page.items

    shot = tmp_path / "coverage.png"
    chromium(
        "--hide-scrollbars",
        "--window-size=1200,1400",
        f"--screenshot={shot}",
        page_file.as_uri(),
        profile=tmp_path / "profile",
    )
    image = shot.read_bytes()
    assert image.startswith(b"\x89PNG") and len(image) > 20_000  # a page of tables, not a blank


def test_eval_page_shows_user_text_as_text(tmp_path: Path) -> None:
    mini = Path(__file__).resolve().parent.parent / "data" / "mini"
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({"text": EVIL, "country": "tt", "expect": "mini-tt-clinic"}))
    page_file = tmp_path / "eval.html"
    assert (
        main(["report", "eval", str(cases), "--knowledge", str(mini), "--html", str(page_file)])
        == 0
    )
    page = Page(chromium("--dump-dom", page_file.as_uri(), profile=tmp_path / "p").stdout)
    assert "script" not in page.tags and "b" not in page.tags
    failures = page.tables[-1]
    assert failures[0] == ["line", "text", "expected", "got", "score"]
    assert failures[1][:3] == ["1", EVIL, "mini-tt-clinic"]


@pytest.mark.parametrize("name", ["coverage", "confusion"])
def test_html_replaces_the_text(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mini = Path(__file__).resolve().parent.parent / "data" / "mini"
    target = tmp_path / "page.html"
    assert main(["report", name, "--knowledge", str(mini), "--html", str(target)]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and f"wrote {target}" in captured.err
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
