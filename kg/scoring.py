"""`kg eval`: score an exported graph against a gold TSV, following ../shared/eval/README.md.

Entities match by label (NFKC, Traditional→Simplified, lower case, no spaces/hyphens/dots); classes
match themselves or a subclass; compatibleWith/partnerOf match either way; numbers within 1 %.
Recall: matched required rows / required rows. Precision: among the graph's core relation triples
whose subject and object both match gold entities, those matching a required/optional row."""
from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import InputError
from kg.model import is_a

OBJECT_PROPS = {"develops", "usesProcessNode", "manufacturedBy", "targetsMarket", "usesTechnology",
                "compatibleWith", "comparableTo", "acquired", "listedOn", "partnerOf", "investsIn",
                "restricts", "locatedIn"}
PRECISION_PROPS = {"develops", "usesProcessNode", "manufacturedBy", "targetsMarket", "acquired", "listedOn",
                   "compatibleWith", "comparableTo", "partnerOf"}
DATA_PROPS = {"nanometers", "fp32Tflops", "fp16Tflops", "memoryGB", "memoryBandwidthTBps", "transistorCount"}
SYMMETRIC = {"compatibleWith", "partnerOf"}
LABEL_PREDICATES = {"http://www.w3.org/2000/01/rdf-schema#label", "http://www.w3.org/2004/02/skos/core#prefLabel",
                    "http://www.w3.org/2004/02/skos/core#altLabel"}
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


class _Norm:
    def __init__(self) -> None:
        import opencc
        self._t2s = opencc.OpenCC("t2s")

    def __call__(self, text: str) -> str:
        text = self._t2s.convert(unicodedata.normalize("NFKC", text)).lower()
        return re.sub(r"[\s\-·・_]+", "", text)


def _local(iri: str) -> str:
    return re.split(r"[#/:]", iri)[-1]


@dataclass
class Scores:
    per_predicate: dict[str, list[int]] = field(default_factory=dict)   # predicate -> [found, required]
    precision_per_predicate: dict[str, list[int]] = field(default_factory=dict)  # predicate -> [correct, judged]
    misses: list[dict] = field(default_factory=list)
    wrong: list[tuple] = field(default_factory=list)
    forbidden_hits: list[dict] = field(default_factory=list)

    def _sum(self, table, keys) -> tuple[int, int]:
        return sum(table[k][0] for k in keys if k in table), sum(table[k][1] for k in keys if k in table)

    @property
    def relation_recall(self) -> float:
        hit, total = self._sum(self.per_predicate, OBJECT_PROPS)
        return hit / total if total else 0.0

    @property
    def relation_precision(self) -> float:
        hit, total = self._sum(self.precision_per_predicate, PRECISION_PROPS)
        return hit / total if total else 0.0

    @property
    def relation_f1(self) -> float:
        p, r = self.relation_precision, self.relation_recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def entity_type_recall(self) -> float:
        hit, total = self.per_predicate.get("a", [0, 0])
        return hit / total if total else 0.0

    def as_dict(self) -> dict:
        return {
            "relation_precision": round(self.relation_precision, 3),
            "relation_recall": round(self.relation_recall, 3),
            "relation_f1": round(self.relation_f1, 3),
            "entity_type_recall": round(self.entity_type_recall, 3),
            "forbidden_hits": len(self.forbidden_hits),
            "recall_per_predicate": {k: f"{v[0]}/{v[1]}" for k, v in sorted(self.per_predicate.items())},
            "precision_per_predicate": {k: f"{v[0]}/{v[1]}" for k, v in sorted(self.precision_per_predicate.items())},
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, sort_keys=True)

    def table(self, verbose: bool = False) -> str:
        rows = ["predicate            recall   precision  F1"]
        for p in sorted(set(self.per_predicate) | set(self.precision_per_predicate)):
            found, required = self.per_predicate.get(p, [0, 0])
            correct, judged = self.precision_per_predicate.get(p, [0, 0])
            r = found / required if required else None
            pr = correct / judged if judged else None
            f1 = 2 * pr * r / (pr + r) if r is not None and pr is not None and pr + r else None
            rows.append(f"{p:20s} {_frac(found, required):8s} {_frac(correct, judged):10s} {_num(f1)}")
        rows.append(f"relations: P={self.relation_precision:.3f} R={self.relation_recall:.3f} F1={self.relation_f1:.3f}  "
                    f"entity-type R={self.entity_type_recall:.3f}  forbidden={len(self.forbidden_hits)}")
        if verbose:
            rows += [f"MISS\t{m['doc']}\t{m['subject']}\t{m['predicate']}\t{m['object']}" for m in self.misses]
            rows += ["\t".join(w) for w in self.wrong]
            rows += [f"FORBIDDEN\t{m['doc']}\t{m['subject']}\t{m['predicate']}\t{m['object']}" for m in self.forbidden_hits]
        return "\n".join(rows)


def _frac(a: int, b: int) -> str:
    return f"{a}/{b}" if b else "-"


def _num(x) -> str:
    return f"{x:.3f}" if x is not None else "-"


def load_gold(path: Path, norm) -> list[dict]:
    rows = []
    with Path(path).open(encoding="utf-8") as handle:
        for line in handle:
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#") or line.startswith("doc\t"):
                continue
            cols = line.split("\t")
            if len(cols) < 5:
                raise InputError(f"{path}: malformed gold row: {line[:60]}")
            row = dict(zip(["doc", "subject", "predicate", "object", "status", "evidence"], cols))
            row["s"] = {norm(x) for x in row["subject"].split("|") if x.strip()}
            row["o"] = {norm(x) for x in row["object"].split("|") if x.strip()}
            rows.append(row)
    return rows


def _load_graph(path: Path, norm):
    import pyoxigraph as ox
    fmt = ox.RdfFormat.N_TRIPLES if str(path).endswith(".nt") else ox.RdfFormat.TURTLE
    labels, types, rel, data = defaultdict(set), defaultdict(set), set(), []
    try:
        quads = ox.parse(path=str(path), format=fmt)
        for q in quads:
            if not isinstance(q.subject, ox.NamedNode):
                continue
            s, p, o = q.subject.value, q.predicate.value, q.object
            if p in LABEL_PREDICATES and isinstance(o, ox.Literal):
                labels[s].add(norm(o.value))
            elif p == RDF_TYPE and isinstance(o, ox.NamedNode):
                types[s].add(_local(o.value))
            elif isinstance(o, ox.NamedNode) and _local(p) in OBJECT_PROPS:
                rel.add((s, _local(p), o.value))
            elif isinstance(o, ox.Literal) and _local(p) in DATA_PROPS:
                try:
                    data.append((s, _local(p), float(o.value)))
                except ValueError:
                    pass
    except (SyntaxError, OSError) as error:
        raise InputError(f"cannot read graph {path}: {error}") from error
    return labels, types, rel, data


def evaluate(graph_path: Path, gold_path: Path) -> Scores:
    norm = _Norm()
    labels, types, rel, data = _load_graph(Path(graph_path), norm)
    gold = load_gold(Path(gold_path), norm)
    by_label = defaultdict(set)
    for entity, names in labels.items():
        for name in names:
            by_label[name].add(entity)

    def ents(names):
        return set().union(*(by_label.get(n, set()) for n in names)) if names else set()

    rel_index = defaultdict(set)
    for s, p, o in rel:
        rel_index[(s, p)].add(o)

    def has(row) -> bool:
        p = row["predicate"]
        subjects = ents(row["s"])
        if p == "a":
            return any(any(is_a(t, row["object"]) for t in types.get(e, ())) for e in subjects)
        if p in DATA_PROPS:
            try:
                want = float(row["object"])
            except ValueError:
                return False
            return any(s in subjects and q == p and abs(x - want) <= 0.01 * max(abs(want), 1e-9) for s, q, x in data)
        objects = ents(row["o"])
        if any(rel_index.get((s, p), set()) & objects for s in subjects):
            return True
        return p in SYMMETRIC and any(rel_index.get((o, p), set()) & subjects for o in objects)

    scores = Scores()
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
        if row["predicate"] in OBJECT_PROPS:
            gold_entities |= ents(row["o"])
    ok = [r for r in gold if r["predicate"] in OBJECT_PROPS and r["status"] in ("required", "optional")]
    bad = [r for r in gold if r["predicate"] in OBJECT_PROPS and r["status"] == "forbidden"]

    def matches(triple, row) -> bool:
        s, p, o = triple
        if p != row["predicate"]:
            return False
        ls, lo = labels.get(s, set()), labels.get(o, set())
        return bool((ls & row["s"]) and (lo & row["o"])) or (p in SYMMETRIC and bool(lo & row["s"]) and bool(ls & row["o"]))

    for triple in sorted(rel):
        s, p, o = triple
        if p not in PRECISION_PROPS or s not in gold_entities or o not in gold_entities:
            continue
        entry = scores.precision_per_predicate.setdefault(p, [0, 0])
        entry[1] += 1
        if any(matches(triple, r) for r in bad):
            scores.wrong.append(("FORBIDDEN", _first(labels, s), p, _first(labels, o)))
        elif any(matches(triple, r) for r in ok):
            entry[0] += 1
        else:
            scores.wrong.append(("unsupported", _first(labels, s), p, _first(labels, o)))
    return scores


def _first(labels, entity: str) -> str:
    return sorted(labels.get(entity, {_local(entity)}))[0]
