"""Time every named query (queries/*.rq) on a graph of >= 1M triples, with pyoxigraph and with rdflib.

How the big graph is made: the seed export (exports/graph.ttl, or --graph) is replicated K times until
it holds at least --triples triples. Replica k renames every instance IRI (id:, doc:, ev:) by appending
``-r<k>`` (replica 0 keeps the real names), except the shared reference entities -- places, exchanges,
process nodes and markets (there is one 7nm) -- whose triples are written once; vocabulary IRIs and
literals (labels, sentences, figures) stay as they are. So the graph has K copies of the seed graph's
companies, products, facts, evidence and documents, all pointing at the same nodes, markets and
exchanges: joins grow K-fold, label searches match K entities, and the parameterised queries
(VALUES id:MXN100 ...) still find their one original entity.

Each query runs with pyoxigraph (in memory, best of --repeat runs) and with rdflib's engine in a
forked child that is killed after --rdflib-timeout seconds ("> N s"). Results go to stdout as a
markdown table; progress to stderr.

    python benchmarks/bench_query.py [--graph exports/graph.ttl] [--triples 1000000] [--rdflib-timeout 120]
"""
from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kg.namespaces import DOC, EV, ID, KG, RDF  # noqa: E402
from kg.query import GraphStore, load_rdflib_graph, named_queries, run_rdflib  # noqa: E402

INSTANCE_BASES = (str(ID), str(DOC), str(EV))
SHARED_CLASSES = ("Place", "Exchange", "ProcessNode", "Market")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def replicate(source: Path, target: Path, min_triples: int) -> tuple[int, int, int]:
    """Write ``target`` (N-Triples) with enough renamed copies of ``source``; (triples, replicas, source size)."""
    import pyoxigraph as ox

    triples = [q.triple for q in ox.parse(path=str(source), format=ox.RdfFormat.from_extension(source.suffix[1:]))]
    rdf_type = ox.NamedNode(str(RDF.type))
    shared_classes = {ox.NamedNode(str(KG[c])) for c in SHARED_CLASSES}
    shared = {t.subject for t in triples if t.predicate == rdf_type and t.object in shared_classes}
    fixed = [t for t in triples if t.subject in shared]
    copied = [t for t in triples if t.subject not in shared]
    replicas = max(1, -(-(min_triples - len(fixed)) // len(copied)))

    def rename(term, suffix):
        if isinstance(term, ox.NamedNode) and term.value.startswith(INSTANCE_BASES) and term not in shared:
            return ox.NamedNode(term.value + suffix)
        return term

    with target.open("wb") as out:
        ox.serialize(fixed, out, format=ox.RdfFormat.N_TRIPLES)
        for k in range(replicas):
            suffix = f"-r{k}" if k else ""
            copy = [ox.Triple(rename(t.subject, suffix), t.predicate, rename(t.object, suffix)) for t in copied]
            ox.serialize(copy, out, format=ox.RdfFormat.N_TRIPLES)
    return len(fixed) + len(copied) * replicas, replicas, len(triples)


def _rdflib_child(conn, graph, text):  # runs in a forked child
    started = time.perf_counter()
    result = run_rdflib(graph, text)
    conn.send((len(result), time.perf_counter() - started))


def time_rdflib(graph, text: str, timeout: float) -> tuple[int | None, float | None]:
    context = multiprocessing.get_context("fork")
    parent, child = context.Pipe()
    process = context.Process(target=_rdflib_child, args=(child, graph, text))
    process.start()
    if parent.poll(timeout):
        rows, seconds = parent.recv()
        process.join()
        return rows, seconds
    process.kill()
    process.join()
    return None, None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", type=Path, default=ROOT / "exports" / "graph.ttl")
    parser.add_argument("--triples", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rdflib-timeout", type=float, default=120.0)
    parser.add_argument("--no-rdflib", action="store_true")
    args = parser.parse_args()

    queries = named_queries()
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big.nt"
        started = time.perf_counter()
        total, replicas, base = replicate(args.graph, big, args.triples)
        log(f"built {total:,} triples ({replicas} copies of {base:,}) in {time.perf_counter() - started:.1f} s")

        started = time.perf_counter()
        store = GraphStore.load(big)
        ox_load = time.perf_counter() - started
        log(f"pyoxigraph loaded {len(store):,} triples in {ox_load:.1f} s")
        ox_times: dict[str, tuple[int, float]] = {}
        for query in queries:
            best = float("inf")
            for _ in range(args.repeat):
                began = time.perf_counter()
                rows = len(store.run(query.text))
                best = min(best, time.perf_counter() - began)
            ox_times[query.name] = (rows, best)
            log(f"  pyoxigraph {query.name}: {rows} rows, {best:.3f} s")
        del store

        rl_times: dict[str, tuple[int | None, float | None]] = {}
        rl_load = None
        if not args.no_rdflib:
            started = time.perf_counter()
            graph = load_rdflib_graph(big)
            rl_load = time.perf_counter() - started
            log(f"rdflib loaded {len(graph):,} triples in {rl_load:.1f} s")
            for query in queries:
                rl_times[query.name] = time_rdflib(graph, query.text, args.rdflib_timeout)
                rows, seconds = rl_times[query.name]
                log(f"  rdflib {query.name}: " + (f"{rows} rows, {seconds:.2f} s" if seconds is not None else "timeout"))

    print(f"Graph: {total:,} triples = {replicas} renamed copies of `{args.graph.name}` ({base:,} triples; "
          f"places, exchanges, process nodes and markets shared); "
          f"load: pyoxigraph {ox_load:.1f} s" + (f", rdflib {rl_load:.1f} s" if rl_load is not None else "") + ".\n")
    print("| query | rows | pyoxigraph | rdflib |")
    print("|---|---:|---:|---:|")
    for query in queries:
        rows, seconds = ox_times[query.name]
        if args.no_rdflib:
            rdflib_cell = "not run"
        else:
            rl_rows, rl_seconds = rl_times[query.name]
            rdflib_cell = f"> {args.rdflib_timeout:g} s" if rl_seconds is None else f"{rl_seconds:.2f} s"
            if rl_rows is not None and rl_rows != rows:
                rdflib_cell += f" ({rl_rows} rows!)"
        print(f"| `@{query.name}` | {rows:,} | {seconds:.3f} s | {rdflib_cell} |")


if __name__ == "__main__":
    main()
