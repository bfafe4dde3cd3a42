"""Which relation frames can give a claim in a sentence, from the classes of its mentions.

`kg.claims.relations` keeps a frame's triple only if the rule table's row for the rule id binds the subject and
object classes (``fits``) and the two are different mentions. So a frame none of whose rows finds both
its subject class and its object class among a sentence's mentions (a class counts with its
superclasses), or a sentence with fewer than two mentions, can give nothing that is kept: running it
there is wasted work (about two thirds of the claims stage on the benchmark corpus). Skipping it
changes no output, provided every frame yields only the rule ids of its own rows
(tests/test_rule_table.py checks this on every example).
"""
from __future__ import annotations

from functools import lru_cache

from kg.model import ANCESTORS
from kg.claims.rules import FRAMES, RULES
from kg.claims.rules.table import rule_table

#: the rows' (subject classes, object classes) of each frame; None for a figure ("number")
Binding = tuple[frozenset, frozenset | None]


def frames_for(items) -> tuple:
    """The frames of RULES, in their order, that can give a kept claim among ``items`` (SentenceView items)."""
    if len(items) < 2:
        return ()
    present = frozenset().union(*(ANCESTORS.get(it.cls, (it.cls,)) for it in items))
    return _frames_for(present)


@lru_cache(maxsize=4096)
def _frames_for(present: frozenset) -> tuple:
    bindings = _bindings()
    return tuple(frame for frame in RULES
                 if any(not subject.isdisjoint(present) and (obj is None or not obj.isdisjoint(present))
                        for subject, obj in bindings[frame]))


@lru_cache(maxsize=1)
def _bindings() -> dict:
    by_name: dict[str, list[Binding]] = {name: [] for name in FRAMES}
    for row in rule_table().values():
        if row.frame in by_name:
            obj = None if row.object == "number" else frozenset(row.object.split("|"))
            by_name[row.frame].append((frozenset(row.subject.split("|")), obj))
    return {FRAMES[name]: bindings for name, bindings in by_name.items()}
