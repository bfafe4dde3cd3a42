"""`kg eval`: score an exported graph against a gold TSV, following ../shared/eval/README.md.

The numbers agree with the independent scorer ../shared/eval/score.py (tests/test_scoring.py checks):

- Entities match by label (NFKC, Traditional→Simplified, lower case, no spaces/hyphens/dots);
  classes match themselves or a subclass; symmetric properties (compatibleWith, partnerOf) match
  either way; numbers within 1 %.
- Recall: matched required rows / required rows, per predicate and over the object properties.
- Precision: among the graph's triples whose predicate is an object property of the core vocabulary
  and whose subject and object both match gold entities, those matching a required/optional row
  (a forbidden row is always an error). Triples with an end the gold does not know are
  ``unjudged``: neither right nor wrong, listed with ``-v`` for review.
- With an index (columns file, url, date, region, style, chars, like ../shared/eval/dev/index.tsv)
  the same scores are computed per region and per style over that group's gold rows only, as
  ``score.py --docs <the group's files>`` does.

The property sets come from the loaded ontology (:class:`kg.ontology.Ontology`), restricted to the
core vocabulary of ../shared/ontology-core.md (``kg.ontology.REQUIRED_*``): a property kg.ttl adds
beyond the core is not scored, as score.py does not score it either.
"""
from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from kg.errors import InputError
from kg.namespaces import RDF_TYPE, RDFS_LABEL, SKOS_ALT_LABEL, SKOS_PREF_LABEL

LABEL_PREDICATES = {RDFS_LABEL, SKOS_PREF_LABEL, SKOS_ALT_LABEL}
INDEX_COLUMNS = ("file", "url", "date", "region", "style", "chars")
INDEX_FILE = "index.tsv"
BREAKDOWN_DIMENSIONS = ("region", "style")


# ---------------------------------------------------------------------- vocabulary


@dataclass(frozen=True)
class Vocabulary:
    """What is scored: object properties (relations), datatype properties (figures), symmetric ones,
    and the subclass test used for ``a`` rows."""

    object_properties: frozenset[str]
    datatype_properties: frozenset[str]
    symmetric: frozenset[str]
    ontology: object = field(repr=False, compare=False)  # kg.ontology.Ontology

    @classmethod
    def from_ontology(cls, ontology=None) -> "Vocabulary":
        """The core properties as declared by ``ontology`` (default: ``Ontology.load()``)."""
        from kg.ontology import REQUIRED_DATATYPE_PROPERTIES, REQUIRED_OBJECT_PROPERTIES, Ontology

        onto = ontology if ontology is not None else Ontology.load()
        # load() guarantees every core term is declared; the intersection drops project extras.
        obj = onto.object_properties & frozenset(REQUIRED_OBJECT_PROPERTIES)
        dat = onto.datatype_properties & frozenset(REQUIRED_DATATYPE_PROPERTIES)
        return cls(frozenset(obj), frozenset(dat), frozenset(onto.symmetric & obj), onto)

    def is_a(self, cls: str, ancestor: str) -> bool:
        return self.ontology.is_subclass(cls, ancestor)


@lru_cache(maxsize=1)
def _default_vocabulary() -> Vocabulary:
    return Vocabulary.from_ontology()


# ---------------------------------------------------------------------- scores


@dataclass
class Scores:
    object_properties: frozenset[str] = frozenset()
    per_predicate: dict[str, list[int]] = field(default_factory=dict)   # predicate -> [found, required]
    precision_per_predicate: dict[str, list[int]] = field(default_factory=dict)  # predicate -> [correct, judged]
    misses: list[dict] = field(default_factory=list)
    wrong: list[tuple] = field(default_factory=list)
    unjudged: list[tuple] = field(default_factory=list)   # (subject label, predicate, object label)
    forbidden_hits: list[dict] = field(default_factory=list)
    breakdown: list["GroupScores"] = field(default_factory=list)
    unindexed_docs: list[str] = field(default_factory=list)  # gold documents the index does not list

    @property
    def relations_found(self) -> int:
        return sum(v[0] for k, v in self.per_predicate.items() if k in self.object_properties)

    @property
    def relations_required(self) -> int:
        return sum(v[1] for k, v in self.per_predicate.items() if k in self.object_properties)

    @property
    def correct_triples(self) -> int:
        return sum(v[0] for v in self.precision_per_predicate.values())

    @property
    def judged_triples(self) -> int:
        return sum(v[1] for v in self.precision_per_predicate.values())

    @property
    def unjudged_triples(self) -> int:
        return len(self.unjudged)

    @property
    def relation_recall(self) -> float:
        total = self.relations_required
        return self.relations_found / total if total else 0.0

    @property
    def relation_precision(self) -> float:
        total = self.judged_triples
        return self.correct_triples / total if total else 0.0

    @property
    def relation_f1(self) -> float:
        return _f1(self.relation_precision, self.relation_recall)

    @property
    def entity_type_recall(self) -> float:
        hit, total = self.per_predicate.get("a", [0, 0])
        return hit / total if total else 0.0

    def as_dict(self) -> dict:
        out = {
            "relation_precision": round(self.relation_precision, 3),
            "relation_recall": round(self.relation_recall, 3),
            "relation_f1": round(self.relation_f1, 3),
            "relations_required": self.relations_required,
            "relations_found": self.relations_found,
            "judged_triples": self.judged_triples,
            "unjudged_triples": self.unjudged_triples,
            "entity_type_recall": round(self.entity_type_recall, 3),
            "forbidden_hits": len(self.forbidden_hits),
            "recall_per_predicate": {k: f"{v[0]}/{v[1]}" for k, v in sorted(self.per_predicate.items())},
            "precision_per_predicate": {k: f"{v[0]}/{v[1]}" for k, v in sorted(self.precision_per_predicate.items())},
        }
        if self.breakdown:
            groups: dict[str, dict] = {d: {} for d in BREAKDOWN_DIMENSIONS}
            for g in self.breakdown:
                groups[g.dimension][g.value] = g.as_dict()
            out["breakdown"] = groups
            out["unindexed_docs"] = list(self.unindexed_docs)
        return out

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, sort_keys=True)

    def table(self, verbose: bool = False) -> str:
        rows = ["predicate            recall   precision  F1"]
        for p in sorted(set(self.per_predicate) | set(self.precision_per_predicate)):
            found, required = self.per_predicate.get(p, [0, 0])
            correct, judged = self.precision_per_predicate.get(p, [0, 0])
            r = found / required if required else None
            pr = correct / judged if judged else None
            f1 = _f1(pr, r) if r is not None and pr is not None else None
            rows.append(f"{p:20s} {_frac(found, required):8s} {_frac(correct, judged):10s} {_num(f1)}")
        if self.breakdown:
            rows.append("")
            width = max(20, *(len(g.dimension) + 1 + len(g.value) for g in self.breakdown))
            rows.append(f"{'group':{width}s} {'articles':>8s}  {'recall':12s} {'precision':12s} {'F1':5s}  forbidden")
            for g in self.breakdown:
                s = g.scores
                f1 = _num(s.relation_f1) if s.relations_required and s.judged_triples else "-"
                rows.append(f"{g.dimension + '=' + g.value:{width}s} {g.articles:8d}  "
                            f"{_frac(s.relations_found, s.relations_required):12s} "
                            f"{_frac(s.correct_triples, s.judged_triples):12s} {f1:5s}  {len(s.forbidden_hits)}")
            if self.unindexed_docs:
                rows.append(f"not in the index (in no group): {', '.join(self.unindexed_docs)}")
            rows.append("")
        rows.append(f"relations: P={self.relation_precision:.3f} R={self.relation_recall:.3f} F1={self.relation_f1:.3f}  "
                    f"entity-type R={self.entity_type_recall:.3f}  forbidden={len(self.forbidden_hits)}")
        rows.append(f"judged triples: {self.judged_triples}  unjudged triples: {self.unjudged_triples}")
        if verbose:
            rows += [f"MISS\t{m['doc']}\t{m['subject']}\t{m['predicate']}\t{m['object']}" for m in self.misses]
            rows += ["\t".join(w) for w in self.wrong]
            rows += ["\t".join(("UNJUDGED",) + u) for u in self.unjudged]
            rows += [f"FORBIDDEN-HIT\t{m['doc']}\t{m['subject']}\t{m['predicate']}\t{m['object']}"
                     for m in self.forbidden_hits]
        return "\n".join(rows)


@dataclass
class GroupScores:
    """The scores over one region's or one style's articles (their gold rows only)."""

    dimension: str      # "region" or "style"
    value: str          # "mainland", "news", ...
    articles: int       # index rows in the group
    scores: Scores

    def as_dict(self) -> dict:
        s = self.scores
        return {
            "articles": self.articles,
            "relations_found": s.relations_found, "relations_required": s.relations_required,
            "correct_triples": s.correct_triples, "judged_triples": s.judged_triples,
            "unjudged_triples": s.unjudged_triples,
            "relation_recall": round(s.relation_recall, 3), "relation_precision": round(s.relation_precision, 3),
            "relation_f1": round(s.relation_f1, 3), "forbidden_hits": len(s.forbidden_hits),
        }


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def _frac(a: int, b: int) -> str:
    return f"{a}/{b}" if b else "-"


def _num(x) -> str:
    return f"{x:.3f}" if x is not None else "-"


# ---------------------------------------------------------------------- inputs


class _Norm:
    """The shared scorer's name key (kg.normalize.Normalizer.score_key)."""

    def __init__(self) -> None:
        from kg.normalize import default_normalizer

        self._key = default_normalizer().score_key

    def __call__(self, text: str) -> str:
        return self._key(text)


def _local(iri: str) -> str:
    return re.split(r"[#/:]", iri)[-1]


def load_gold(path: Path, norm) -> list[dict]:
    rows = []
    try:
        with Path(path).open(encoding="utf-8") as handle:
            lines = list(handle)
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read gold file {path}: {error}") from error
    header_seen = False
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if not header_seen:  # as score.py: only the first row may be a header
            header_seen = True
            if cols[0] == "doc":
                continue
        if len(cols) < 5:
            raise InputError(f"{path}: malformed gold row: {line[:60]}")
        row = dict(zip(["doc", "subject", "predicate", "object", "status", "evidence"], cols))
        row["s"] = {norm(x) for x in row["subject"].split("|") if x.strip()}
        row["o"] = {norm(x) for x in row["object"].split("|") if x.strip()}
        rows.append(row)
    return rows


def default_index(gold_path: Path) -> Path | None:
    """``index.tsv`` beside the gold file, if there is one."""
    candidate = Path(gold_path).parent / INDEX_FILE
    return candidate if candidate.is_file() else None


def load_index(path: Path) -> list[dict[str, str]]:
    """Rows of an article index (tab-separated, header ``file url date region style chars``).

    Raises :class:`InputError` when the file is missing, unreadable or malformed."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"index {path} not found" if not path.exists() else f"index {path} is not a file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read index {path}: {error}") from error
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip() and not line.startswith("#")]
    if not lines:
        raise InputError(f"index {path} is empty (expected a header: {' '.join(INDEX_COLUMNS)})")
    header = [c.strip() for c in lines[0][1].split("\t")]
    missing = [c for c in INDEX_COLUMNS if c not in header]
    if missing:
        raise InputError(f"index {path}: header lacks column(s) {', '.join(missing)} "
                         f"(expected tab-separated: {' '.join(INDEX_COLUMNS)})")
    rows, seen = [], set()
    for n, line in lines[1:]:
        cols = [c.strip() for c in line.split("\t")]
        if len(cols) != len(header):
            raise InputError(f"index {path}:{n}: {len(cols)} column(s), the header has {len(header)}")
        row = dict(zip(header, cols))
        for col in ("file", "region", "style"):
            if not row[col]:
                raise InputError(f"index {path}:{n}: empty {col}")
        if row["file"] in seen:
            raise InputError(f"index {path}:{n}: {row['file']} listed twice")
        seen.add(row["file"])
        rows.append(row)
    if not rows:
        raise InputError(f"index {path} lists no article")
    return rows


_FORMATS = {".nt": "N_TRIPLES", ".nq": "N_QUADS", ".trig": "TRIG"}


def _load_graph(path: Path, norm, vocab: Vocabulary):
    import pyoxigraph as ox
    fmt = getattr(ox.RdfFormat, _FORMATS.get(Path(path).suffix, "TURTLE"))
    labels, types, rel, data = defaultdict(set), defaultdict(set), set(), []
    try:
        for q in ox.parse(path=str(path), format=fmt):
            if not isinstance(q.subject, ox.NamedNode):
                continue
            s, p, o = q.subject.value, q.predicate.value, q.object
            if p in LABEL_PREDICATES and isinstance(o, ox.Literal):
                labels[s].add(norm(o.value))
            elif p == RDF_TYPE and isinstance(o, ox.NamedNode):
                types[s].add(_local(o.value))
            elif isinstance(o, ox.NamedNode) and _local(p) in vocab.object_properties:
                rel.add((s, _local(p), o.value))
            elif isinstance(o, ox.Literal) and _local(p) in vocab.datatype_properties:
                try:
                    data.append((s, _local(p), float(o.value)))
                except ValueError:
                    pass
    except (SyntaxError, OSError, ValueError) as error:
        raise InputError(f"cannot read graph {path}: {error}") from error
    return labels, types, rel, data


# ---------------------------------------------------------------------- scoring


class _Graph:
    """The graph's labels, types, relation and figure triples, indexed for matching."""

    def __init__(self, labels, types, rel, data):
        self.labels, self.types, self.rel, self.data = labels, types, rel, data
        self.by_label = defaultdict(set)
        for entity, names in labels.items():
            for name in names:
                self.by_label[name].add(entity)
        self.rel_index = defaultdict(set)
        for s, p, o in rel:
            self.rel_index[(s, p)].add(o)

    def ents(self, names) -> set[str]:
        return set().union(*(self.by_label.get(n, set()) for n in names)) if names else set()

    def first_label(self, entity: str) -> str:
        return sorted(self.labels.get(entity, {_local(entity)}))[0]


def _score(graph: _Graph, gold: list[dict], vocab: Vocabulary) -> Scores:
    """Score ``graph`` against ``gold`` rows (all of a gold file, or one group's)."""
    obj_props, symmetric = vocab.object_properties, vocab.symmetric
    ents, rel_index = graph.ents, graph.rel_index

    def has(row) -> bool:
        p = row["predicate"]
        subjects = ents(row["s"])
        if p == "a":
            return any(any(vocab.is_a(t, row["object"]) for t in graph.types.get(e, ())) for e in subjects)
        if p in vocab.datatype_properties:
            try:
                want = float(row["object"])
            except ValueError:
                return False
            return any(s in subjects and q == p and abs(x - want) <= 0.01 * max(abs(want), 1e-9)
                       for s, q, x in graph.data)
        objects = ents(row["o"])
        if any(rel_index.get((s, p), set()) & objects for s in subjects):
            return True
        return p in symmetric and any(rel_index.get((o, p), set()) & subjects for o in objects)

    scores = Scores(object_properties=obj_props)
    for row in gold:
        hit = has(row)
        if row["status"] == "required":
            entry = scores.per_predicate.setdefault(row["predicate"], [0, 0])
            entry[1] += 1
            entry[0] += hit
            if not hit:
                scores.misses.append(row)
        elif row["status"] == "forbidden" and hit:
            scores.forbidden_hits.append(row)

    gold_entities = set()
    for row in gold:
        gold_entities |= ents(row["s"])
        if row["predicate"] in obj_props:
            gold_entities |= ents(row["o"])
    ok = [r for r in gold if r["predicate"] in obj_props and r["status"] in ("required", "optional")]
    bad = [r for r in gold if r["predicate"] in obj_props and r["status"] == "forbidden"]
    labels = graph.labels

    def matches(triple, row) -> bool:
        s, p, o = triple
        if p != row["predicate"]:
            return False
        ls, lo = labels.get(s, set()), labels.get(o, set())
        return bool((ls & row["s"]) and (lo & row["o"])) or (p in symmetric and bool(lo & row["s"]) and bool(ls & row["o"]))

    for triple in sorted(graph.rel):
        s, p, o = triple
        if p not in obj_props:
            continue
        if s not in gold_entities or o not in gold_entities:
            scores.unjudged.append((graph.first_label(s), p, graph.first_label(o)))
            continue
        entry = scores.precision_per_predicate.setdefault(p, [0, 0])
        entry[1] += 1
        if any(matches(triple, r) for r in bad):
            scores.wrong.append(("FORBIDDEN", graph.first_label(s), p, graph.first_label(o)))
        elif any(matches(triple, r) for r in ok):
            entry[0] += 1
        else:
            scores.wrong.append(("unsupported", graph.first_label(s), p, graph.first_label(o)))
    return scores


def evaluate(graph_path: Path, gold_path: Path, index_path: Path | None = None, *, ontology=None) -> Scores:
    """Score the exported graph at ``graph_path`` against ``gold_path``.

    With ``index_path`` (an article index, see :func:`load_index`), ``Scores.breakdown`` holds the
    scores per region and per style. ``ontology`` defaults to ``Ontology.load()`` (loaded once).
    Raises :class:`InputError` for an unreadable graph, gold or index file."""
    vocab = Vocabulary.from_ontology(ontology) if ontology is not None else _default_vocabulary()
    index = load_index(Path(index_path)) if index_path is not None else None
    norm = _Norm()
    graph = _Graph(*_load_graph(Path(graph_path), norm, vocab))
    gold = load_gold(Path(gold_path), norm)
    scores = _score(graph, gold, vocab)
    if index is not None:
        listed = {row["file"] for row in index}
        scores.unindexed_docs = sorted({r["doc"] for r in gold} - listed)
        for dimension in BREAKDOWN_DIMENSIONS:
            groups: dict[str, set[str]] = defaultdict(set)
            for row in index:
                groups[row[dimension]].add(row["file"])
            for value in sorted(groups):
                files = groups[value]
                subset = [r for r in gold if r["doc"] in files]
                scores.breakdown.append(GroupScores(dimension, value, len(files), _score(graph, subset, vocab)))
    return scores
