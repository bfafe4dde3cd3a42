"""graph.nq: the graph as N-Quads, each document's statements in the named graph of its document.

A document's graph (``doc:<name>``) holds what that article says: every fact it states with the evidence
records from it, its own description (file, title, date) and which entities it mentions. Entity
descriptions (classes, labels, aliases, who found them) are in the default graph. The union of all graphs
is exactly graph.ttl, and a fact stated by two articles is in both of their graphs, so a store can retract
one article (``DROP GRAPH doc:…``) and keep what the others say.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kg.graph.builder import GraphBuilder, kg
from kg.graph.rdf import Iri, Triple, nt_term
from kg.io import atomic_write_text
from kg.namespaces import DOC, RDF_TYPE

if TYPE_CHECKING:
    from kg.graph.built import BuiltGraph

_DOCUMENT = kg("document")
_MENTIONED_IN = kg("mentionedIn")
_TYPE = Iri(RDF_TYPE)


def quads(builder: GraphBuilder) -> list[tuple[Triple, Iri | None]]:
    """Every triple of the build with its graph (None: the default graph)."""
    placed: dict[Triple, set[Iri | None]] = {}
    for fact, records in builder.evidence.items():
        graphs = placed.setdefault(fact, set())
        if fact[1] == _TYPE:    # an entity's class (found by the model): part of its description too
            graphs.add(None)
        for record in records.values():
            doc = next(o for _, p, o in record if p == _DOCUMENT)
            graphs.add(doc)
            for triple in record:
                placed.setdefault(triple, set()).add(doc)
    for triple in builder.facts:
        s, p, o = triple
        if triple in placed:
            continue
        if str(s).startswith(str(DOC)):
            placed[triple] = {Iri(s)}          # a document's own description
        elif p == _MENTIONED_IN:
            placed[triple] = {Iri(o)}
        else:
            placed[triple] = {None}
    return [(triple, graph) for triple, graphs in placed.items() for graph in graphs]


def to_nquads(rows: list[tuple[Triple, Iri | None]]) -> str:
    rendered: dict = {}

    def term(t) -> str:   # each distinct term rendered once
        text = rendered.get(t)
        if text is None:
            text = rendered[t] = nt_term(t)
        return text

    lines = [f"{term(s)} {term(p)} {term(o)}{' ' + term(graph) if graph is not None else ''} .\n"
             for (s, p, o), graph in rows]
    lines.sort()
    return "".join(lines)


def export_nquads(build: BuiltGraph, directory: Path) -> list[Path]:
    path = directory / "graph.nq"
    atomic_write_text(path, to_nquads(quads(build.builder)))
    return [path]
