"""facts.csv and graph.graphml (issue 13): read back and checked against graph.ttl of the seed build."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from kg.exporters.tables import FACT_COLUMNS

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


@pytest.fixture(scope="module")
def store(seed_exports):
    import pyoxigraph

    s = pyoxigraph.Store()
    s.load(path=str(seed_exports / "graph.ttl"), format=pyoxigraph.RdfFormat.TURTLE)
    return s


def _count(store, query: str) -> int:
    prefix = ("PREFIX kg: <https://w3id.org/cngpu-kg/ontology#> PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> "
              "PREFIX id: <https://w3id.org/cngpu-kg/id/> ")
    return int(next(iter(store.query(prefix + query)))[0].value)


def test_facts_csv_has_bom_header_and_one_row_per_evidence(seed_exports, store):
    raw = (seed_exports / "facts.csv").read_bytes()
    assert raw.startswith("\ufeff".encode("utf-8"))
    with (seed_exports / "facts.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0].keys()) == FACT_COLUMNS
    records = _count(store, "SELECT (COUNT(?e) AS ?n) WHERE { ?e a kg:Evidence ; rdf:predicate ?p . FILTER(?p != rdf:type) }")
    assert len(rows) == records
    row = next(r for r in rows if r["predicate"] == "acquired" and r["object_id"] == "ATI")
    assert row["subject_zh_hant"] == "超威半導體" and row["document"].endswith(".txt") and "ATI" in row["sentence"]
    assert float(row["confidence"]) > 0 and int(row["end"]) > int(row["start"])
    assert any(r["value"] and not r["object_id"] for r in rows), "figures carry a value"


def test_facts_csv_reads_in_pandas(seed_exports):
    pandas = pytest.importorskip("pandas")
    frame = pandas.read_csv(seed_exports / "facts.csv", encoding="utf-8-sig")
    assert list(frame.columns) == list(FACT_COLUMNS) and len(frame) > 50


def test_graphml_loads_in_networkx_with_the_counts_of_graph_ttl(seed_exports, store):
    import networkx as nx

    graph = nx.read_graphml(seed_exports / "graph.graphml")
    entities = _count(store, "SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE { ?e a ?c . FILTER(STRSTARTS(STR(?e), STR(id:))) }")
    relations = _count(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o . FILTER(STRSTARTS(STR(?s), STR(id:)) && "
                              "STRSTARTS(STR(?o), STR(id:)) && ?p NOT IN (kg:mentionedIn)) }")
    assert graph.number_of_nodes() == entities
    assert graph.number_of_edges() == relations
    nvidia = graph.nodes["Nvidia"]
    assert nvidia["cls"] == "Company" and nvidia["zh_hant"] == "英偉達" and nvidia["degree"] > 3
    edge = next(d for _, v, d in graph.out_edges("AMD", data=True) if v == "ATI")
    assert edge["predicate"] == "acquired" and edge["documents"] == 1 and "ATI" in edge["evidence"]


def test_tables_are_deterministic(seed_exports, tmp_path):
    from kg.pipeline import BuildOptions, build

    build(SEEDS, tmp_path, BuildOptions(formats=("facts", "graphml")))
    for name in ("facts.csv", "graph.graphml"):
        assert (tmp_path / name).read_bytes() == (seed_exports / name).read_bytes(), name


def test_facts_parquet_holds_the_rows_of_facts_csv(tmp_path):
    """`kg rebuild --format parquet` (optional: needs pyarrow, the `parquet` extra)."""
    import csv

    pq = pytest.importorskip("pyarrow.parquet")
    from kg.exporters import REGISTRY
    from kg.pipeline import BuildOptions, build

    build(Path(__file__).resolve().parents[1] / "seeds", tmp_path,
          BuildOptions(use_model=False, cache=False, formats=tuple(REGISTRY) + ("parquet",)))
    table = pq.read_table(tmp_path / "facts.parquet")
    with (tmp_path / "facts.csv").open(encoding="utf-8-sig", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    assert table.column_names == header
    assert [list(r.values()) for r in table.to_pylist()] == rows
