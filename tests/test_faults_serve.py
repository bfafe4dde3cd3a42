"""The endpoint fault battery (issue 10): every abuse case against a real `kg serve` process on loopback.

Each case is bounded (seconds, a fixed number of clients) and stops by itself; nothing leaves 127.0.0.1.
The server runs as its own process (the CLI, as a user starts it), so the load clients in this process
do not share its interpreter. Heavy cases carry the ``slow`` marker (CI runs them).
"""
from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.errors import InputError
from kg.serve import ServeOptions

HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
ORDER_PRODUCT = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f"
PROBE = "ASK { ?s ?p ?o }"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"


def synthetic_graph(path: Path, entities: int = 1000, extra: str = "") -> Path:
    """``entities`` × 3 triples (type, two labels): big enough that a two-way product has ~9M rows."""
    lines = ["@prefix id: <https://w3id.org/cngpu-kg/id/> .", "@prefix kg: <https://w3id.org/cngpu-kg/ontology#> .",
             f"@prefix rdfs: <{RDFS}> ."]
    for i in range(entities):
        lines.append(f'id:e{i} a kg:Company ; rdfs:label "公司{i:05d}號科技有限公司"@zh-hant, "Company {i:05d} Ltd"@en .')
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


class ServerProcess:
    """`kg serve` in a child process on a free loopback port; stderr collected in ``self.log``."""

    def __init__(self, graph: Path, *args: str):
        self.log: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from kg.cli import main; main()", "serve", "--graph", str(graph), "--port", "0",
             "--quiet", *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self._ready = threading.Event()
        self.port = 0
        threading.Thread(target=self._read, daemon=True).start()
        if not self._ready.wait(120) or not self.port:
            self.stop()
            raise AssertionError(f"kg serve did not start: {self.log}")

    def _read(self) -> None:
        for line in self.process.stderr:
            self.log.append(line.rstrip("\n"))
            match = re.search(r"SPARQL at http://127\.0\.0\.1:(\d+)/sparql", line)
            if match:
                self.port = int(match.group(1))
                self._ready.set()
        self._ready.set()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def children(self) -> list[int]:
        found = []
        for task in os.listdir(f"/proc/{self.process.pid}/task"):
            try:
                with open(f"/proc/{self.process.pid}/task/{task}/children") as handle:
                    found += [int(pid) for pid in handle.read().split()]
            except OSError:   # a thread that just ended
                pass
        return found

    # -- requests ---------------------------------------------------------------------------------
    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                timeout: float = 30.0) -> tuple[int, bytes, dict]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read(), {k.lower(): v for k, v in response.getheaders()}
        finally:
            connection.close()

    def query(self, text: str, accept: str = "application/sparql-results+json", timeout: float = 30.0):
        return self.request("POST", "/sparql", urllib.parse.urlencode({"query": text}).encode(),
                            {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept}, timeout)

    def get(self, text: str, accept: str = "", method: str = "GET", timeout: float = 30.0):
        headers = {"Accept": accept} if accept else {}
        return self.request(method, "/sparql?" + urllib.parse.urlencode({"query": text}), None, headers, timeout)

    def raw(self, data: bytes, *, shut_write: bool = False, timeout: float = 10.0, pause: float = 0.0) -> tuple[bytes, float]:
        """Send raw bytes; (everything the server sent until it closed, seconds until then)."""
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as sock:
            sock.sendall(data)
            if pause:
                time.sleep(pause)
            if shut_write:
                sock.shutdown(socket.SHUT_WR)
            received = b""
            try:
                while True:
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    received += chunk
            except (socket.timeout, TimeoutError):
                received += b"<client gave up waiting>"
            except ConnectionResetError:
                pass
        return received, time.monotonic() - started


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


@pytest.fixture(scope="module")
def big_graph(tmp_path_factory) -> Path:
    exports = tmp_path_factory.mktemp("faults-serve") / "exports"
    exports.mkdir()
    return synthetic_graph(exports / "graph.ttl")


@pytest.fixture(scope="module")
def server(big_graph):
    srv = ServerProcess(big_graph, "--timeout", "3", "--client-timeout", "1.5", "--max-memory", "300M",
                        "--max-bytes", "1000000")
    yield srv
    srv.stop()


# -- heavy queries cannot starve light ones ---------------------------------------------------------


@pytest.mark.slow
def test_probe_ask_fast_while_two_clients_loop_heavy_queries(server):
    stop = time.monotonic() + 10
    heavy_statuses: list[int] = []

    def attacker():
        while time.monotonic() < stop:
            try:
                heavy_statuses.append(server.query(HEAVY, timeout=30)[0])
            except OSError:
                heavy_statuses.append(-1)

    attackers = [threading.Thread(target=attacker, daemon=True) for _ in range(2)]
    for thread in attackers:
        thread.start()
    time.sleep(0.5)
    latencies, statuses = [], []
    while time.monotonic() < stop:
        started = time.monotonic()
        statuses.append(server.get(PROBE, timeout=30)[0])
        latencies.append(time.monotonic() - started)
        time.sleep(0.1)
    for thread in attackers:
        thread.join(40)
    assert set(statuses) == {200} and len(latencies) >= 50
    assert percentile(latencies, 99) < 0.5, sorted(latencies)[-5:]
    assert heavy_statuses and set(heavy_statuses) <= {503}       # stopped at the limit, or told to wait
    # and the endpoint is whole afterwards
    assert server.get(PROBE)[0] == 200


@pytest.mark.slow
def test_200_clients_no_errors_p99_under_half_a_second(server):
    """200 client threads, a fresh connection per request and a random think time (0-1 s), for 12 s."""
    stop = time.monotonic() + 12
    light = [PROBE, f"SELECT ?l WHERE {{ ?s <{RDFS}label> ?l }} LIMIT 5",
             "SELECT ?s WHERE { ?s a <https://w3id.org/cngpu-kg/ontology#Company> } LIMIT 20"]
    results: list[tuple[object, float]] = []
    lock = threading.Lock()

    def client(seed: int):
        import random

        rng = random.Random(seed)
        time.sleep(rng.random() * 0.5)
        while time.monotonic() < stop:
            started = time.monotonic()
            try:
                status = server.query(rng.choice(light), timeout=30)[0]
            except OSError as error:
                status = type(error).__name__
            with lock:
                results.append((status, time.monotonic() - started))
            time.sleep(rng.random())

    threads = [threading.Thread(target=client, args=(seed,), daemon=True) for seed in range(200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    errors = [status for status, _ in results if status != 200]
    assert len(results) > 2000 and errors == []
    assert percentile([seconds for _, seconds in results], 99) < 0.5


def test_listen_backlog_takes_a_burst_of_connections(server):
    """300 simultaneous connects: none waits for a SYN retry (>= 1 s) as with a backlog of 5."""
    times: list[float] = []
    lock = threading.Lock()
    gate = threading.Event()
    sockets = []

    def connect():
        gate.wait()
        started = time.monotonic()
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        with lock:
            times.append(time.monotonic() - started)
            sockets.append(sock)

    threads = [threading.Thread(target=connect, daemon=True) for _ in range(300)]
    for thread in threads:
        thread.start()
    gate.set()
    for thread in threads:
        thread.join(20)
    for sock in sockets:
        sock.close()
    assert len(times) == 300 and max(times) < 0.9


# -- limits ---------------------------------------------------------------------------------------


def test_order_by_over_a_product_is_stopped_by_the_memory_cap(server):
    workers = server.children()
    assert workers
    limits = ""
    for pid in workers:
        try:
            limits = Path(f"/proc/{pid}/limits").read_text()
            break
        except OSError:
            continue
    address_space = next(line for line in limits.splitlines() if line.startswith("Max address space"))
    assert "unlimited" not in address_space.split()[3]
    started = time.monotonic()
    status, body, _ = server.query(ORDER_PRODUCT, timeout=60)
    assert status == 503 and b"300 MB" in body and b"Traceback" not in body
    assert time.monotonic() - started < 3.5           # before the time limit, not at it
    assert server.get(PROBE)[0] == 200


def test_one_huge_group_concat_row_is_refused_by_the_byte_cap(server):
    values = " ".join(str(i) for i in range(40))
    text = f"SELECT (GROUP_CONCAT(?l) AS ?all) WHERE {{ ?s <{RDFS}label> ?l . VALUES ?k {{ {values} }} }}"
    status, body, _ = server.query(text)
    assert status == 400 and b"1,000,000 byte cap" in body
    assert server.query(text.replace(values, "1"))[0] == 200        # 1/40 of it fits


def test_time_limit_stops_the_query_and_frees_the_worker(server):
    started = time.monotonic()
    status, body, _ = server.query(HEAVY + " # time limit case")
    assert status == 503 and b"3 s limit" in body
    assert time.monotonic() - started < 6
    assert server.get(PROBE)[0] == 200


# -- HTTP: no desync, slow clients, negotiation, HEAD -----------------------------------------------


def smuggled(port_path: str = "/sparql") -> bytes:
    return f"GET {port_path}?query={urllib.parse.quote(PROBE)} HTTP/1.1\r\nHost: x\r\n\r\n".encode()


@pytest.mark.parametrize("head,expect", [
    ("POST /nope HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: {n}\r\n\r\n", b" 404 "),
    ("POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
     "Content-Length: 99999999\r\n\r\n", b" 413 "),
    ("POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n\r\n", b" 411 "),
    ("POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
     "Transfer-Encoding: chunked\r\n\r\n", b" 411 "),
    ("POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
     "Content-Length: {n}\r\nContent-Length: 3\r\n\r\n", b" 400 "),
    ("GET /graph.ttl HTTP/1.1\r\nHost: x\r\nContent-Length: {n}\r\n\r\n", b" 200 "),
])
def test_an_unread_body_is_never_parsed_as_the_next_request(server, head, expect):
    body = smuggled()
    data, _ = server.raw(head.format(n=len(body)).encode() + body)
    assert data.startswith(b"HTTP/1.1" + expect), data[:200]
    assert data.count(b"HTTP/1.1 ") == 1                  # the smuggled GET got no answer: closed instead
    assert b"connection: close" in data.lower()


def test_a_refused_post_whose_body_was_read_keeps_the_connection(server):
    update = b"INSERT DATA { <a> <b> <c> }"
    first = (f"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-update\r\n"
             f"Content-Length: {len(update)}\r\n\r\n").encode() + update
    closing = smuggled().replace(b"Host: x\r\n", b"Host: x\r\nConnection: close\r\n")
    data, _ = server.raw(first + closing)
    assert data.count(b"HTTP/1.1 ") == 2 and b" 403 " in data and b" 200 " in data


def test_a_body_shorter_than_its_content_length_is_not_executed(server):
    body = b"query=" + urllib.parse.quote(PROBE).encode()
    head = (f"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body) + 40}\r\n\r\n").encode()
    data, _ = server.raw(head + body, shut_write=True)          # the client stops sending
    assert b" 200 " not in data and b"true" not in data and data.startswith(b"HTTP/1.1 408")
    data, seconds = server.raw(head + body)                      # the client just stalls: timed out and closed
    assert b" 200 " not in data and b"true" not in data and seconds < 4


def test_slow_and_idle_clients_are_disconnected(server):
    # a request dripped one byte every 0.3 s never completes inside the 1.5 s deadline
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        closed = False
        for byte in b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n\r\n":
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                closed = True
                break
            time.sleep(0.3)
            sock.setblocking(False)
            try:
                if sock.recv(1) == b"":
                    closed = True
                    break
            except BlockingIOError:
                pass
            except OSError:
                closed = True
                break
            finally:
                sock.setblocking(True)
    assert closed and time.monotonic() - started < 4
    # an idle keep-alive connection is closed too
    data, seconds = server.raw(b"", timeout=10)
    assert data == b"" and seconds < 4


@pytest.mark.parametrize("accept,fmt", [("image/png", ""), ("text/html", ""), ("", "png")])
def test_unsupported_types_get_406(server, accept, fmt):
    path = "/sparql?" + urllib.parse.urlencode({"query": PROBE, **({"format": fmt} if fmt else {})})
    status, body, headers = server.request("GET", path, headers={"Accept": accept} if accept else {})
    assert status == 406 and headers["content-type"].startswith("text/plain")
    assert (b"application/sparql-results+json" in body) if accept else (b"unknown format 'png'" in body)


def test_browser_accept_header_still_gets_an_answer(server):
    status, _, headers = server.get(PROBE, "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
    assert status == 200 and headers["content-type"].startswith("application/sparql-results+xml")


def test_head_never_runs_the_query(server):
    started = time.monotonic()
    status, body, headers = server.get(HEAVY + " # head", method="HEAD")
    assert status == 200 and body == b"" and headers["content-type"].startswith("application/sparql-results+json")
    assert "content-length" not in headers                        # its length is not known without running it
    assert time.monotonic() - started < 1
    # had it run, the same text would now be known to be long and wait for a slot; it starts at once
    assert server.get(HEAVY + " # head", method="HEAD")[0] == 200
    assert server.get("INSERT DATA { <a> <b> <c> }", method="HEAD")[0] == 403
    status, body, headers = server.request("HEAD", "/graph.ttl")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 1000


# -- reloads: the last good graph keeps being served --------------------------------------------------


def _labels(srv: ServerProcess, entity: str) -> list[str]:
    _, body, _ = srv.query(f"SELECT ?l WHERE {{ <https://w3id.org/cngpu-kg/id/{entity}> <{RDFS}label> ?l }}")
    return sorted(b["l"]["value"] for b in json.loads(body)["results"]["bindings"])


def _wait(condition, seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.slow
def test_truncated_graph_keeps_the_last_good_one_and_a_good_one_is_picked_up(tmp_path):
    exports = tmp_path / "exports"
    exports.mkdir()
    graph = synthetic_graph(exports / "graph.ttl", entities=50)
    srv = ServerProcess(graph)
    try:
        assert _labels(srv, "e7") == ["Company 00007 Ltd", "公司00007號科技有限公司"]
        text = graph.read_text(encoding="utf-8")
        graph.write_text(text[: len(text) // 2 - 7], encoding="utf-8")        # cut mid-statement, in place
        assert _wait(lambda: any("cannot be loaded" in line for line in srv.log))
        warning = next(line for line in srv.log if "cannot be loaded" in line)
        assert "still serving the previous graph" in warning and "Traceback" not in "\n".join(srv.log)
        assert _labels(srv, "e7") == ["Company 00007 Ltd", "公司00007號科技有限公司"]
        assert _labels(srv, "e40") != []                                     # the half that was cut is still there
        # a good graph replaces it (written atomically, as kg rebuild does)
        fresh = exports / ".graph.tmp"
        synthetic_graph(fresh, entities=50, extra=f'<https://w3id.org/cngpu-kg/id/e7> <{RDFS}label> "new"@en .\n')
        os.replace(fresh, graph)
        assert _wait(lambda: "new" in _labels(srv, "e7"))
        assert any("reloaded" in line for line in srv.log)
    finally:
        srv.stop()


@pytest.mark.slow
def test_a_symlink_switch_of_the_export_set_is_picked_up(tmp_path):
    """exports/graph.ttl -> current/graph.ttl, current -> .versions/N: switching `current` is a reload."""
    exports = tmp_path / "exports"
    (exports / ".versions" / "1").mkdir(parents=True)
    (exports / ".versions" / "2").mkdir(parents=True)
    synthetic_graph(exports / ".versions" / "1" / "graph.ttl", entities=20)
    synthetic_graph(exports / ".versions" / "2" / "graph.ttl", entities=30)
    for version in ("1", "2"):
        (exports / ".versions" / version / "graph.html").write_text(f"<p>version {version}</p>", encoding="utf-8")
    (exports / "current").symlink_to(".versions/1")
    (exports / "graph.ttl").symlink_to("current/graph.ttl")
    (exports / "graph.html").symlink_to("current/graph.html")
    srv = ServerProcess(exports / "graph.ttl")
    try:
        assert _labels(srv, "e25") == []
        assert srv.request("GET", "/graph.html")[1] == b"<p>version 1</p>"
        link = exports / ".current.new"
        link.symlink_to(".versions/2")
        os.replace(link, exports / "current")
        assert _wait(lambda: _labels(srv, "e25") != [])
        assert srv.request("GET", "/graph.html")[1] == b"<p>version 2</p>"
        assert srv.request("GET", "/.versions/1/graph.html")[0] == 404          # dot-paths stay private
    finally:
        srv.stop()


# -- bad options: one line, exit 2, no traceback ------------------------------------------------------


@pytest.mark.parametrize("args,needle", [
    (["--timeout", "-1"], "--timeout"),
    (["--timeout", "0"], "--timeout"),
    (["--port", "99999"], "--port"),
    (["--port", "-1"], "--port"),
    (["--max-rows", "0"], "--max-rows"),
    (["--max-memory", "1K"], "--max-memory"),
    (["--max-memory", "0"], "--max-memory"),
    (["--max-bytes", "lots"], "--max-bytes"),
    (["--workers", "0"], "--workers"),
])
def test_bad_options_exit_2_with_one_error_line(args, needle):
    result = CliRunner().invoke(main, ["serve", *args])
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and needle in errors[0]
    assert "Traceback" not in result.output


def test_port_in_use_is_one_line_exit_2(server, big_graph):
    result = subprocess.run([sys.executable, "-c", "from kg.cli import main; main()", "serve", "--graph",
                             str(big_graph), "--port", str(server.port)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(f"error: cannot listen on 127.0.0.1:{server.port}")


def test_missing_graph_is_one_line_exit_2(tmp_path):
    result = CliRunner().invoke(main, ["serve", "--graph", str(tmp_path / "graph.ttl"), "--port", "0"])
    assert result.exit_code == 2 and "not found" in result.output and "Traceback" not in result.output


def test_options_are_checked_in_the_api_too():
    for bad in (dict(timeout=-1), dict(timeout=0), dict(port=99999), dict(max_rows=0), dict(workers=0)):
        with pytest.raises(InputError):
            ServeOptions(**bad).check()
    ServeOptions().check()


@pytest.mark.parametrize("stderr,expect", [
    ("thread '<unnamed>' panicked at library/core/src/slice/sort/shared/smallsort.rs:854:5:\n"
     "user-provided comparison function does not correctly implement a total order\n",
     ("engine", "user-provided comparison function does not correctly implement a total order")),
    ("memory allocation of 1073741824 bytes failed\n", ("memory", "")),
    ("", ("memory", "")),                                   # an abort that could not even print
])
def test_a_dead_worker_is_reported_for_what_killed_it(stderr, expect):
    """pyoxigraph aborts the worker on an allocation failure (the RLIMIT_AS cap) and on some Rust
    panics (ORDER BY over mixed-type products): the answer names which, from the worker's stderr."""
    import tempfile

    from kg.serve import _Worker

    worker = _Worker.__new__(_Worker)
    worker._stderr = tempfile.TemporaryFile()
    worker.process = subprocess.Popen(
        [sys.executable, "-c", f"import os, sys; sys.stderr.write({stderr!r}); sys.stderr.flush(); os.abort()"],
        stderr=worker._stderr)
    worker.process.wait(30)
    assert worker.why_it_died() == expect
    worker._stderr.close()
