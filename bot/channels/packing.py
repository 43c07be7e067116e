"""Paragraphs packed into as few messages of a channel's size as fit, broken between them."""

from __future__ import annotations


def pack(blocks: list[str], limit: int) -> list[str]:
    """Join paragraphs into messages of at most `limit` characters, breaking between them.

    A single paragraph longer than a message is cut at a line, else a word, else anywhere.
    """
    parts: list[str] = []
    current = ""
    for block in blocks:
        while len(block) > limit:
            cut = block.rfind("\n", 0, limit)
            cut = cut if cut > 0 else block.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            if current:
                parts.append(current)
                current = ""
            parts.append(block[:cut].rstrip())
            block = block[cut:].lstrip()
        joined = f"{current}\n\n{block}" if current else block
        if len(joined) > limit:
            parts.append(current)
            current = block
        else:
            current = joined
    if current:
        parts.append(current)
    return parts
