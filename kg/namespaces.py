"""IRIs of the vocabulary and of the instance data. Stable: never change one once exported.

The one place namespace IRIs are written down. Plain strings (``KG_NS``, ``RDF_TYPE``, ...) for code that
works on strings (the RDF writer, the scorer, SPARQL text); rdflib ``Namespace`` objects (``KG``, ``ID``,
``RDF``, ...) for code that works on rdflib terms, made on first use so that importing this module does
not import rdflib.
"""
from __future__ import annotations

BASE = "https://w3id.org/cngpu-kg/"
KG_NS = BASE + "ontology#"
ID_NS = BASE + "id/"
DOC_NS = BASE + "doc/"
EV_NS = BASE + "evidence/"
SH_NS = "http://www.w3.org/ns/shacl#"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS_NS = "http://www.w3.org/2000/01/rdf-schema#"
XSD_NS = "http://www.w3.org/2001/XMLSchema#"
SKOS_NS = "http://www.w3.org/2004/02/skos/core#"

RDF_TYPE = RDF_NS + "type"
RDF_SUBJECT = RDF_NS + "subject"
RDF_PREDICATE = RDF_NS + "predicate"
RDF_OBJECT = RDF_NS + "object"
RDF_LANG_STRING = RDF_NS + "langString"
RDFS_LABEL = RDFS_NS + "label"
SKOS_PREF_LABEL = SKOS_NS + "prefLabel"
SKOS_ALT_LABEL = SKOS_NS + "altLabel"
XSD_STRING = XSD_NS + "string"


def document_iri(name: str) -> str:
    """``doc:<name>`` without a ``.txt`` suffix; other suffixes stay (``doc:dup.html``), so ``dup.txt`` and
    ``dup.html`` are two documents. (Only ``x`` beside ``x.txt`` still meet; the input walk reports that.)"""
    stem = name[:-4] if name.endswith(".txt") else name
    return DOC_NS + stem


_OURS = {"KG": KG_NS, "ID": ID_NS, "DOC": DOC_NS, "EV": EV_NS, "SH": SH_NS}
_RDFLIB = ("RDF", "RDFS", "OWL", "SKOS", "XSD", "PROV", "DCTERMS")


def __getattr__(name: str):
    if name in _OURS:
        from rdflib import Namespace

        value = Namespace(_OURS[name])
    elif name in _RDFLIB:
        from rdflib import namespace

        value = getattr(namespace, name)
    elif name == "PREFIXES":
        value = {n.lower(): __getattr__(n) for n in ("KG", "ID", "DOC", "EV", *_RDFLIB)}   # prefix -> namespace
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value      # cached: later lookups do not come here
    return value


__all__ = ["BASE", "KG", "ID", "DOC", "EV", "SH", "PREFIXES", "RDF", "RDFS", "OWL", "SKOS", "XSD", "PROV", "DCTERMS",
           "KG_NS", "ID_NS", "DOC_NS", "EV_NS", "SH_NS", "RDF_NS", "RDFS_NS", "XSD_NS", "SKOS_NS", "RDF_TYPE",
           "RDF_SUBJECT", "RDF_PREDICATE", "RDF_OBJECT", "RDF_LANG_STRING", "RDFS_LABEL", "SKOS_PREF_LABEL",
           "SKOS_ALT_LABEL", "XSD_STRING", "document_iri"]
