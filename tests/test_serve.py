"""`kg serve` over loopback: a real SPARQL client (SPARQLWrapper) against a server this module starts."""
from __future__ import annotations

import json
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from SPARQLWrapper import CSV, JSON, POST, TURTLE, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from kg.errors import InputError
from kg.serve import ServeOptions, negotiate, start_server

MINI = Path(__file__).parent / "data" / "query" / "mini.ttl"
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("serve")
    exports = root / "exports"
    (exports / "entities").mkdir(parents=True)
    shutil.copy(MINI, exports / "graph.ttl")
    (exports / "graph.html").write_text("<!doctype html><title>graph</title>", encoding="utf-8")
    (exports / "entities" / "MXN100.html").write_text("<p>MXN100</p>", encoding="utf-8")
    (exports / ".secret").write_text("hidden", encoding="utf-8")
    (root / "outside.txt").write_text("outside the export directory", encoding="utf-8")
    (exports / "link.txt").symlink_to(root / "outside.txt")
    srv, thread = start_server(exports / "graph.ttl", ServeOptions(port=0, timeout=1.5, max_rows=200, workers=2,
                                                                    quiet=True))
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(5)


def client(server, query: str, fmt=JSON, method=None) -> SPARQLWrapper:
    sparql = SPARQLWrapper(server.url + "/sparql")
    sparql.setQuery(query)
    sparql.setReturnFormat(fmt)
    if method:
        sparql.setMethod(method)
    return sparql


def fetch(server, path: str, data: bytes | None = None, headers: dict | None = None) -> tuple[int, str, str]:
    request = urllib.request.Request(server.url + path, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read().decode("utf-8")


def get_query(server, query: str, accept: str = "") -> tuple[int, str, str]:
    return fetch(server, "/sparql?" + urllib.parse.urlencode({"query": query}), headers={"Accept": accept} if accept else None)


# -- SPARQLWrapper --------------------------------------------------------------------------------


def test_sparqlwrapper_select_json(server):
    answer = client(server, "SELECT ?chip WHERE { ?chip kg:usesProcessNode id:node-7nm }").query().convert()
    assert [b["chip"]["value"] for b in answer["results"]["bindings"]] == ["https://w3id.org/cngpu-kg/id/MXN100"]


def test_sparqlwrapper_select_post(server):
    query = "SELECT ?company WHERE { ?company kg:listedOn id:STARMarket } ORDER BY ?company"
    answer = client(server, query, method=POST).query().convert()
    assert [b["company"]["value"].rsplit("/", 1)[1] for b in answer["results"]["bindings"]] == ["MetaX", "MooreThreads"]


def test_sparqlwrapper_ask(server):
    assert client(server, "ASK { id:NVIDIA kg:acquired id:3dfx }").query().convert()["boolean"] is True


def test_sparqlwrapper_construct_turtle(server):
    data = client(server, "CONSTRUCT WHERE { id:H100 kg:usesProcessNode ?n }", fmt=TURTLE).query().convert()
    import rdflib

    graph = rdflib.Graph().parse(data=data, format="turtle")
    assert {str(o).rsplit("/", 1)[1] for o in graph.objects()} == {"node-4nm", "node-5nm"}


def test_sparqlwrapper_csv(server):
    data = client(server, "SELECT ?nm WHERE { id:node-12nm kg:nanometers ?nm }", fmt=CSV).query().convert()
    assert data.decode().splitlines()[0] == "nm"


def test_sparqlwrapper_malformed_is_400(server):
    with pytest.raises(QueryBadFormed):
        client(server, "SELECT * WHERE { ?s ?p }").query()


def test_sparqlwrapper_update_refused(server):
    sparql = client(server, "INSERT DATA { id:a kg:develops id:b }", method=POST)
    with pytest.raises(urllib.error.HTTPError) as caught:
        sparql.query()
    assert caught.value.code == 403
    # and nothing was written
    assert client(server, "ASK { id:a kg:develops id:b }").query().convert()["boolean"] is False


# -- the protocol by hand -------------------------------------------------------------------------


@pytest.mark.parametrize("accept,media", [
    ("application/sparql-results+json", "application/sparql-results+json"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv"),
    ("text/tab-separated-values", "text/tab-separated-values"),
    ("text/html;q=0.9, text/csv;q=0.5", "text/csv"),
    ("", "application/sparql-results+json"),
])
def test_content_negotiation_select(server, accept, media):
    status, content_type, _ = get_query(server, "SELECT * WHERE { ?s a kg:Chip }", accept)
    assert status == 200 and content_type.startswith(media)


def test_content_negotiation_construct(server):
    status, content_type, body = get_query(server, "DESCRIBE id:MXN100", "application/n-triples")
    assert status == 200 and content_type.startswith("application/n-triples") and body.startswith("<https://")
    status, content_type, _ = get_query(server, "DESCRIBE id:MXN100", "application/sparql-results+json")
    assert status == 200 and content_type.startswith("text/turtle")


def test_negotiate_prefers_format_parameter():
    assert negotiate("select", "text/csv", "json") == ("json", "application/sparql-results+json")
    assert negotiate("graph", "*/*") == ("turtle", "text/turtle")


def test_post_direct_body(server):
    status, _, body = fetch(server, "/sparql", data="ASK { ?s ?p ?o }".encode(),
                            headers={"Content-Type": "application/sparql-query"})
    assert status == 200 and json.loads(body)["boolean"] is True


@pytest.mark.parametrize("data,content_type", [
    (b"update=INSERT+DATA+%7B+%3Ca%3E+%3Cb%3E+%3Cc%3E+%7D", "application/x-www-form-urlencoded"),
    (b"INSERT DATA { <a> <b> <c> }", "application/sparql-update"),
    (b"query=LOAD+%3Chttp%3A%2F%2Fexample.org%2Fg%3E", "application/x-www-form-urlencoded"),
    (b"query=SELECT+*+%7B+SERVICE+%3Chttp%3A%2F%2Fexample.org%2Fsparql%3E+%7B+%3Fs+%3Fp+%3Fo+%7D+%7D",
     "application/x-www-form-urlencoded"),
])
def test_writes_and_service_refused(server, data, content_type):
    status, _, body = fetch(server, "/sparql", data=data, headers={"Content-Type": content_type})
    assert status == 403 and ("read-only" in body or "SERVICE" in body)
    assert "Traceback" not in body


@pytest.mark.parametrize("path,data,headers", [
    ("/sparql", None, None),                                                         # no query
    ("/sparql?query=", None, None),                                                  # empty query
    ("/sparql?query=ASK%7B%7D&query=ASK%7B%7D", None, None),                          # two queries
    ("/sparql?query=SELECT%20*%20%7B", None, None),                                  # syntax error
    ("/sparql", b"query=ASK%7B%7D", {"Content-Type": "text/plain"}),                   # wrong content type
    ("/sparql", b"\xff\xfe", {"Content-Type": "application/sparql-query"}),           # not UTF-8
    ("/sparql?query=ASK%7B%7D&default-graph-uri=http%3A%2F%2Fx", None, None),          # dataset not supported
])
def test_malformed_requests_get_400_with_message(server, path, data, headers):
    status, content_type, body = fetch(server, path, data=data, headers=headers)
    assert status == 400 and content_type.startswith("text/plain") and body.strip()
    assert "Traceback" not in body


def test_syntax_error_message_has_position(server):
    import time

    for _ in range(5):   # 503 = every worker busy (seen once on a loaded 2-core machine): ask again
        status, _, body = get_query(server, "SELECT * WHERE {\n ?s ?p }")
        if status != 503:
            break
        time.sleep(1)
    assert status == 400 and "line 2, column" in body


def test_result_size_cap(server):
    status, _, body = get_query(server, "SELECT * WHERE { ?s ?p ?o }")
    assert status == 400 and "more than 200 rows" in body
    assert get_query(server, "SELECT * WHERE { ?s ?p ?o } LIMIT 200")[0] == 200


def test_time_limit_stops_runaway_query_and_server_recovers(server):
    started = time.monotonic()
    status, _, body = get_query(server, HEAVY)
    assert status == 503 and "1.5 s limit" in body
    assert time.monotonic() - started < 10
    for _ in range(3):  # workers are replaced: the endpoint keeps answering
        assert get_query(server, "ASK { ?s ?p ?o }")[0] == 200


# -- files ----------------------------------------------------------------------------------------


def test_serves_export_files_and_views(server):
    status, content_type, body = fetch(server, "/graph.ttl")
    assert status == 200 and content_type.startswith("text/turtle") and "id:MXN100" in body
    status, content_type, _ = fetch(server, "/graph.html")
    assert status == 200 and content_type.startswith("text/html")
    assert fetch(server, "/entities/MXN100.html")[0] == 200
    status, _, body = fetch(server, "/")
    assert status == 200 and "graph.ttl" in body and ".secret" not in body


@pytest.mark.parametrize("path", [
    "/../outside.txt", "/%2e%2e/outside.txt", "/entities/..%2f..%2foutside.txt", "/.secret", "/link.txt",
    "/%2fetc%2fpasswd", "/nope.html", "/entities/", "/..\\outside.txt",
])
def test_nothing_outside_the_export_directory(server, path):
    status, _, body = fetch(server, path)
    assert status == 404 and "outside the export" not in body and "hidden" not in body


def test_missing_graph_is_input_error(tmp_path):
    with pytest.raises(InputError):
        start_server(tmp_path / "graph.ttl", ServeOptions(port=0, quiet=True))


# -- the query page -------------------------------------------------------------------------------


def test_query_page_and_named_queries_over_http(server):
    status, content_type, body = fetch(server, "/query")
    assert status == 200 and content_type.startswith("text/html") and "/query/app.js" in body
    request = urllib.request.Request(server.url + "/query")
    with urllib.request.urlopen(request, timeout=30) as response:
        csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert fetch(server, "/query/app.js")[1].startswith("text/javascript")
    assert fetch(server, "/query/app.css")[1].startswith("text/css")
    status, _, body = fetch(server, "/query/named.json")
    info = json.loads(body)
    names = {q["name"] for q in info["queries"]}
    assert status == 200 and {"listings", "label-search"} <= names
    assert info["prefixes"]["id"] == "https://w3id.org/cngpu-kg/id/"
    status, _, body = fetch(server, "/")          # the generated index links the page; files stay reachable
    assert status == 200 and 'href="/query"' in body and fetch(server, "/graph.html")[0] == 200


QUERY_PAGE_SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "query-page.png"


@pytest.fixture(scope="module")
def browser():
    from test_html_browser import Chromium, chromium_binary

    binary = chromium_binary()
    if binary is None:
        pytest.skip("Debian's chromium is not installed (`make browser` installs it as root)")
    chrome = Chromium(binary, width=1400, height=820)
    yield chrome
    chrome.close()


@pytest.fixture(scope="module")
def seed_server(seed_exports):
    srv, thread = start_server(seed_exports / "graph.ttl", ServeOptions(port=0, quiet=True))
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(5)


def test_query_page_in_chromium_runs_listings(browser, seed_server):
    """Load /query, pick @listings, click Run, see its rows as a table; data is text, never markup."""
    page = browser.page(seed_server.url + "/query#listings")
    try:
        page.wait_for("window.kgQuery && kgQuery.ready", timeout=15)
        assert page.js("document.getElementById('named').value") == "listings"
        assert "kg:listedOn" in page.js("document.getElementById('text').value")
        x, y = page.js("(function () { var r = document.getElementById('run').getBoundingClientRect(); "
                       "return [r.left + r.width / 2, r.top + r.height / 2]; })()")
        page.click(x, y)
        last = page.wait_for("kgQuery.last", timeout=20)
        assert last["ok"] and last["rows"] >= 2
        rows = page.js("Array.from(document.querySelectorAll('#results tbody tr')).map(function (tr) "
                       "{ return Array.from(tr.cells).map(function (td) { return td.textContent; }); })")
        assert len(rows) == last["rows"]
        assert page.js("Array.from(document.querySelectorAll('#results thead th')).map(function (th) "
                       "{ return th.textContent; })") == ["#", "?exchange", "?company"]
        assert all(row[1].startswith("id:") and row[2].startswith("id:") for row in rows)
        labels = page.js("Array.from(document.querySelectorAll('#results td .label')).map(function (d) "
                         "{ return d.textContent; })")
        assert len(labels) >= len(rows)          # each company (and exchange) with its label under the IRI
        assert page.js("document.getElementById('status').textContent").startswith(f"{len(rows)} rows")
        time.sleep(0.3)
        from kg.io import atomic_write_bytes

        atomic_write_bytes(QUERY_PAGE_SCREENSHOT, page.screenshot())       # docs/query-page.png, in the README
        # result data is shown as text: markup in a literal stays a string
        page.js("document.getElementById('named').value = ''; document.getElementById('text').value = "
                "'SELECT ?x WHERE { VALUES ?x { \"<img src=x onerror=window.pwned=1>\" } }'; kgQuery.last = null")
        page.js("kgQuery.run()")
        page.wait_for("kgQuery.last", timeout=20)
        assert page.js("document.querySelector('#results tbody td:nth-child(2)').textContent") == \
            "<img src=x onerror=window.pwned=1>"
        assert page.js("document.querySelectorAll('#results img').length") == 0
        assert page.js("typeof window.pwned") == "undefined"
        # a server error is shown with its message
        page.js("document.getElementById('text').value = 'SELECT * WHERE {'; kgQuery.last = null")
        page.js("kgQuery.run()")
        assert page.wait_for("kgQuery.last", timeout=20)["status"] == 400
        assert "syntax error" in page.js("document.getElementById('error').textContent")
        assert page.problems() == [f"log error: Failed to load resource: the server responded with a status of "
                                   f"400 (Bad Request)"] or page.problems() == []
        foreign = [u for u in page.requests() if not u.startswith((seed_server.url, "data:", "about:"))]
        assert foreign == []
    finally:
        page.close()
