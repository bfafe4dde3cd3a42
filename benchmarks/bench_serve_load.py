"""Load and abuse measurements of a SPARQL endpoint on loopback: `kg serve`, or Oxigraph's own server.

Scenarios (each bounded in time, loopback only):

* ``probe``    two clients loop a heavy query (a 5-way cross product that never finishes inside the time
               limit) while a probe sends a cheap ``ASK`` every 0.1 s: the probe's latencies and statuses.
* ``load``     N clients (threads; a fresh connection per request, a random think time of 0-2x ``--think``
               seconds) loop cheap queries (ASK, a labelled lookup, @listings): statuses and latencies.
* ``memory``   ``ORDER BY`` over a two-way cross product: status, seconds, peak RSS of the server and
               its children.
* ``concat``   ``GROUP_CONCAT`` over a two-way cross product (one huge row): status, answer bytes, peak RSS.
* ``protocol`` 406 for ``Accept: image/png``; HEAD of a heavy query (does it run?); desync: a POST with a
               body to a 404 path, then the body parsed as the next request?

    python benchmarks/bench_serve_load.py [--engine kg|oxigraph] [--graph exports/graph.ttl]
        [--scenarios probe,load,memory,concat,protocol] [--duration 10] [--clients 200] [--json OUT]

``--engine oxigraph`` needs the ``oxigraph`` command (``pip install oxigraph``); the graph is loaded into a
fresh store directory first. Results: a JSON document on stdout (and in ``--json``), progress on stderr.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
PROBE = "ASK { ?s ?p ?o }"
ORDER_PRODUCT = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f"
CONCAT_PRODUCT = "SELECT (GROUP_CONCAT(STR(?c)) AS ?all) WHERE { ?a ?b ?c . ?d ?e ?f }"
LIGHT = [
    PROBE,
    "SELECT ?l WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l } LIMIT 5",
    "SELECT ?exchange ?company WHERE { ?company <https://w3id.org/cngpu-kg/ontology#listedOn> ?exchange } "
    "ORDER BY ?exchange ?company",
]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def summary(latencies: list[float], statuses: dict) -> dict:
    return {"requests": sum(statuses.values()), "statuses": dict(sorted(statuses.items())),
            "p50_ms": _ms(percentile(latencies, 50)), "p99_ms": _ms(percentile(latencies, 99)),
            "max_ms": _ms(max(latencies) if latencies else None)}


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


# -------------------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A server process on 127.0.0.1:port; ``path`` is its query endpoint."""

    def __init__(self, engine: str, graph: Path, timeout: float, workdir: Path, extra: list[str]):
        self.port = free_port()
        self.engine = engine
        if engine == "kg":
            self.path = "/sparql"
            kg = shutil.which("kg", path=str(Path(sys.executable).parent)) or "kg"
            command = [kg, "serve", "--graph", str(graph), "--port", str(self.port), "--timeout", str(timeout),
                       "--quiet", *extra]
        else:
            self.path = "/query"
            oxigraph = shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or shutil.which("oxigraph")
            if not oxigraph:
                raise SystemExit("no `oxigraph` command: pip install oxigraph")
            store = workdir / "store"
            subprocess.run([oxigraph, "load", "--location", str(store), "--file", str(graph)], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            command = [oxigraph, "serve-read-only", "--location", str(store), "--bind", f"127.0.0.1:{self.port}",
                       "--timeout-s", str(int(timeout)), *extra]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if request(self.port, "GET", self.path + "?" + urllib.parse.urlencode({"query": PROBE}), timeout=5)[0]:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit(f"{engine} server did not come up")

    def pids(self) -> list[int]:
        found, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{task}/children") as handle:
                        todo += [int(c) for c in handle.read().split()]
            except OSError:
                pass
        return found

    def rss_mb(self) -> float:
        total = 0
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/status") as handle:
                    for line in handle:
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1])
            except OSError:
                pass
        return total / 1024

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def request(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
            timeout: float = 30.0) -> tuple[int, int, dict]:
    """(status, body bytes read, headers) over a fresh connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        size = 0
        while True:
            chunk = response.read(1 << 20)
            if not chunk:
                break
            size += len(chunk)
        return response.status, size, dict(response.getheaders())
    finally:
        connection.close()


def query(server: Server, text: str, accept: str = "application/sparql-results+json", timeout: float = 60.0):
    body = urllib.parse.urlencode({"query": text}).encode()
    return request(server.port, "POST", server.path, body,
                   {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept}, timeout)


# ------------------------------------------------------------------------------------ scenarios


def scenario_probe(server: Server, duration: float) -> dict:
    stop = time.monotonic() + duration
    heavy_statuses: dict = {}
    lock = threading.Lock()

    def heavy():
        while time.monotonic() < stop:
            try:
                status = query(server, HEAVY)[0]
            except OSError as error:
                status = type(error).__name__
            with lock:
                heavy_statuses[status] = heavy_statuses.get(status, 0) + 1

    threads = [threading.Thread(target=heavy, daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # let both heavy queries start
    latencies, statuses, slow = [], {}, []
    began = time.monotonic()
    while time.monotonic() < stop:
        started = time.monotonic()
        try:
            status = request(server.port, "GET", server.path + "?" + urllib.parse.urlencode({"query": PROBE}),
                             headers={"Accept": "application/sparql-results+json"}, timeout=30)[0]
        except OSError as error:
            status = type(error).__name__
        latencies.append(time.monotonic() - started)
        statuses[status] = statuses.get(status, 0) + 1
        if latencies[-1] > 0.1:
            slow.append([round(started - began, 2), _ms(latencies[-1])])
        time.sleep(0.1)
    for thread in threads:
        thread.join(60)
    return {"probe": summary(latencies, statuses), "heavy_statuses": heavy_statuses,
            "probes_over_100ms": slow}


def scenario_load(server: Server, duration: float, clients: int, think: float) -> dict:
    stop = time.monotonic() + duration
    latencies: list[float] = []
    statuses: dict = {}
    lock = threading.Lock()
    rng = random.Random(0)
    seeds = [rng.random() for _ in range(clients)]

    def client(seed: float):
        local = random.Random(seed)
        time.sleep(local.random() * think)
        while time.monotonic() < stop:
            text = local.choice(LIGHT)
            started = time.monotonic()
            try:
                status = query(server, text, timeout=30)[0]
            except OSError as error:
                status = type(error).__name__
            elapsed = time.monotonic() - started
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1
            time.sleep(local.random() * 2 * think)

    threads = [threading.Thread(target=client, args=(s,), daemon=True) for s in seeds]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(duration + 60)
    result = summary(latencies, statuses)
    result.update(clients=clients, seconds=duration, think_mean_s=think,
                  per_second=round(result["requests"] / duration, 1))
    return result


def _with_peak_rss(server: Server, action) -> tuple[object, float]:
    peak = [server.rss_mb()]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], server.rss_mb())
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        return action(), peak[0]
    finally:
        done.set()
        sampler.join(5)


def scenario_big(server: Server, text: str) -> dict:
    started = time.monotonic()

    def run():
        try:
            return query(server, text, timeout=60)
        except OSError as error:
            return type(error).__name__, 0, {}

    (status, size, _), peak = _with_peak_rss(server, run)
    return {"status": status, "answer_bytes": size, "seconds": round(time.monotonic() - started, 2),
            "peak_rss_mb": round(peak), "then_probe": query(server, PROBE, timeout=30)[0]}


def scenario_protocol(server: Server) -> dict:
    out = {}
    out["accept_image_png"] = request(server.port, "GET", server.path + "?" + urllib.parse.urlencode({"query": PROBE}),
                                      headers={"Accept": "image/png"})[0]
    started = time.monotonic()
    try:
        out["head_heavy_status"] = request(server.port, "HEAD", server.path + "?" + urllib.parse.urlencode(
            {"query": HEAVY}), timeout=60)[0]
    except OSError as error:
        out["head_heavy_status"] = type(error).__name__
    out["head_heavy_seconds"] = round(time.monotonic() - started, 2)
    # desync: a POST with a body to a path that 404s; the body is a whole second request
    smuggled = f"GET {server.path}?query={urllib.parse.quote(PROBE)} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    raw = (f"POST /nope HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: {len(smuggled)}\r\n\r\n"
           .encode() + smuggled)
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(raw)
        data = b""
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        except OSError:
            pass
    out["desync_responses"] = data.count(b"HTTP/1.")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--engine", choices=("kg", "oxigraph"), default="kg")
    parser.add_argument("--graph", type=Path, default=ROOT / "exports" / "graph.ttl")
    parser.add_argument("--scenarios", default="probe,load,memory,concat,protocol")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per timed scenario")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--think", type=float, default=0.5, help="mean think time between a client's requests (s)")
    parser.add_argument("--timeout", type=float, default=5.0, help="the server's per-query time limit (s)")
    parser.add_argument("--server-arg", action="append", default=[], help="extra argument for the server")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)
    results: dict = {"engine": args.engine, "graph": str(args.graph), "timeout_s": args.timeout,
                     "cpus": os.cpu_count(), "scenarios": {}}
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as workdir:
        server = Server(args.engine, args.graph, args.timeout, Path(workdir), args.server_arg)
        try:
            results["idle_rss_mb"] = round(server.rss_mb())
            for name in [s.strip() for s in args.scenarios.split(",") if s.strip()]:
                log(f"{args.engine}: {name} ...")
                if name == "probe":
                    results["scenarios"][name] = scenario_probe(server, args.duration)
                elif name == "load":
                    results["scenarios"][name] = scenario_load(server, args.duration, args.clients, args.think)
                elif name == "memory":
                    results["scenarios"][name] = scenario_big(server, ORDER_PRODUCT)
                elif name == "concat":
                    results["scenarios"][name] = scenario_big(server, CONCAT_PRODUCT)
                elif name == "protocol":
                    results["scenarios"][name] = scenario_protocol(server)
                else:
                    raise SystemExit(f"unknown scenario {name}")
                log(json.dumps(results["scenarios"][name]))
        finally:
            server.stop()
    text = json.dumps(results, indent=1, ensure_ascii=False)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
