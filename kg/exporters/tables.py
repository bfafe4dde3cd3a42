"""Analyst exports read straight from the builder's triples (no rdflib round trip):

- ``facts.csv``: one row per (fact, evidence record), UTF-8 with a BOM so Excel opens the Chinese
  correctly; columns in :data:`FACT_COLUMNS` (documented in the README).
- ``graph.graphml``: the entity graph for Gephi / Cytoscape, written by networkx: nodes carry class,
  labels in each script and degree; edges the predicate, the number of supporting documents and the
  first evidence sentence.

Both are sorted, so the same graph gives byte-identical files."""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kg.graph.rdf import Iri, Lit
from kg.io import atomic_write_text
from kg.namespaces import DCTERMS, ID, KG, RDF, RDFS
from kg.vocabulary import vocabulary

if TYPE_CHECKING:
    from kg.graph.built import BuiltGraph

FACT_COLUMNS = (
    "subject_id", "subject_zh_hant", "subject_zh_hans", "subject_en", "predicate",
    "object_id", "object_zh_hant", "object_zh_hans", "object_en", "value",
    "document", "title", "date", "sentence", "start", "end", "extractor", "confidence",
)
_LANGS = ("zh-Hant", "zh-Hans", "en")
#: not rows of facts.csv: provenance (kg:ProvenanceProperty in kg.ttl) and a process node's own nanometres
_NOT_RELATIONS = vocabulary().provenance_properties | {"nanometers"}


@dataclass
class _Tables:
    """What both exports need, collected once from the triples."""

    classes: dict[str, str] = field(default_factory=dict)                  # entity id -> class
    labels: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    documents: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))  # doc IRI -> file/title/date
    evidence: dict[tuple, list[dict[str, str]]] = field(default_factory=lambda: defaultdict(list))


def _local(iri: str, namespace) -> str | None:
    base = str(namespace)
    return iri[len(base):] if iri.startswith(base) else None


def _collect(build: BuiltGraph) -> _Tables:
    tables = _Tables()
    kg_type, label, title, date = str(RDF.type), str(RDFS.label), str(DCTERMS.title), str(DCTERMS.date)
    for s, p, o in build.builder.facts:
        ident = _local(s, ID)
        if ident is not None and p == kg_type and isinstance(o, Iri):
            cls = _local(o, KG) or ""   # an InstructionSet is typed with its two parents too: keep the class
            if ident not in tables.classes or vocabulary().is_a(cls, tables.classes[ident]):
                tables.classes[ident] = cls
        elif ident is not None and p == label and isinstance(o, Lit) and o.lang in _LANGS:
            tables.labels[ident][o.lang] = o.lexical
        elif p == str(KG) + "fileName":
            tables.documents[s]["file"] = o.lexical
        elif p == title:   # a page with several articles has several titles: the smallest, for stability
            tables.documents[s]["title"] = min(tables.documents[s].get("title", o.lexical), o.lexical)
        elif p == date:
            tables.documents[s]["date"] = o.lexical
    fields = {str(KG) + name: name for name in ("document", "sentence", "startOffset", "endOffset", "extractor", "confidence")}
    for fact, records in build.builder.evidence.items():
        for ev in sorted(records):
            row = {}
            for _, p, o in records[ev]:
                if p in fields:
                    row[fields[p]] = o if isinstance(o, Iri) else o.lexical
            tables.evidence[fact].append(row)
    return tables


def _fact_rows(tables: _Tables) -> list[list[str]]:
    rows = []
    for (s, p, o), records in tables.evidence.items():
        subject, predicate = _local(s, ID), _local(p, KG)
        if subject is None or predicate is None:        # rdf:type assertions of model-found entities
            continue
        obj = _local(o, ID) if isinstance(o, Iri) else None
        value = o.lexical if isinstance(o, Lit) else ""
        s_labels, o_labels = tables.labels.get(subject, {}), tables.labels.get(obj, {}) if obj else {}
        for record in records:
            doc = tables.documents.get(record.get("document", ""), {})
            rows.append([subject, *(s_labels.get(lang, "") for lang in _LANGS), predicate,
                         obj or "", *(o_labels.get(lang, "") for lang in _LANGS), value,
                         doc.get("file", ""), doc.get("title", ""), doc.get("date", ""), record.get("sentence", ""),
                         record.get("startOffset", ""), record.get("endOffset", ""), record.get("extractor", ""),
                         record.get("confidence", "")])
    rows.sort()
    return rows


def export_facts_csv(build: BuiltGraph, directory: Path) -> list[Path]:
    """``facts.csv``: one row per (fact, evidence), sorted; UTF-8 with BOM."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FACT_COLUMNS)
    writer.writerows(_fact_rows(_collect(build)))
    path = directory / "facts.csv"
    atomic_write_text(path, "\ufeff" + out.getvalue())
    return [path]


def export_facts_parquet(build: BuiltGraph, directory: Path) -> list[Path]:
    """``facts.parquet``: the rows of facts.csv with the same columns (all strings), for pandas/Arrow; needs the
    optional ``pyarrow`` (``pip install 'cngpu-kg[parquet]'``), asked for with ``kg rebuild --format parquet``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = _fact_rows(_collect(build))
    table = pa.table({name: [row[i] for row in rows] for i, name in enumerate(FACT_COLUMNS)})
    path = directory / "facts.parquet"
    tmp = path.with_suffix(".parquet.tmp")
    pq.write_table(table, tmp, compression="zstd")
    tmp.replace(path)
    return [path]


def graphml_graph(build: BuiltGraph):
    """The entity graph as a networkx MultiDiGraph (relations only, figures and bookkeeping left out)."""
    import networkx as nx

    tables = _collect(build)
    graph = nx.MultiDiGraph()
    edges = []
    for (s, p, o), records in tables.evidence.items():
        subject, predicate, obj = _local(s, ID), _local(p, KG), _local(o, ID) if isinstance(o, Iri) else None
        if subject is None or obj is None or predicate is None or predicate in _NOT_RELATIONS:
            continue
        documents = sorted({r.get("document", "") for r in records})
        first = min(records, key=lambda r: (r.get("document", ""), int(r.get("startOffset") or 0)))
        edges.append((subject, obj, predicate, len(documents), first.get("sentence", "")))
    for ident in sorted(tables.classes):
        labels = tables.labels.get(ident, {})
        graph.add_node(ident, cls=tables.classes[ident], label=labels.get("zh-Hant", ident),
                       zh_hant=labels.get("zh-Hant", ""), zh_hans=labels.get("zh-Hans", ""), en=labels.get("en", ""))
    for subject, obj, predicate, documents, sentence in sorted(edges):
        graph.add_edge(subject, obj, key=predicate, predicate=predicate, documents=documents, evidence=sentence)
    for node in graph.nodes:
        graph.nodes[node]["degree"] = graph.degree(node)
    return graph


def export_graphml(build: BuiltGraph, directory: Path) -> list[Path]:
    import networkx as nx

    path = directory / "graph.graphml"
    text = "\n".join(nx.generate_graphml(graphml_graph(build), encoding="utf-8", prettyprint=True)) + "\n"
    atomic_write_text(path, text)
    return [path]
