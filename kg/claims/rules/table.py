"""The rule table (`ontology/patterns/rules.tsv`): every rule id with its frame, predicate, classes,
confidence and an example sentence with the triple it must give. One visible place for all of them.

- The *frame* is the Python function in kg/claims/rules/ (or kg/claims/figures.py) that reads a sentence structure and
  yields the rule's triples; a frame may serve several rule ids. Frames run in the order of their first
  row, so the table's order is the precedence: when two rules give the same triple the earlier one is kept.
- The *confidence* goes into the evidence (times the mentions' own confidence).
- *subject*/*object* name the classes the rule expects; :func:`check_table` verifies them against the
  loaded ontology's domain and range, so a predicate or class the vocabulary does not know is refused at
  start-up with the file and line.
- Every *example* is a test (tests/test_rule_table.py): the sentence must give the *expect* triple
  ("subject predicate object", surface forms; a number for figures).
- A *pattern* makes the row a rule of its own, written as data and read by the ``patterns.verb`` or
  ``patterns.sequence`` frame (kg/claims/rules/patterns.py explains the notation); Python frames leave it empty.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from kg import resources
from kg.errors import ConfigError

DEFAULT_PATH = resources.rules_path()
HEADER = ["id", "frame", "predicate", "subject", "object", "confidence", "example", "expect", "pattern"]
_ID = re.compile(r"^rule:[a-z][a-z0-9.\-]*$")


@dataclass(frozen=True)
class RuleSpec:
    id: str
    frame: str
    predicate: str
    subject: str
    object: str            # a class, or "number" for a datatype property
    confidence: float
    example: str
    expect: str
    line: int
    pattern: str = ""      # for the patterns.* frames (kg/claims/rules/patterns.py); empty for a Python frame


def read_table(path: Path) -> list[RuleSpec]:
    """The rows of ``path`` in file order; every malformed row reported at once."""
    if not path.is_file():
        raise ConfigError(f"rule table not found: {path}")
    problems: list[str] = []
    rows: list[RuleSpec] = []
    seen: set[str] = set()
    header_seen = False
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = [c.strip() for c in line.split("\t")]
        where = f"{path.name} line {lineno}"
        if not header_seen:
            header_seen = True
            if cells != HEADER:
                problems.append(f"{where}: the header must be {' '.join(HEADER)}")
            continue
        if len(cells) == len(HEADER) - 1:     # a Python frame's row may leave the pattern column off
            cells.append("")
        if len(cells) != len(HEADER):
            problems.append(f"{where}: expected {len(HEADER)} tab-separated columns, found {len(cells)}")
            continue
        ident, frame, predicate, subject, obj, confidence, example, expect, pattern = cells
        if not _ID.match(ident):
            problems.append(f"{where}: bad rule id {ident!r}")
        elif ident in seen:
            problems.append(f"{where}: rule id {ident!r} given twice")
        seen.add(ident)
        try:
            value = float(confidence)
            if not 0 < value <= 1:
                raise ValueError
        except ValueError:
            problems.append(f"{where}: confidence must be a number in (0, 1], not {confidence!r}")
            value = 0.0
        if not example or not expect:
            problems.append(f"{where}: every rule needs an example sentence and the triple it gives")
        rows.append(RuleSpec(ident, frame, predicate, subject, obj, value, example, expect, lineno, pattern))
    if problems:
        raise ConfigError("rule table has problems:\n  " + "\n  ".join(problems))
    return rows


def check_table(rows: list[RuleSpec], frames: set[str], ontology, path: Path = DEFAULT_PATH) -> None:
    """Every frame exists, every predicate and class fits the vocabulary; one ConfigError for all problems."""
    problems = []
    for row in rows:
        where = f"{path.name} line {row.line} ({row.id})"
        if row.frame not in frames:
            problems.append(f"{where}: no frame {row.frame!r} in kg/claims/rules (known: {', '.join(sorted(frames))})")
        for predicate in row.predicate.split("|"):     # fp32Tflops|fp16Tflops: a frame that gives either
            if predicate not in ontology.object_properties | ontology.datatype_properties:
                problems.append(f"{where}: predicate {predicate!r} is not in the vocabulary")
                continue
            datatype = predicate in ontology.datatype_properties
            for subject in row.subject.split("|"):      # Product|Organization: either may be the subject
                for obj in ([None] if datatype else row.object.split("|")):
                    reason = (f"class {subject!r} is not in the vocabulary" if subject not in ontology.classes else
                              f"class {obj!r} is not in the vocabulary" if obj is not None and obj not in ontology.classes
                              else ontology.check(predicate, subject, obj))
                    if reason is not None:
                        problems.append(f"{where}: {reason}")
    from kg.claims.rules.patterns import check_patterns
    problems += check_patterns(rows, path.name)
    unused = frames - {row.frame for row in rows}
    if unused:
        problems.append(f"{path.name}: frames without a rule: {', '.join(sorted(unused))}")
    if problems:
        raise ConfigError("rule table does not fit:\n  " + "\n  ".join(problems))


@lru_cache(maxsize=1)
def rule_table() -> dict[str, RuleSpec]:
    """The shipped table by rule id (read once)."""
    return {row.id: row for row in read_table(DEFAULT_PATH)}


def confidence(rule_id: str) -> float:
    try:
        return rule_table()[rule_id].confidence
    except KeyError:
        raise ConfigError(f"{DEFAULT_PATH.name}: no row for {rule_id!r} (a frame yields it)") from None


def fits(rule_id: str, subject, obj) -> bool:
    """Do a claim's two items have the classes the rule's row names? (The row's classes bind the frame.)"""
    row = rule_table()[rule_id]
    return subject.is_a(_classes(row.subject)) and (row.object == "number" or obj.is_a(_classes(row.object)))


@lru_cache(maxsize=None)
def _classes(column: str) -> tuple[str, ...]:
    return tuple(column.split("|"))
