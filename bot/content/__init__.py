"""The knowledge base: its model and its loader."""

from bot.content.loader import load_knowledge
from bot.content.model import REGION, TOPICS, Country, Entry, KnowledgeBase, Service, Source

__all__ = [
    "REGION",
    "TOPICS",
    "Country",
    "Entry",
    "KnowledgeBase",
    "Service",
    "Source",
    "load_knowledge",
]
