"""`puente report NAME`: the command-line side of the reports."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the report command's arguments."""
    parser.add_argument("name", choices=["coverage", "confusion", "eval", "unanswered"])
    parser.add_argument("file", nargs="?", help="for eval: a JSON Lines file with 'expect'")


def run(args: argparse.Namespace) -> int:
    """Print the report."""
    raise SystemExit("puente report: not written yet")
