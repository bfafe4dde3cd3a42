"""Rules written as data: the `pattern` column of ontology/patterns/rules.tsv, read by two frames.

A pattern is a sequence of tokens separated by spaces:

    S, O       the subject and the object (their classes are the row's subject/object columns);
    S+, O+     ... and the names coordinated after it (BR100、BR104和BR106);
    <class>    a trigger class of ontology/triggers.tsv (<acquire>);
    'a|b'      literal text, alternatives split by | (matched on the normalised Simplified view);
    ~N         (verb frame) up to N characters of the same clause between the anchor and the second slot;
    X?         the token X may be absent.

Frames (the row's `frame` column):

- ``patterns.verb``: FIRST ANCHOR [~N] SECOND [TAIL]. Every match of the anchor (the tokens between the two
  slots) is a trigger; FIRST is the subject before it (as every rule finds one: not governed by a
  preposition, else carried over from an earlier clause), SECOND the first fitting name after it, TAIL
  what must follow SECOND. A plan, wish or denial between FIRST and the anchor blocks the rule.
  `S <acquire> ~14 O+`: 英偉達收購了3dfx、AGEIA. `O '被' S '所'? <acquire>`: 賽靈思被AMD收購.
- ``patterns.sequence``: [LEAD] FIRST GAP SECOND [TAIL] over two names next to each other (no other name
  between them): GAP must be all the text between them, LEAD what comes right before FIRST, TAIL right
  after SECOND. `S '（|(' O '子公司|全資子公司' '）|)'`: 崑崙芯（百度子公司）.

Two names of one entity never make a triple. Only what these cannot say stays a Python frame.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from kg.errors import ConfigError
from kg.claims.rules.common import Found
from kg.claims.rules.table import RuleSpec, rule_table
from kg.claims.sentence_view import Item, SentenceView
from kg.claims.triggers import trigger

_TOKEN = re.compile(r"'[^']*'\??|<[a-z_]+>\??|~\d+|[SO]\+?")
#: the text between a verb frame's anchor and its second slot: the same clause, no brackets
_SAME_CLAUSE = re.compile(r"^[^，。；、,;（）()]*$")
_DEFAULT_REACH = 2


@dataclass(frozen=True)
class Slot:
    role: str        # "S" or "O"
    listed: bool     # S+ / O+


@dataclass(frozen=True)
class Pattern:
    """A compiled pattern: two slots and the regular expressions around them."""

    first: Slot
    second: Slot
    lead: re.Pattern | None      # right before the first slot (sequence frame)
    anchor: re.Pattern           # between the slots
    tail: re.Pattern | None      # right after the second slot
    reach: int                   # verb frame: characters allowed between the anchor and the second slot


def _regex(tokens: list[str]) -> str:
    parts = []
    for token in tokens:
        optional = token.endswith("?")
        body = token[:-1] if optional else token
        if body.startswith("'"):
            words = [re.escape(w) for w in body[1:-1].split("|") if w]
            piece = "(?:" + "|".join(words) + ")"
        elif body.startswith("<"):
            piece = f"(?:{trigger(body[1:-1])})"
        else:
            raise ValueError(f"token {token!r} is not allowed here")
        parts.append(piece + ("?" if optional else ""))
    return r"\s*".join(parts)


def compile_pattern(text: str) -> Pattern:
    """Parse a pattern (ValueError with what is wrong)."""
    tokens = _TOKEN.findall(text)
    if "".join(tokens).replace(" ", "") != text.replace(" ", ""):
        raise ValueError(f"cannot read {text!r} (tokens: S O S+ O+ <trigger> 'text' ~N, ? for optional)")
    slots = [i for i, t in enumerate(tokens) if t.rstrip("+") in ("S", "O")]
    if len(slots) != 2 or {tokens[i].rstrip("+") for i in slots} != {"S", "O"}:
        raise ValueError(f"{text!r} needs one S and one O")
    i, j = slots
    reach = _DEFAULT_REACH
    middle = tokens[i + 1:j]
    if middle and middle[-1].startswith("~"):
        reach = int(middle.pop()[1:])
    if not middle or any(t.startswith("~") for t in tokens[:i] + middle + tokens[j + 1:]):
        raise ValueError(f"{text!r}: text between S and O is needed, and ~N only right before the second slot")
    lead, tail = tokens[:i], tokens[j + 1:]
    slot = lambda t: Slot(t.rstrip("+"), t.endswith("+"))  # noqa: E731
    return Pattern(slot(tokens[i]), slot(tokens[j]),
                   re.compile(r"(?:" + _regex(lead) + r")\s*$") if lead else None,
                   re.compile(_regex(middle)),
                   re.compile(r"\s*" + _regex(tail)) if tail else None,
                   reach)


@lru_cache(maxsize=None)
def _compiled(rule_id: str) -> Pattern:
    return compile_pattern(rule_table()[rule_id].pattern)


@lru_cache(maxsize=None)
def _classes(spec: RuleSpec, role: str) -> tuple[str, ...]:
    return tuple((spec.subject if role == "S" else spec.object).split("|"))


def _same_entity(a: Item, b: Item) -> bool:
    return a.mention.key is not None and a.mention.key == b.mention.key


def _triples(spec: RuleSpec, first: list[Item], second: list[Item], pattern: Pattern) -> Iterator[Found]:
    for a in first:
        for b in second:
            subject, obj = (a, b) if pattern.first.role == "S" else (b, a)
            if not _same_entity(subject, obj):
                yield subject, spec.predicate, obj, spec.id


@lru_cache(maxsize=None)
def _rows(frame: str) -> tuple[RuleSpec, ...]:
    return tuple(spec for spec in rule_table().values() if spec.frame == frame)


def verb(v: SentenceView) -> Iterator[Found]:
    for spec in _rows("patterns.verb"):
        pattern = _compiled(spec.id)
        first_classes, second_classes = _classes(spec, pattern.first.role), _classes(spec, pattern.second.role)
        for anchor in pattern.anchor.finditer(v.norm):
            second = v.first_after(anchor.end(), second_classes, max_gap=pattern.reach, gap_ok=_SAME_CLAUSE)
            if second is None:
                continue
            seconds = v.list_from(second, second_classes) if pattern.second.listed else [second]
            if pattern.tail is not None and not pattern.tail.match(v.norm, seconds[-1].end):
                continue
            first = v.subject_before(anchor.start(), first_classes, carry=True)
            if first is None or v.modal_between(first.end, anchor.start()):
                continue
            firsts = v.sharing(first, first_classes) if pattern.first.listed else [first]
            yield from _triples(spec, firsts, seconds, pattern)


def sequence(v: SentenceView) -> Iterator[Found]:
    for spec in _rows("patterns.sequence"):
        pattern = _compiled(spec.id)
        first_classes, second_classes = _classes(spec, pattern.first.role), _classes(spec, pattern.second.role)
        for a, b in zip(v.items, v.items[1:]):
            if not (a.is_a(first_classes) and b.is_a(second_classes)):
                continue
            if not pattern.anchor.fullmatch(v.gap(a, b).strip()):
                continue
            if pattern.lead is not None and not pattern.lead.search(v.norm, 0, a.start):
                continue
            seconds = v.list_from(b, second_classes) if pattern.second.listed else [b]
            if pattern.tail is not None and not pattern.tail.match(v.norm, seconds[-1].end):
                continue
            if v.modal_between(a.start, b.start):
                continue
            yield from _triples(spec, [a], seconds, pattern)


def check_patterns(rows: list[RuleSpec], path_name: str) -> list[str]:
    """Problems of the pattern column: a pattern frame without a pattern, a pattern that does not parse or
    names an unknown trigger class, a Python frame with a pattern."""
    problems = []
    for row in rows:
        where = f"{path_name} line {row.line} ({row.id})"
        if row.frame.startswith("patterns."):
            if not row.pattern:
                problems.append(f"{where}: frame {row.frame} needs a pattern")
                continue
            try:
                compile_pattern(row.pattern)
            except (ValueError, ConfigError, re.error) as error:
                problems.append(f"{where}: {error}")
        elif row.pattern:
            problems.append(f"{where}: only patterns.* frames read a pattern")
    return problems
