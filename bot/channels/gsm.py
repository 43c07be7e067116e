"""GSM-7: what fits in a cheap SMS, how many segments a text costs, and how to stay in it.

One character outside GSM-7 turns the whole message into UCS-2, which more than halves what a
segment holds. Returnees pay per message, so characters with a faithful GSM-7 stand-in are
transliterated (á→a, ê→e, ç→c, curly quotes→straight); the letters GSM-7 has (é, è, à, ò, ñ,
ü, Ç…) stay as they are.
"""

from __future__ import annotations

import re
import unicodedata

# 3GPP TS 23.038 default alphabet and its extension table (extension characters cost two).
BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
EXTENSION = set("^{}\\[~]|€\f")

_STAND_INS = {
    "ç": "c", "‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"',
    "–": "-", "—": "-", "‐": "-", "…": "...", "•": "-", "·": "-", "\u00a0": " ", "\u202f": " ",
    "\t": " ", "º": "o", "ª": "a", "°": "o", "×": "x", "œ": "oe", "Œ": "OE",
}  # fmt: skip

SINGLE_GSM, MULTI_GSM = 160, 153
SINGLE_UCS2, MULTI_UCS2 = 70, 67


def _stand_in(char: str) -> str:
    if char in BASIC or char in EXTENSION:
        return char
    if char in _STAND_INS:
        return _STAND_INS[char]
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    if base and all(c in BASIC for c in base):
        return base
    return char


def to_gsm(text: str) -> str:
    """Replace characters outside GSM-7 by faithful stand-ins; others stay (meaning first)."""
    return "".join(_stand_in(ch) for ch in text)


_NOT_GSM = re.compile("[^" + re.escape("".join(sorted(BASIC | EXTENSION))) + "]")
_EXTENDED = re.compile("[" + re.escape("".join(sorted(EXTENSION))) + "]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def is_gsm(text: str) -> bool:
    """Whether `text` can be sent in GSM-7."""
    return _NOT_GSM.search(text) is None


def _units(text: str, gsm: bool) -> list[int]:
    """The cost of each character: septets in GSM-7, UTF-16 code units in UCS-2."""
    if gsm:
        return [2 if ch in EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def segments(text: str) -> int:
    """How many SMS segments `text` costs, counted exactly."""
    if not text:
        return 0
    gsm = is_gsm(text)
    wide = _EXTENDED if gsm else _ASTRAL  # characters that cost two units
    doubles = len(wide.findall(text))
    single, multi = (SINGLE_GSM, MULTI_GSM) if gsm else (SINGLE_UCS2, MULTI_UCS2)
    total = len(text) + doubles
    if total <= single:
        return 1
    if not doubles:
        return -(-total // multi)
    count, used = 1, 0
    for unit in _units(text, gsm):  # an escape or surrogate pair is never split across segments
        if used + unit > multi:
            count, used = count + 1, 0
        used += unit
    return count


def fits(text: str, budget: int) -> bool:
    """Whether `text` costs at most `budget` segments."""
    return segments(text) <= budget
