"""exports/graph.nq (kg/exporters/quads.py): each document's statements in its own named graph."""
from __future__ import annotations

import pytest
import rdflib

from kg.query import run_query

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

KG = "https://w3id.org/cngpu-kg/ontology#"


def _dataset(seed_exports) -> rdflib.Dataset:
    ds = rdflib.Dataset()
    ds.parse(seed_exports / "graph.nq", format="nquads")
    return ds


def test_the_union_of_the_graphs_is_graph_ttl(seed_exports):
    union = {(s, p, o) for s, p, o, _ in _dataset(seed_exports).quads()}
    ttl = set(rdflib.Graph().parse(seed_exports / "graph.ttl", format="turtle"))
    assert union == ttl


def test_every_fact_is_in_the_graph_of_each_document_that_states_it(seed_exports):
    ds = _dataset(seed_exports)
    ev_doc = rdflib.URIRef(KG + "document")
    for ev, _, doc in ds.triples((None, ev_doc, None)):
        s, p, o = (ds.value(ev, rdflib.RDF[x]) for x in ("subject", "predicate", "object"))
        graph = ds.graph(doc)
        assert (ev, ev_doc, doc) in graph
        if p != rdflib.RDF.type:
            assert (s, p, o) in graph, (s, p, o, doc)


def test_dropping_one_article_keeps_what_the_others_say(seed_exports):
    ds = _dataset(seed_exports)
    docs = sorted({g.identifier for g in ds.graphs() if str(g.identifier).startswith("https://w3id.org/cngpu-kg/doc/")})
    assert len(docs) == 5
    dropped = docs[0]
    kept = {t for d in docs[1:] for t in ds.graph(d)} | set(ds.default_context)
    only_dropped = set(ds.graph(dropped)) - kept
    assert only_dropped, "the first seed states something no other seed does"
    ds.remove_graph(ds.graph(dropped))
    remaining = {(s, p, o) for s, p, o, _ in ds.quads()}
    assert not (only_dropped & remaining) and kept <= remaining


def test_a_named_query_over_the_named_graphs(seed_exports):
    out = run_query(seed_exports / "graph.ttl", "@article-facts", "csv",
                    params={"file": "003_2d5a37258ea1ba8b.txt"})
    rows = out.strip().splitlines()
    assert rows[0].startswith("file,subject,predicate,object,other_articles")
    assert len(rows) > 3 and all(r.startswith("003_2d5a37258ea1ba8b.txt,") for r in rows[1:])


def test_a_model_found_class_stays_with_the_entity_when_an_article_is_dropped(seed_exports):
    ds = _dataset(seed_exports)
    default = set(ds.default_context)
    typed = {(s, o) for s, _, o in ds.default_context.triples((None, rdflib.RDF.type, None))}
    labelled = {s for s, _, _ in default if str(s).startswith("https://w3id.org/cngpu-kg/id/")}
    assert labelled and all(any(s == e for e, _ in typed) for s in labelled)
