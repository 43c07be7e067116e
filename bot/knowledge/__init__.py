"""The knowledge base: its model and its loader."""

from bot.knowledge.loader import load_knowledge
from bot.knowledge.model import REGION, TOPICS, Country, Entry, KnowledgeBase, Service, Source

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
