"""The build report: what was read, kept, found, rejected, and how long each stage took."""
from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

#: what a build says while it runs (``kg rebuild``'s progress lines on stderr), or None for nothing
Progress = Callable[[str], None] | None


@dataclass(frozen=True)
class Rejection:
    doc: str
    sentence: str
    subject: str
    predicate: str
    obj: str
    rule: str
    reason: str


@dataclass
class BuildReport:
    """What a build did, returned by ``build`` and written as ``report.md``: articles kept and dropped, counts
    of entities and facts, rules fired, rejected claims, input problems, SHACL result, timings."""

    model: str = ""
    warnings: list[str] = field(default_factory=list)         # first lines of the report and on stderr
    relation_model: str = "off"                                # the relation model's note (kg/claims/relation_model.py)
    model_claims: int = 0                                      # claims the relation model added to the rules'
    articles: list[tuple] = field(default_factory=list)       # (doc, title, kept, score, reason)
    problems: list[str] = field(default_factory=list)         # one line per input problem
    rejected: list[Rejection] = field(default_factory=list)
    entities_per_class: Counter = field(default_factory=Counter)
    facts_per_predicate: Counter = field(default_factory=Counter)
    rules_fired: Counter = field(default_factory=Counter)          # rule id -> claims it made (before checks)
    timings: dict[str, float] = field(default_factory=dict)
    bytes_read: int = 0
    evidence_dropped: int = 0                                  # repeats over the per-document evidence cap
    triples: int = 0
    articles_reused: int = 0                                   # mentions and claims taken from the cache
    articles_extracted: int = 0                                # ... and extracted afresh
    shacl: str = "not run"
    shacl_ok: bool = True
    shacl_text: str = ""
    outputs: list[str] = field(default_factory=list)
    seconds_total: float = 0.0

    @contextmanager
    def timer(self, stage: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - start

    def count_entities(self, entities) -> None:
        self.entities_per_class = Counter(e.cls for e in entities)

    @property
    def exit_code(self) -> int:
        return 0 if self.shacl_ok else 1

    @property
    def relation_model_line(self) -> str:
        if self.relation_model.startswith("model:"):
            return f"{self.relation_model}, {self.model_claims} claim(s)"
        return self.relation_model

    @property
    def kept(self) -> int:
        return sum(1 for a in self.articles if a[2])

    def summary(self) -> str:
        """The one-screen summary `kg rebuild` prints."""
        docs = len({a[0] for a in self.articles})
        lines = [
            f"read {docs} document(s) ({self.bytes_read / 1e6:.2f} MB): {self.kept} article(s) kept, "
            f"{len(self.articles) - self.kept} dropped; model: {self.model}; relation model: {self.relation_model_line}",
            f"entities: {sum(self.entities_per_class.values())}  "
            + ", ".join(f"{c} {n}" for c, n in sorted(self.entities_per_class.items())),
            f"relations: {sum(n for p, n in self.facts_per_predicate.items() if not _figure(p))}  "
            + ", ".join(f"{p} {n}" for p, n in sorted(self.facts_per_predicate.items()) if not _figure(p)),
            "figures: " + (", ".join(f"{p} {n}" for p, n in sorted(self.facts_per_predicate.items()) if _figure(p))
                           or "none"),
            f"rejected claims: {len(self.rejected)}   triples: {self.triples}   SHACL: {self.shacl}",
        ]
        if self.articles_reused or self.articles_extracted:   # not in report.md: the exports stay the same
            lines.append(f"cache: {self.articles_reused} article(s) reused, {self.articles_extracted} extracted")
        for problem in self.problems:
            lines.append(f"problem: {problem}")
        lines.append(f"wrote {', '.join(self.outputs) or 'nothing'} in {self.seconds_total:.2f} s")
        return "\n".join(lines)

    def markdown(self) -> str:
        out = ["# Build report", ""]
        out += [f"> **Warning:** {_cell(w)}" for w in self.warnings] + ([""] if self.warnings else [])
        out += [f"- documents: {len({a[0] for a in self.articles})}, input {self.bytes_read:,} bytes",
               f"- articles kept: {self.kept}, dropped: {len(self.articles) - self.kept}",
               f"- model: {self.model}",
               f"- relation model: {self.relation_model_line}",
               f"- triples: {self.triples}; SHACL: {self.shacl}",
               f"- evidence records beyond 5 per fact and document, not kept: {self.evidence_dropped}", ""]
        out += ["## Articles", "", "| document | title | kept | score | why |", "|---|---|---|---|---|"]
        out += [f"| {d} | {_cell(t)} | {'yes' if k else 'no'} | {s} | {_cell(r)} |" for d, t, k, s, r in self.articles]
        out += ["", "## Entities per class", "", "| class | entities |", "|---|---|"]
        out += [f"| {c} | {n} |" for c, n in sorted(self.entities_per_class.items())]
        out += ["", "## Facts per predicate (distinct triples)", "", "| predicate | triples |", "|---|---|"]
        out += [f"| {p} | {n} |" for p, n in sorted(self.facts_per_predicate.items())]
        out += ["", "## Rules that fired (claims, before the ontology check; ids as in ontology/patterns/rules.tsv)", "",
                "| rule | claims |", "|---|---|"]
        out += [f"| {rule} | {n} |" for rule, n in sorted(self.rules_fired.items(), key=lambda kv: (-kv[1], kv[0]))]
        out += ["", f"## Rejected claims ({len(self.rejected)})", "",
                "Claims whose subject or object class breaks the property's domain/range never enter the graph.", "",
                "| document | claim | rule | reason | sentence |", "|---|---|---|---|---|"]
        for r in sorted(self.rejected, key=lambda r: (r.doc, r.subject, r.predicate, r.obj, r.rule)):
            out.append(f"| {r.doc} | {_cell(r.subject)} {r.predicate} {_cell(r.obj)} | {r.rule} | {_cell(r.reason)} "
                       f"| {_cell(r.sentence[:80])} |")
        if self.problems:
            out += ["", "## Input problems", ""] + [f"- {_cell(p)}" for p in self.problems]
        if self.shacl_text:
            out += ["", "## SHACL report", "", "```", self.shacl_text[:5000], "```"]
        out += ["", "## Timing", "", "| stage | seconds |", "|---|---|"]
        out += [f"| {k} | {v:.3f} |" for k, v in self.timings.items()]
        out += [f"| total (until this report) | {self.seconds_total:.3f} |", ""]
        return "\n".join(out)


def _figure(predicate: str) -> bool:
    from kg.vocabulary import vocabulary

    return predicate in vocabulary().datatype_properties


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")
