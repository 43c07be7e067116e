"""Why an entry won: for editors, in plain words."""

from __future__ import annotations

from bot.matching.matcher import ANSWER_AT, OUT_OF_SCOPE_OVERRIDE, Match


def explain(match: Match) -> str:
    """A readable account of the decision for one message."""
    lines = []
    analysis = match.analysis
    if analysis is not None:
        detection = analysis.language
        lines.append(
            f"language: {detection.language} (confidence {detection.confidence:.2f}; "
            f"order {', '.join(detection.ranking[:3])})"
        )
        if analysis.corrections:
            fixed = ", ".join(f"{wrong}→{right}" for wrong, right in analysis.corrections)
            lines.append(f"typos corrected: {fixed}")
        concepts = sorted(
            {f"{f.key[2:]} ({f.source})" for f in analysis.features if f.key.startswith("c:")}
        )
        terms = sorted({f.source for f in analysis.features if f.key.startswith("t:")})
        lines.append("concepts: " + (", ".join(concepts) or "none"))
        lines.append("words: " + (", ".join(terms) or "none"))
        if analysis.unexplained:
            words = ", ".join(f"{w} ({rarity:.1f})" for w, _, rarity in analysis.unexplained)
            lines.append(f"real words no entry uses (rarity): {words}")
        if analysis.unknown:
            lines.append("unknown words: " + ", ".join(w for w, _ in analysis.unknown))
        if analysis.need:
            lines.append(f"the need, scored first: {analysis.need_text}")
    if match.mention is not None:
        lines.append(
            f"country named in the message: {match.mention.country} "
            f"('{match.mention.words}', {match.mention.role})"
        )
    lines.append(f"country searched: {match.country or 'all'} (+ region)")
    if match.outside:
        lines.append(
            f"asks for what no entry covers: {', '.join(match.outside)} "
            f"(answered only at score {OUT_OF_SCOPE_OVERRIDE}+)"
        )
    bar = OUT_OF_SCOPE_OVERRIDE if match.outside else ANSWER_AT
    if match.entry is not None:
        lines.append(
            f"answer: {match.entry.id} — score {match.score} (answers at {bar}+), "
            f"in {match.language}"
        )
    else:
        lines.append(f"answer: none ({match.reason}; best score {match.score}, answers at {bar}+)")
    for note in match.notes:
        lines.append(f"note: {note}")
    for rank, candidate in enumerate(match.candidates[:3], start=1):
        why = ", ".join(f"{key[2:]} +{gain}" for key, gain in candidate.matched[:6])
        lines.append(
            f"  {rank}. {candidate.entry.id} score {candidate.score} "
            f"(weight {candidate.weight:.2f}): {why}"
        )
    return "\n".join(lines)
