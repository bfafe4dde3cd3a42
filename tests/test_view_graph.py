"""kg.graph.builder.ViewGraph answers the HTML views' questions exactly as an rdflib Graph of the same triples."""
from __future__ import annotations

from rdflib import URIRef

from kg.exporters.html import _read
from kg.graph.builder import ViewGraph, to_rdflib
from kg.graph.rdf import Iri, Lit
from kg.namespaces import DCTERMS, KG, RDF

from conftest import SEEDS


def _seed_triples():
    from kg.ingest.inputs import input_files, read_documents
    from kg.pipeline import BuildOptions, Pipeline
    from kg.report import BuildReport

    pipeline = Pipeline(BuildOptions(use_model=False, cache=False))
    report = BuildReport(model="", relation_model="")
    documents = read_documents(input_files(SEEDS), report)
    builder = pipeline._extract(documents, [a for d in documents for a in d.kept], report)
    return builder.view_triples(3)


def test_same_view_model_as_rdflib():
    triples = _seed_triples()
    assert _read(ViewGraph(triples)) == _read(to_rdflib(triples))


def test_value_is_the_first_object_added_and_duplicates_merge():
    doc, title = Iri(str(KG) + "d"), Iri(str(DCTERMS.title))
    triples = {(doc, title, Lit("B")), (doc, title, Lit("A")), (doc, Iri(str(RDF.type)), Iri(str(KG) + "Document"))}
    view, graph = ViewGraph(triples), to_rdflib(triples)
    subject = URIRef(doc)
    for predicate in (DCTERMS.title, RDF.type, KG.missing):
        assert view.value(subject, predicate) == graph.value(subject, predicate)
        assert list(view.objects(subject, predicate)) == list(graph.objects(subject, predicate))
    assert view.value(subject, DCTERMS.title) is not None
    assert sorted(view) == sorted(graph)
