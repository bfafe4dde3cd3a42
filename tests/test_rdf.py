"""The RDF writer: valid Turtle/N-Triples that rdflib and pyoxigraph read back as the same graph."""
from __future__ import annotations

from datetime import date

import pyoxigraph
import rdflib
from rdflib.compare import isomorphic

from kg.graph.rdf import Iri, Lit, TurtleWriter, to_ntriples

EX = "https://example.org/"
TRIPLES = {
    (Iri(EX + "a"), Iri(EX + "label"), Lit('quote " backslash \\ newline \n tab \t </script>', lang="zh-Hant")),
    (Iri(EX + "a"), Iri(EX + "n"), Lit.decimal(7)),
    (Iri(EX + "a"), Iri(EX + "big"), Lit.decimal(8e10)),
    (Iri(EX + "a"), Iri(EX + "i"), Lit.integer(5311)),
    (Iri(EX + "a"), Iri(EX + "d"), Lit.date(date(2025, 8, 12))),
    (Iri(EX + "摩爾線程"), Iri("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), Iri(EX + "C")),
    (Iri(EX + "node-7nm"), Iri(EX + "label"), Lit("7納米")),
    (Iri(EX + "ev1"), Iri("http://www.w3.org/1999/02/22-rdf-syntax-ns#predicate"),
     Iri("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")),   # rdf:type as an object is not written `a`
}


def test_rdf_turtle_and_ntriples_agree_with_rdflib():
    turtle = TurtleWriter({"ex": EX, "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#"}).write(TRIPLES)
    nt = to_ntriples(TRIPLES)
    g1 = rdflib.Graph().parse(data=turtle, format="turtle")
    g2 = rdflib.Graph().parse(data=nt, format="nt")
    assert len(g1) == len(TRIPLES)
    assert isomorphic(g1, g2)


def test_rdf_pyoxigraph_reads_both():
    turtle = TurtleWriter({"ex": EX}).write(TRIPLES)
    assert len(list(pyoxigraph.parse(turtle.encode(), format=pyoxigraph.RdfFormat.TURTLE))) == len(TRIPLES)
    assert len(list(pyoxigraph.parse(to_ntriples(TRIPLES).encode(), format=pyoxigraph.RdfFormat.N_TRIPLES))) == len(TRIPLES)


def test_rdf_output_is_order_independent():
    items = list(TRIPLES)
    assert to_ntriples(set(items)) == to_ntriples(set(reversed(items)))


def test_rdf_decimal_literals_are_decimals():
    g = rdflib.Graph().parse(data=TurtleWriter({"ex": EX}).write(TRIPLES), format="turtle")
    big = g.value(rdflib.URIRef(EX + "a"), rdflib.URIRef(EX + "big"))
    assert big.datatype == rdflib.XSD.decimal and float(big) == 8e10
