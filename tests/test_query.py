"""kg.query and `kg query` on the hand-made fixture tests/data/query/mini.ttl (see its README)."""
from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import rdflib
from click.testing import CliRunner

from kg.cli import main
from kg.errors import InputError, QueryError
from kg.query import (GraphStore, QueryRefused, QuerySyntaxError, ResultTooLarge, check_read_only,
                      format_result, named_queries, prefix_header, resolve_query, with_prefixes)

MINI = Path(__file__).parent / "data" / "query" / "mini.ttl"
NODES = "SELECT ?product ?node WHERE { ?product kg:usesProcessNode ?node } ORDER BY ?product ?node"


@pytest.fixture(scope="module")
def mini() -> GraphStore:
    return GraphStore.load(MINI)


def test_select_undeclared_standard_prefixes(mini):
    result = mini.run(NODES)
    assert result.form == "select" and result.variables == ("product", "node")
    pairs = {(p.value.rsplit("/", 1)[1], n.value.rsplit("/", 1)[1]) for p, n in result.rows}
    assert ("MXN100", "node-7nm") in pairs and ("Suisi2.0", "node-12nm") in pairs


def test_select_declared_prefix_wins_over_standard(mini):
    query = "PREFIX kg: <http://example.org/other#>\nSELECT * WHERE { ?s kg:usesProcessNode ?o }"
    assert len(mini.run(query)) == 0
    assert "PREFIX kg:" not in prefix_header(query) and "PREFIX id:" in prefix_header(query)


def test_with_prefixes_adds_one_line():
    text = "SELECT * { ?s a kg:Chip }"
    assert with_prefixes(text).splitlines()[1] == text
    assert with_prefixes("PREFIX kg: <x:> " * 0 + "# PREFIX kg: <x:>\n" + text).count("PREFIX kg:") == 2


def test_table_shows_labels_not_iris(mini):
    table = format_result(mini.run(NODES), "table", labeller=mini.label)
    assert "MXN100" in table and "7納米" in table and "邃思2.0" in table and "12納米" in table
    assert "https://" not in table and table.rstrip().endswith("(4 rows)")


def test_table_without_label_falls_back_to_prefixed_name(mini):
    table = format_result(mini.run("SELECT ?c WHERE { id:MXN100 a ?c }"), "table", labeller=mini.label)
    assert "kg:Chip" in table


def test_json_is_sparql_results_json(mini):
    data = json.loads(format_result(mini.run(NODES), "json"))
    assert data["head"]["vars"] == ["product", "node"]
    first = data["results"]["bindings"][0]
    assert first["product"] == {"type": "uri", "value": "https://w3id.org/cngpu-kg/id/H100"}


def test_json_literal_language_and_datatype(mini):
    query = 'SELECT ?l ?d WHERE { id:MXN100 rdfs:label ?l . FILTER(LANGMATCHES(LANG(?l), "en")) doc:000_01e9f8b696474cfd dcterms:date ?d }'
    binding = json.loads(format_result(mini.run(query), "json"))["results"]["bindings"][0]
    assert binding["l"]["xml:lang"].lower() == "en" and binding["l"]["value"] == "MXN100"
    assert binding["d"]["datatype"] == "http://www.w3.org/2001/XMLSchema#date"


def test_csv_and_tsv(mini):
    rows = list(csv.reader(io.StringIO(format_result(mini.run(NODES), "csv"))))
    assert rows[0] == ["product", "node"] and rows[1][0] == "https://w3id.org/cngpu-kg/id/H100"
    tsv = format_result(mini.run(NODES), "tsv").splitlines()
    assert tsv[0] == "?product\t?node" and tsv[1].startswith("<https://w3id.org/cngpu-kg/id/H100>\t")


def test_xml_results_parse(mini):
    root = ET.fromstring(format_result(mini.run(NODES), "xml"))
    ns = {"r": "http://www.w3.org/2005/sparql-results#"}
    assert [v.get("name") for v in root.findall("r:head/r:variable", ns)] == ["product", "node"]
    assert len(root.findall("r:results/r:result", ns)) == 4


def test_ask(mini):
    assert mini.run("ASK { id:MXN100 kg:usesProcessNode id:node-7nm }").boolean is True
    assert format_result(mini.run("ASK { id:MXN100 kg:usesProcessNode id:node-12nm }"), "table") == "no\n"
    assert json.loads(format_result(mini.run("ASK { ?s ?p ?o }"), "json")) == {"head": {}, "boolean": True}


@pytest.mark.parametrize("query", ["CONSTRUCT WHERE { id:MXN100 ?p ?o }", "DESCRIBE id:MXN100"])
def test_construct_and_describe_give_turtle(mini, query):
    result = mini.run(query)
    assert result.form == "graph"
    turtle = format_result(result, "table")
    graph = rdflib.Graph().parse(data=turtle, format="turtle")
    assert len(graph) == len(result) > 5
    assert "id:MXN100" in turtle


def test_syntax_error_has_line_and_column(mini):
    with pytest.raises(QuerySyntaxError) as caught:
        mini.run("SELECT ?x WHERE {\n  ?x a kg:Chip\n  FILTER( }")
    # the column is where the parser gave up: at or just after the offending "}"
    assert caught.value.line == 3 and caught.value.column in (11, 12)
    assert f"line 3, column {caught.value.column}" in str(caught.value)
    assert str(caught.value).splitlines()[-2:] == ["    FILTER( }", "  " + " " * (caught.value.column - 1) + "^"]


@pytest.mark.parametrize("query", [
    "INSERT DATA { id:a kg:develops id:b }",
    "PREFIX x: <http://x/>\n# comment\ndelete where { ?s ?p ?o }",
    "LOAD <http://example.org/graph.ttl>",
    "CLEAR DEFAULT",
    "DROP ALL",
    "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { service\n<http://example.org/sparql> { ?s ?p ?o } }",
])
def test_writes_and_federation_refused(mini, query):
    with pytest.raises(QueryRefused):
        mini.run(query)


def test_update_spelled_unusually_is_recognised_by_the_parser(mini):
    # the token check sees WITH first; without it the parser fallback must still call it an update
    with pytest.raises(QueryRefused):
        mini.run("WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }")


def test_keywords_inside_strings_iris_and_names_are_not_refused(mini):
    check_read_only('SELECT * { ?s rdfs:label "SERVICE" . ?s ?service <http://x/LOAD> } # INSERT SERVICE')
    assert len(mini.run('SELECT ?s WHERE { ?s rdfs:label "SERVICE" }')) == 0


def test_result_cap(mini):
    with pytest.raises(ResultTooLarge):
        mini.run("SELECT * WHERE { ?s ?p ?o }", max_rows=10)
    assert len(mini.run("SELECT * WHERE { ?s ?p ?o } LIMIT 10", max_rows=10)) == 10


def test_resolve_query_forms(tmp_path):
    assert resolve_query("SELECT * { ?s ?p ?o }") == "SELECT * { ?s ?p ?o }"
    path = tmp_path / "q.rq"
    path.write_text("# a question\nASK { ?s ?p ?o }", encoding="utf-8")
    assert resolve_query(str(path)).startswith("# a question")
    assert "kg:listedOn" in resolve_query("@listings")
    with pytest.raises(InputError):
        resolve_query("@no-such-question")
    with pytest.raises(InputError):
        resolve_query(str(tmp_path / "missing.rq"))


def test_load_missing_or_broken_graph(tmp_path):
    with pytest.raises(InputError):
        GraphStore.load(tmp_path / "nope.ttl")
    broken = tmp_path / "broken.ttl"
    broken.write_text("<a> <b> .", encoding="utf-8")
    with pytest.raises(InputError):
        GraphStore.load(broken)


def test_named_queries_load(tmp_path):
    (tmp_path / "one.rq").write_text("# What is one?\nASK {}", encoding="utf-8")
    [only] = named_queries(tmp_path)
    assert (only.name, only.question) == ("one", "What is one?")


# -- the CLI --------------------------------------------------------------------------------------


def invoke(*args):
    return CliRunner().invoke(main, list(args))


def test_cli_query_table():
    out = invoke("query", NODES, "--graph", str(MINI))
    assert out.exit_code == 0, out.output
    assert "邃思2.0" in out.output and "12納米" in out.output


def test_cli_query_named_json():
    out = invoke("query", "@listings", "--graph", str(MINI), "--format", "json")
    assert out.exit_code == 0
    companies = {b["company"]["value"].rsplit("/", 1)[1] for b in json.loads(out.output)["results"]["bindings"]}
    assert companies == {"MooreThreads", "MetaX"}


def test_cli_query_list():
    out = invoke("query", "--list")
    assert out.exit_code == 0
    assert "@conflicting-claims" in out.output and "Which foundry makes whose chips?" in out.output


def test_cli_syntax_error_exits_2_with_position():
    out = invoke("query", "SELECT * WHERE { ?s ?p }", "--graph", str(MINI))
    assert out.exit_code == 2
    assert "line 1, column" in out.output


def test_cli_refuses_update_with_exit_2():
    out = invoke("query", "DELETE WHERE { ?s ?p ?o }", "--graph", str(MINI))
    assert out.exit_code == 2 and "read-only" in out.output


def test_cli_missing_graph_exits_2(tmp_path):
    out = invoke("query", "ASK {}", "--graph", str(tmp_path / "none.ttl"))
    assert out.exit_code == 2 and "kg rebuild" in out.output


def test_query_error_is_a_kg_error():
    assert issubclass(QuerySyntaxError, QueryError) and issubclass(QueryRefused, QueryError)


def test_query_long_inline_text_is_not_taken_for_a_file(seed_graph_path):
    from kg.query import resolve_query

    text = "SELECT ?s WHERE { ?s a kg:Company . FILTER(strlen(str(?s)) > 1) } " + "#" * 300
    assert resolve_query(text) == text
