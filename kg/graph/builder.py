"""Turns resolved entities, checked claims and documents into RDF triples (see docs/graph-schema.md)."""
from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from functools import lru_cache

from kg.graph.rdf import Iri, Lit, Triple, serialise
from kg.model import Document, Fact
from kg.namespaces import DCTERMS, EV, ID, KG, PREFIXES, PROV, RDF, RDFS, SKOS, document_iri
from kg.resolve import Entity
from kg.vocabulary import vocabulary

_TYPE = Iri(str(RDF.type))
_LABEL = Iri(str(RDFS.label))
_ALT = Iri(str(SKOS.altLabel))
_LANG_ORDER = ("zh-Hant", "zh-Hans", "en")
#: A fact repeated in one document (a page that repeats itself, a run-on dump) keeps its first few
#: sentences as evidence; more add nothing for a reader and would swamp the graph.
MAX_EVIDENCE_PER_DOCUMENT = 5


@lru_cache(maxsize=None)
def kg(local: str) -> Iri:
    return Iri(str(KG) + local)


def entity_iri(ident: str) -> Iri:
    return Iri(str(ID) + ident)


@lru_cache(maxsize=65536)
def doc_iri(name: str) -> Iri:
    """The document's IRI (:func:`kg.namespaces.document_iri`) as a term."""
    return Iri(document_iri(name))


def _object_term(fact: Fact):
    if fact.predicate == "type":
        return kg(str(fact.obj))
    return Lit.decimal(fact.obj) if fact.is_figure else entity_iri(fact.obj)


def _evidence_id(fact: Fact) -> Iri:
    raw = "\x1f".join(map(str, (fact.doc_name, fact.start, fact.end, fact.subject, fact.predicate, fact.obj)))
    return Iri(str(EV) + hashlib.sha1(raw.encode("utf-8")).hexdigest()[:16])


class GraphBuilder:
    """Collects triples; sets, so the same fact said twice is asserted once.

    Evidence records are kept apart, grouped by the fact they support, so views that need only a few
    sentences per fact (the HTML pages) need not carry a large corpus's every record."""

    def __init__(self) -> None:
        self.facts: set[Triple] = set()                              # entities, documents, relations
        self.evidence: dict[tuple, dict[Iri, list[Triple]]] = {}      # fact -> evidence id -> its triples
        self._evidence_per_doc: dict[tuple, int] = {}
        self.evidence_dropped = 0                                     # records over the per-document cap

    @property
    def triples(self) -> set[Triple]:
        out = set(self.facts)
        for records in self.evidence.values():
            for record in records.values():
                out.update(record)
        return out

    def facts_per_predicate(self) -> Counter:
        """Distinct facts per predicate local name (relations and figures; not type assertions)."""
        kg_ns = str(KG)
        return Counter(p[len(kg_ns):] for _, p, _ in self.evidence if p.startswith(kg_ns))

    def view_triples(self, max_evidence_per_fact: int) -> set[Triple]:
        """All facts with at most ``max_evidence_per_fact`` evidence records each (lowest ids first)."""
        out = set(self.facts)
        for records in self.evidence.values():
            for ev in sorted(records)[:max_evidence_per_fact]:
                out.update(records[ev])
        return out

    def add_entity(self, entity: Entity) -> None:
        s = entity_iri(entity.id)
        add = self.facts.add
        for cls in vocabulary().typed_as.get(entity.cls, (entity.cls,)):
            add((s, _TYPE, kg(cls)))
        labels = set()
        for lang in _LANG_ORDER:
            if lang in entity.labels and entity.labels[lang]:
                add((s, _LABEL, Lit(entity.labels[lang], lang=lang)))
                labels.add(entity.labels[lang])
        for alt in entity.alt_labels - labels:
            if alt:
                add((s, _ALT, Lit(alt)))
        for source in entity.found_by:
            add((s, kg("foundBy"), Lit(source)))
        for name in entity.documents:
            add((s, kg("mentionedIn"), doc_iri(name)))
        if entity.nanometers is not None:
            add((s, kg("nanometers"), Lit.decimal(entity.nanometers)))

    def add_document(self, document: Document) -> None:
        s = doc_iri(document.name)
        add = self.facts.add
        add((s, _TYPE, kg("Document")))
        add((s, _TYPE, Iri(str(PROV.Entity))))
        add((s, kg("fileName"), Lit(document.name)))
        add((s, kg("encoding"), Lit(document.encoding)))
        for article in document.kept:
            if article.title:
                add((s, Iri(str(DCTERMS.title)), Lit(article.title)))
        if document.date is not None:
            add((s, Iri(str(DCTERMS.date)), Lit.date(document.date)))

    def add_fact(self, fact: Fact) -> None:
        s, p, o = entity_iri(fact.subject), (kg(fact.predicate) if fact.predicate != "type" else _TYPE), _object_term(fact)
        if fact.predicate != "type":
            self.facts.add((s, p, o))
        ev = _evidence_id(fact)
        records = self.evidence.setdefault((s, p, o), {})
        if ev in records:
            return
        per_doc = self._evidence_per_doc
        count_key = (s, p, o, fact.doc_name)
        if per_doc.get(count_key, 0) >= MAX_EVIDENCE_PER_DOCUMENT:
            self.evidence_dropped += 1
            return
        per_doc[count_key] = per_doc.get(count_key, 0) + 1
        records[ev] = [
            (ev, _TYPE, kg("Evidence")),
            (ev, Iri(str(RDF.subject)), s),
            (ev, Iri(str(RDF.predicate)), p),
            (ev, Iri(str(RDF.object)), o),
            (ev, kg("document"), doc_iri(fact.doc_name)),
            (ev, kg("sentence"), Lit(fact.sentence)),
            (ev, kg("startOffset"), Lit.integer(fact.start)),
            (ev, kg("endOffset"), Lit.integer(fact.end)),
            (ev, kg("extractor"), Lit(fact.extractor)),
            (ev, kg("confidence"), Lit.decimal(round(fact.confidence, 3))),
        ]

    def serialise(self, triples: set[Triple]) -> tuple[str, str]:
        """(Turtle, N-Triples) of ``triples``, sorted once for both."""
        return serialise(triples, {k: str(v) for k, v in PREFIXES.items()})


def rdflib_triples(triples: set[Triple]) -> Iterator[tuple]:
    """Our triples as rdflib terms, each distinct term converted once."""
    import rdflib

    terms: dict = {}

    def term(t):
        cached = terms.get(t)
        if cached is None:
            if isinstance(t, Lit):
                cached = rdflib.Literal(t.lexical, lang=t.lang or None, datatype=rdflib.URIRef(t.datatype) if t.datatype else None)
            else:
                cached = rdflib.URIRef(t)
            terms[t] = cached
        return cached

    for s, p, o in triples:
        yield term(s), term(p), term(o)


def to_rdflib(triples: set[Triple]):
    """An rdflib Graph of our triples, made term by term (no serialise/parse round trip)."""
    import rdflib

    graph = rdflib.Graph()
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns)
    for triple in rdflib_triples(triples):
        graph.add(triple)
    return graph


class ViewGraph:
    """The read-only part of rdflib.Graph that the HTML views read (kg/exporters/html.py ``_read``), over
    our triples as rdflib terms: three dictionaries filled in one pass instead of rdflib's in-memory
    store, whose ``add`` took most of the HTML export. Same answers in the same order as a Graph of
    the same triples (each pattern's matches in the order they were added; duplicates dropped)."""

    def __init__(self, triples: set[Triple]):
        self._triples = list(dict.fromkeys(rdflib_triples(triples)))
        self._by_sp: dict = {}
        self._by_po: dict = {}
        self._by_p: dict = {}
        for s, p, o in self._triples:
            self._by_sp.setdefault((s, p), []).append(o)
            self._by_po.setdefault((p, o), []).append(s)
            self._by_p.setdefault(p, []).append((s, o))

    def __iter__(self):
        return iter(self._triples)

    def subject_objects(self, predicate):
        return iter(self._by_p.get(predicate, ()))

    def objects(self, subject, predicate):
        if subject is None:
            return (o for _, o in self._by_p.get(predicate, ()))
        return iter(self._by_sp.get((subject, predicate), ()))

    def subjects(self, predicate, obj):
        return iter(self._by_po.get((predicate, obj), ()))

    def value(self, subject, predicate):
        found = self._by_sp.get((subject, predicate))
        return found[0] if found else None
