"""Review queue for `kg candidates`: entities only the NER model found, and their promotion into the lexicon.

    from kg.candidates import candidates, promote
    for c in candidates("exports/graph.ttl"):
        print(c.id, c.cls, c.documents, c.confidence, c.examples)
    row = promote("exports/graph.ttl", "天垓150", write=True)   # appends a row to ontology/lexicon.tsv

A candidate is an entity whose every ``kg:foundBy`` value starts with ``model:``. Its numbers come from
the graph alone: the type-assertion evidence records the model left (``rdf:predicate rdf:type``, one per
sentence), their documents and confidences. Promotion turns the entity's labels and class into a
lexicon row, so the next `kg rebuild` finds the name by rules (source ``lexicon``) and it leaves the queue.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from kg import resources
from kg.errors import ConfigError, InputError
from kg.namespaces import ID_NS as ID
from kg.namespaces import KG_NS as KG
from kg.namespaces import RDF_PREDICATE, RDF_SUBJECT, RDF_TYPE, RDFS_LABEL
from kg.namespaces import SKOS_ALT_LABEL as SKOS_ALT

DEFAULT_GRAPH = Path("exports/graph.ttl")
DEFAULT_LEXICON = resources.lexicon_path()
_LEX_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")


@dataclass(frozen=True)
class Candidate:
    id: str                              # local name of the entity IRI
    cls: str                             # kg class local name
    labels: dict[str, str]               # language -> rdfs:label
    alt_labels: tuple[str, ...]
    mentions: int                        # evidence records (sentences) of the model's type assertion
    documents: tuple[str, ...]           # file names
    confidence: float                    # highest confidence among those records
    examples: tuple[tuple[str, str], ...]  # up to two (file name, sentence)
    found_by: tuple[str, ...]

    @property
    def label(self) -> str:
        return self.labels.get("zh-Hant") or self.labels.get("zh-Hans") or self.labels.get("en") or self.id

    def as_dict(self) -> dict:
        return {"id": self.id, "class": self.cls, "label": self.label, "labels": self.labels,
                "alt_labels": list(self.alt_labels), "mentions": self.mentions, "documents": list(self.documents),
                "confidence": self.confidence, "found_by": list(self.found_by),
                "examples": [{"document": d, "sentence": s} for d, s in self.examples]}


def _load(graph_path: Path):
    import rdflib

    graph_path = Path(graph_path)
    if not graph_path.is_file():
        raise InputError(f"graph not found: {graph_path} (run `kg rebuild` first, or pass --graph)")
    fmt = {".ttl": "turtle", ".nt": "nt", ".nq": "nquads", ".trig": "trig"}.get(graph_path.suffix, "turtle")
    g = rdflib.Graph()
    try:
        g.parse(graph_path, format=fmt)
    except Exception as error:  # rdflib raises many types for a malformed file
        raise InputError(f"cannot read graph {graph_path}: {error}") from error
    return g


def candidates(graph_path: Path | str = DEFAULT_GRAPH, *, min_confidence: float = 0.0) -> list[Candidate]:
    """Entities found only by the model, most worth reviewing first.

    Order: more documents, more mentions, higher confidence, then label (so the order is stable).
    """
    from rdflib import URIRef

    g = _load(Path(graph_path))
    q_found = URIRef(KG + "foundBy")
    found: dict[URIRef, list[str]] = {}
    for s, o in g.subject_objects(q_found):
        found.setdefault(s, []).append(str(o))
    out = []
    for s, sources in found.items():
        if not sources or not all(src.startswith("model:") for src in sources):
            continue
        cls = next((str(o).rsplit("#", 1)[-1] for o in g.objects(s, URIRef(RDF_TYPE)) if str(o).startswith(KG)), "")
        labels = {o.language or "": str(o) for o in g.objects(s, URIRef(RDFS_LABEL))}
        alts = tuple(sorted(str(o) for o in g.objects(s, URIRef(SKOS_ALT))))
        records = []
        for ev in g.subjects(URIRef(RDF_SUBJECT), s):
            if str(g.value(ev, URIRef(RDF_PREDICATE))) != RDF_TYPE:
                continue
            doc = g.value(ev, URIRef(KG + "document"))
            name = g.value(doc, URIRef(KG + "fileName")) if doc is not None else None
            conf = g.value(ev, URIRef(KG + "confidence"))
            records.append((str(name or (doc or "")), str(g.value(ev, URIRef(KG + "sentence")) or ""),
                            float(conf) if conf is not None else 0.0))
        docs = {str(g.value(d, URIRef(KG + "fileName")) or d) for d in g.objects(s, URIRef(KG + "mentionedIn"))}
        docs |= {r[0] for r in records if r[0]}
        confidence = max((r[2] for r in records), default=0.0)
        if confidence < min_confidence:
            continue
        # two examples: the most confident sentence, then the best one from another document if any
        ranked = sorted(records, key=lambda r: (-r[2], r[0], r[1]))
        examples = ranked[:1]
        other = [r for r in ranked[1:] if not examples or r[0] != examples[0][0]] or ranked[1:]
        examples += other[:1]
        local = str(s)[len(ID):] if str(s).startswith(ID) else str(s).rsplit("/", 1)[-1]
        out.append(Candidate(local, cls, labels, alts, len(records), tuple(sorted(docs)), round(confidence, 4),
                             tuple((d, sent) for d, sent, _ in examples), tuple(sorted(sources))))
    out.sort(key=lambda c: (-len(c.documents), -c.mentions, -c.confidence, c.label, c.id))
    return out


def table(cands: list[Candidate], *, width: int = 60) -> str:
    """A plain-text review list: one header line per candidate and its example sentences."""
    if not cands:
        return "no candidates: every entity in the graph is known to the lexicon or the patterns"
    lines = []
    for c in cands:
        lines.append(f"{c.id}\t{c.cls}\t{c.label}\tmentions {c.mentions}\tdocuments {len(c.documents)}\t"
                     f"confidence {c.confidence:.2f}")
        for doc, sentence in c.examples:
            s = sentence if len(sentence) <= width else sentence[:width - 1] + "…"
            lines.append(f"    {doc}: {s}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------- promotion

def _ascii_id(c: Candidate) -> str:
    base = c.labels.get("en") or c.id
    ident = re.sub(r"[^A-Za-z0-9]+", "-", base).strip("-")
    if not ident or not ident[0].isalpha() or not _LEX_ID.match(ident):
        # no ASCII name: a readable id from the class and the code points is still stable and valid
        ident = f"{c.cls}-" + "-".join(f"{ord(ch):x}" for ch in c.label if not ch.isspace())[:60]
    return ident


def lexicon_row(c: Candidate, taken_ids: set[str] = frozenset()) -> list[str]:
    """The lexicon row for a candidate: id, class, en, zh_hant, zh_hans, aliases."""
    from kg.normalize import default_normalizer

    normalizer = default_normalizer()
    hant = c.labels.get("zh-Hant", "")
    hans = c.labels.get("zh-Hans", "")
    en = c.labels.get("en", "")
    if not (hant or hans) and not en:
        hant = c.label
    if hant and not hans:
        hans = normalizer.to_simplified(hant)
    if hans and not hant:
        hant = normalizer.to_traditional(hans)
    main = {hant, hans, en}
    aliases = [a for a in c.alt_labels if a not in main]
    ident = _ascii_id(c)
    base, n = ident, 2
    while ident in taken_ids:
        ident, n = f"{base}-{n}", n + 1
    return [ident, c.cls, en, hant, hans, "|".join(aliases)]


def promote(graph_path: Path | str, entity_id: str, *, lexicon_path: Path | str = DEFAULT_LEXICON,
            cls: str | None = None, write: bool = True) -> str:
    """Append the candidate ``entity_id`` (its IRI local name) to the lexicon; return the TSV row.

    ``cls`` overrides the model's class (a reviewer's correction). With ``write=False`` nothing changes:
    the row is only returned, to be pasted by hand. Refuses names the lexicon already has.
    """
    from kg.lexicon import Lexicon
    from kg.normalize import default_normalizer

    name_key = default_normalizer().key   # the same key the resolver and the lexicon checks use
    found = {c.id: c for c in candidates(graph_path)}
    c = found.get(entity_id)
    if c is None:
        raise InputError(f"no model-only entity {entity_id!r} in {graph_path}; `kg candidates` lists them")
    if cls:
        from kg.vocabulary import vocabulary

        allowed = vocabulary().lexicon_classes
        if cls not in allowed:
            raise ConfigError(f"unknown class {cls!r}; use one of {', '.join(allowed)}")
        c = Candidate(c.id, cls, c.labels, c.alt_labels, c.mentions, c.documents, c.confidence, c.examples, c.found_by)
    lexicon_path = Path(lexicon_path)
    lexicon = Lexicon.load(lexicon_path)
    text = lexicon_path.read_text(encoding="utf-8")
    known = {name_key(form): entry.id for entry in lexicon.entries for form in entry.surface_forms}
    row = lexicon_row(c, set(lexicon.by_id))
    for name in (row[2], row[3], row[4], *row[5].split("|")):
        if name and name_key(name) in known:
            raise ConfigError(f"{name!r} is already in the lexicon (entry {known[name_key(name)]}); edit that row instead")
    line = "\t".join(row)
    if write:
        with lexicon_path.open("a", encoding="utf-8") as fh:
            if text and not text.endswith("\n"):
                fh.write("\n")
            fh.write(line + "\n")
    return line
