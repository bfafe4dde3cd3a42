"""Joining the rules' mentions and the NER model's: one list for the later stages, the rules winning."""
from __future__ import annotations

from kg.model import Mention


def merge(rule_mentions: list[Mention], model_mentions: list[Mention]) -> list[Mention]:
    """Rules win where both speak: a model span overlapping any rule span is dropped."""
    taken = bytearray()
    for m in rule_mentions:
        if m.end > len(taken):
            taken.extend(b"\x00" * (m.end - len(taken)))
        taken[m.start:m.end] = b"\x01" * (m.end - m.start)
    extra = [m for m in model_mentions if not any(taken[m.start:min(m.end, len(taken))])]
    return sorted(rule_mentions + extra, key=lambda m: (m.start, m.end))
