"""IRIs of the vocabulary and of the instance data. Stable: never change one once exported."""
from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

BASE = "https://w3id.org/cngpu-kg/"
KG = Namespace(BASE + "ontology#")
ID = Namespace(BASE + "id/")
DOC = Namespace(BASE + "doc/")
EV = Namespace(BASE + "evidence/")
SH = Namespace("http://www.w3.org/ns/shacl#")

PREFIXES = {
    "kg": KG, "id": ID, "doc": DOC, "ev": EV,
    "rdf": RDF, "rdfs": RDFS, "owl": OWL, "skos": SKOS, "xsd": XSD, "prov": PROV, "dcterms": DCTERMS,
}

__all__ = ["BASE", "KG", "ID", "DOC", "EV", "SH", "PREFIXES", "RDF", "RDFS", "OWL", "SKOS", "XSD", "PROV", "DCTERMS"]
