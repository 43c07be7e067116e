"""The terminal chat, as the README's first command runs it: no tokens, the process itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import DATA

PUENTE = Path(sys.executable).with_name("puente")


def run(*args: str, text: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TWILIO_"))}
    env["SESSION_STORE"] = str(cwd / "sessions.sqlite3")
    return subprocess.run(
        [str(PUENTE), *args, "--knowledge", str(DATA / "mini")],
        input=text,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=60,
        check=False,
    )


def test_a_question_gets_its_answer_a_number_picks_from_the_menu_and_quit_leaves(
    tmp_path: Path,
) -> None:
    lines = "necesito un doctor para mi hijo\nmenu\n2\nquit\nnot read\n"
    chat = run("chat", "--country", "tt", text=lines, cwd=tmp_path)
    assert chat.returncode == 0, chat.stderr
    answer, menu, topic, *_ = chat.stdout.split("> ")[1:]
    assert answer.startswith("== Ver a un médico en una clínica ==")  # answered in Spanish
    assert "Example Clinic | +1 868 555 0100" in answer
    assert "Revisado el 2026-10-01. Confirme en https://example.org/clinic" in answer
    assert "  2. Títulos y oficios" in menu
    assert topic.startswith("== Títulos y oficios ==")  # "2" picked the second topic
    assert "not read" not in chat.stdout and chat.stderr == ""


def test_what_the_chat_could_not_answer_reaches_the_unanswered_report(tmp_path: Path) -> None:
    chat = run("chat", "--country", "tt", text="zzqx blorp fnord 12345\n", cwd=tmp_path)
    assert chat.returncode == 0, chat.stderr
    report = run("report", "unanswered", text="", cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    assert "zzqx blorp fnord [number]" in report.stdout  # kept, with the digits redacted


def test_chat_validates_country_and_language_and_lists_the_valid_ones(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    env = {**os.environ, "SESSION_STORE": str(tmp_path / "s.sqlite3")}
    for flag, value, listed in (("--country", "xx", "tt, "), ("--lang", "kreyol", "ht, ")):
        result = subprocess.run(
            [sys.executable, "-m", "bot", "chat", flag, value],
            cwd=ROOT,
            env=env,
            input="",
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2
        assert f"unknown {flag} '{value}'; use one of:" in result.stderr and listed in result.stderr
    folded = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--country", "TT", "lost passport"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert folded.returncode == 0 and folded.stdout.startswith("tt-")


def test_script_no_country_asked_then_kept_danger_first_and_stray_numbers(
    tmp_path: Path,
) -> None:
    lines = "necesito un medico para mi hijo\n2\nmi esposo me esta golpeando\n7\nquit\n"
    chat = run("chat", text=lines, cwd=tmp_path)
    assert chat.returncode == 0, chat.stderr
    asked, picked, danger, stray, *_ = chat.stdout.split("> ")[1:]
    assert asked.startswith("¿En qué país está? Le respondo para ese país.")
    assert "  1. Jamaica\n  2. Trinidad y Tobago\n  3. Omitir" in asked
    assert picked.startswith("Respondo para Trinidad y Tobago. Escriba PAÍS para cambiarlo.")
    assert "== Ver a un médico en una clínica ==" in picked
    assert danger.startswith("== Trinidad y Tobago ==\nSi está en peligro ahora, llame a:")
    assert "999" in danger.split("\n\n")[0]  # the numbers before anything else
    assert stray.startswith("Responda con un número del 1 al")
