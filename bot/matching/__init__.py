"""Matching: from a message typed by a real person to the entry that answers it."""

from bot.matching.matcher import Candidate, Match, Matcher, Reason

__all__ = ["Candidate", "Match", "Matcher", "Reason"]
