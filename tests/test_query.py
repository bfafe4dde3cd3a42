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


# -- parameters of named queries (--param NAME=VALUE), bound as terms, never pasted into the text -----

from kg.query import (Limits, QueryParam, QueryTimeout, QueryTooHeavy, bind_params, declared_params,  # noqa: E402
                      parse_params, parse_size, run_guarded)

INJECTIONS = [
    '英伟达" } ; DROP ALL ; SELECT * WHERE { "',
    '") || true || ("',
    '"}} UNION { ?entity ?p ?matched } #',
    "' . ?s ?p ?o . '",
    "x\n} DELETE WHERE { ?s ?p ?o } #",
    "<http://example.org/x> } ?s ?p ?o {",
    "\\u0022 } LOAD <http://example.org/> {",
]


def test_declared_params_of_the_library():
    library = {q.name: q for q in named_queries()}
    assert [p.name for p in library["label-search"].params] == ["name"]
    assert [(p.name, p.kind, p.required) for p in library["fact-evidence"].params] == [
        ("subject", "entity", False), ("predicate", "property", False), ("object", "term", False)]
    assert library["neighbourhood"].params[0] == QueryParam(
        "entity", "entity", "id:MooreThreads", False, library["neighbourhood"].params[0].help)
    assert library["listings"].params == ()


def test_declared_params_errors():
    with pytest.raises(Exception, match="line 2"):
        declared_params("# q\n# param: name (number) — wrong kind\nSELECT ?name {}")
    with pytest.raises(Exception, match="twice"):
        declared_params("# param: a (literal)\n# param: a (entity)\nSELECT ?a {}")
    [p] = declared_params("# param: who (entity) — someone\nSELECT ?who {}")
    assert p.required and p.help == "someone"


def test_parse_params():
    assert parse_params(["name=英偉達", "x=a=b", "y="]) == {"name": "英偉達", "x": "a=b", "y": ""}
    for bad in (["name"], ["=v"], ["a b=c"], ["a=1", "a=2"]):
        with pytest.raises(InputError):
            parse_params(bad)


@pytest.mark.parametrize("value", INJECTIONS)
def test_injection_looking_literal_is_only_a_string(mini, value):
    library = {q.name: q for q in named_queries()}
    q = library["label-search"]
    before = len(mini)
    subs = bind_params(mini, q.params, {"name": value})
    [(var, term)] = subs.items()
    assert var.value == "name" and term.value == value          # one literal, exactly the user's text
    result = mini.run(q.text, substitutions=subs)
    assert result.rows == [] and len(mini) == before             # nothing matched, nothing changed


@pytest.mark.parametrize("value", INJECTIONS)
def test_injection_looking_entity_is_refused_or_not_found(mini, value):
    q = {q.name: q for q in named_queries()}["neighbourhood"]
    with pytest.raises(InputError) as info:
        bind_params(mini, q.params, {"entity": value}, query_name="@neighbourhood")
    assert "\n" not in str(info.value).replace(value, "")


def test_entity_param_by_id_label_or_iri(mini):
    q = {q.name: q for q in named_queries()}["neighbourhood"]
    iri = "https://w3id.org/cngpu-kg/id/MooreThreads"
    for value in ("MooreThreads", "id:MooreThreads", f"<{iri}>", iri, "摩爾線程", "摩尔线程", "moore threads"):
        [term] = bind_params(mini, q.params, {"entity": value}).values()
        assert term.value == iri, value


def test_missing_unknown_and_optional_params(mini):
    params = declared_params("# param: who (entity) — a company\n# param: what (property, optional)\n"
                             "SELECT ?who ?what {}")
    with pytest.raises(InputError, match="needs --param who=ENTITY"):
        bind_params(mini, params, {}, query_name="@q")
    with pytest.raises(InputError, match="has no parameter whom; it takes who, what"):
        bind_params(mini, params, {"whom": "MetaX"}, query_name="@q")
    subs = bind_params(mini, params, {"who": "MetaX"})
    assert [v.value for v in subs] == ["who"]                    # optional and not given: unbound
    with pytest.raises(InputError, match="no fact in the graph uses the property"):
        bind_params(mini, params, {"who": "MetaX", "what": "kg:noSuchProperty"})


def test_cli_param_label_search():
    out = invoke("query", "@label-search", "--graph", str(MINI), "--param", "name=英偉達")
    assert out.exit_code == 0, out.output
    assert "英偉達" in out.output and "kg:Company" in out.output


def test_cli_param_errors_exit_2():
    for args, message in ((["@label-search", "--param", "nmae=x"], "has no parameter nmae"),
                          (["@listings", "--param", "name=x"], "takes no parameters"),
                          (["@label-search", "--param", "name"], "NAME=VALUE"),
                          (["@neighbourhood", "--param", "entity=不存在的公司"], "no entity has this id")):
        out = invoke("query", *args, "--graph", str(MINI))
        assert out.exit_code == 2 and message in out.output, (args, out.output)
        assert "Traceback" not in out.output and out.output.count("\n") == 1


def test_cli_param_injection_exits_0_with_no_rows():
    out = invoke("query", "@label-search", "--graph", str(MINI), "--param", "name=" + INJECTIONS[0])
    assert out.exit_code == 0 and "(0 rows)" in out.output


def test_cli_list_shows_params():
    out = invoke("query", "--list")
    lines = out.output.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("@label-search"))
    assert "--param name=TEXT (default 英伟达)" in lines[at + 1]
    assert any("--param object=ENTITY|NUMBER (optional)" in line for line in lines)


# -- limits: time, memory, rows, bytes --------------------------------------------------------------

CROSS = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"


def test_parse_size():
    assert parse_size("64M") == 64 * 2**20 and parse_size("2g") == 2 * 2**30 and parse_size("1500") == 1500
    assert parse_size("0") is None and parse_size("1.5K") == 1536
    with pytest.raises(ValueError):
        parse_size("lots")


def test_byte_cap_stops_the_stream(mini):
    with pytest.raises(ResultTooLarge, match="larger than 1 KB"):
        mini.run("SELECT * WHERE { ?s ?p ?o }", max_bytes=1024)
    assert len(mini.run("SELECT * WHERE { ?s ?p ?o } LIMIT 3", max_bytes=1024)) == 3


@pytest.mark.parametrize("isolated", [True, False])
def test_cross_product_stops_at_the_row_cap(mini, isolated):
    limits = Limits(max_rows=1000) if isolated else Limits(timeout=None, max_memory=None, max_rows=1000)
    with pytest.raises(ResultTooLarge, match="more than 1000 rows"):
        run_guarded(mini, CROSS, "table", limits)


def test_guarded_answer_equals_unguarded(mini):
    for fmt in ("table", "json", "csv"):
        assert run_guarded(mini, NODES, fmt) == run_guarded(mini, NODES, fmt, Limits(timeout=None, max_memory=None))
    assert run_guarded(mini, "ASK { ?s ?p ?o }") == "yes\n"


def test_formatted_answer_over_the_byte_cap(mini):
    with pytest.raises(ResultTooLarge):
        run_guarded(mini, "SELECT * WHERE { ?s ?p ?o }", "json", Limits(max_bytes=2000))


def test_errors_in_the_child_keep_their_class_and_message(mini):
    with pytest.raises(QueryError, match="line 1, column"):
        run_guarded(mini, "SELECT * WHERE { ?s ?p }")
    with pytest.raises(QueryRefused):
        run_guarded(mini, "DELETE WHERE { ?s ?p ?o }")


def test_timeout_kills_the_query(mini):
    import time

    heavy = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    start = time.monotonic()
    with pytest.raises(QueryTimeout, match="longer than the 0.5 s limit"):
        run_guarded(mini, heavy, "table", Limits(timeout=0.5))
    assert time.monotonic() - start < 5


def test_memory_cap_stops_the_query(mini):
    heavy = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?i ?a LIMIT 1"
    with pytest.raises(QueryTooHeavy, match="more memory than its cap"):
        run_guarded(mini, heavy, "table", Limits(timeout=60, max_memory=64 * 2**20))


def test_cli_limits_one_line_exit_2():
    for args, message in (([CROSS], "more than 100000 rows"),
                          ([CROSS, "--max-rows", "50"], "more than 50 rows"),
                          (["SELECT * WHERE { ?s ?p ?o }", "--max-bytes", "2K"], "larger than 2 KB"),
                          (["SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }",
                            "--timeout", "0.5"], "0.5 s limit"),
                          (["ASK {}", "--max-bytes", "lots"], "not a size")):
        out = invoke("query", *args, "--graph", str(MINI))
        assert out.exit_code == 2 and message in out.output, (args, out.output)
        assert "Traceback" not in out.output


def test_cli_two_way_select_star_in_a_real_process():
    """The issue's case, as a user runs it: a clean one-line error and exit 2, no MemoryError."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "kg.cli", "query", CROSS, "--graph", str(MINI), "--max-rows", "5000"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: the answer has more than 5000 rows") and done.stderr.count("\n") == 1
    assert done.stdout == ""
