"""`kg serve`: a read-only SPARQL 1.1 Protocol endpoint over the latest export, a query page, and the export files.

    client ─► ThreadingHTTPServer ─► /sparql ─► QueryPool ─► fast-lane worker ──(past the slice)──► long lane
                                   ├► /query ─► the query page (kg/assets/query.*) and the named queries
                                   └► /<file> ─► a file inside the export directory (nothing outside it)

Queries run in worker processes (fresh interpreters), each holding the graph in memory:

* **Fast lane.** Every query starts on one of ``workers`` normal-priority workers. Most answer within the
  slice (0.25 s). A query still running then is *demoted*: its worker drops to the lowest CPU priority
  (nice 19) and leaves the fast lane, which gets a fresh worker. At most ``long_queries`` queries run in
  the long lane at once, at most ``long_per_client`` per client address; over that the query is stopped
  with 503 and ``Retry-After`` (a query text already seen to be long is refused before it runs). So
  heavy queries cannot take the workers or the CPU from light ones.
* **Limits.** A query that overruns the time limit is stopped by killing its worker. Each worker's
  address space is capped (``RLIMIT_AS``: its loaded size plus ``max_memory_mb``): a query that needs
  more dies alone and is reported as 503. Answers are capped in rows (``max_rows``) and in serialised
  bytes (``max_bytes``), so one huge ``GROUP_CONCAT`` row is refused too.
* **Reloads.** The graph file is watched by ``os.stat`` of the resolved path (device, inode, mtime,
  size), so a rebuild that switches a symlink is seen. A changed file is copied to a private snapshot
  and loaded by a new worker first; only when that succeeds do the workers move to it. A truncated or
  invalid file is a warning on stderr, and the last good graph goes on being served.
* **HTTP.** Backlog 1024; a socket timeout and a whole-request deadline (``client_timeout``) close slow
  or idle clients; at most ``max_connections`` at once. An error answer to a request whose body was not
  read closes the connection (no desync); a body shorter than its Content-Length is never executed.
  ``Accept`` types it cannot produce get 406; HEAD never runs a query. UPDATE, LOAD and SERVICE are
  refused (403), malformed requests get 400 with a message; nothing answers with a traceback.
"""
from __future__ import annotations

import hashlib
import html
import json
import mimetypes
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, unquote, urlsplit

from kg.errors import InputError, KgError, QueryError, QueryOutOfMemory, QueryTimeout, ServerBusy

__all__ = ["ServeOptions", "QueryPool", "QueryTimeout", "ServerBusy", "QueryOutOfMemory", "SparqlServer",
           "negotiate", "unacceptable", "serve_forever", "start_server"]

ASSETS = Path(__file__).resolve().parent / "assets"

#: result formats: name -> media type, per query form.
RESULT_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPH_TYPES = {
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
}
_ALIASES = {
    "application/json": "json", "text/json": "json", "json": "json", "srj": "json",
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml", "application/xml": "xml", "text/xml": "xml", "xml": "xml", "srx": "xml",
    "text/csv": "csv", "csv": "csv",
    "text/tab-separated-values": "tsv", "tsv": "tsv",
    "text/turtle": "turtle", "application/x-turtle": "turtle", "turtle": "turtle", "ttl": "turtle",
    "application/n-triples": "ntriples", "text/plain": "ntriples", "ntriples": "ntriples", "nt": "ntriples",
    "n-triples": "ntriples",
}
_WILDCARDS = ("*/*", "*", "application/*", "text/*")
_TEXT_TYPES = {".ttl": "text/turtle", ".nt": "application/n-triples", ".md": "text/markdown",
               ".rq": "application/sparql-query", ".graphml": "application/xml", ".csv": "text/csv"}
_PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
             "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


@dataclass(frozen=True)
class ServeOptions:
    """How ``kg serve`` runs: address, the per-query limits, the worker pool and its lanes, connection limits,
    the reload interval (``kg serve``'s options; :meth:`check` refuses values it cannot work with)."""

    host: str = "127.0.0.1"
    port: int = 8000
    timeout: float = 10.0          # seconds per query
    max_rows: int = 10000          # result-size cap: rows (SELECT) or triples (CONSTRUCT/DESCRIBE)
    max_bytes: int = 50 << 20      # result-size cap: bytes of the serialised answer
    max_memory_mb: int = 1024      # per worker: address space above its size once the graph is loaded
    workers: int = 2               # fast-lane worker processes
    long_queries: int = 2          # queries allowed past the fast slice at once (the long lane)
    long_per_client: int = 1       # ... of which from one client address
    fast_slice: float = 0.25       # seconds a query may run in the fast lane
    busy_delay: float = 1.0        # seconds before a 503 "busy" answer (slows clients that loop on it)
    client_timeout: float = 10.0   # socket timeout, and the deadline to send a whole request
    max_connections: int = 512     # open connections at once; more get 503 and are closed
    backlog: int = 1024            # listen queue
    max_request_bytes: int = 1_000_000
    reload_interval: float = 1.0   # seconds between checks of the graph file
    quiet: bool = False            # no per-request log lines

    def check(self) -> None:
        """Raise :class:`InputError` for a value the server cannot work with."""
        problems = []
        if not 0 <= self.port <= 65535:
            problems.append(f"port {self.port} is not in 0-65535")
        for name in ("timeout", "fast_slice", "client_timeout", "reload_interval"):
            if not getattr(self, name) > 0:
                problems.append(f"{name.replace('_', '-')} must be more than 0 (got {getattr(self, name)})")
        for name in ("max_rows", "max_bytes", "max_memory_mb", "workers", "long_queries", "long_per_client",
                     "max_connections", "backlog", "max_request_bytes"):
            if not getattr(self, name) >= 1:
                problems.append(f"{name.replace('_', '-')} must be at least 1 (got {getattr(self, name)})")
        if problems:
            raise InputError("; ".join(problems))


def _media_candidates(accept: str, requested: str) -> list[str]:
    candidates: list[tuple[float, int, str]] = []
    if requested:
        candidates.append((2.0, 0, requested.strip().lower()))
    for index, part in enumerate(accept.split(",")):
        media, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media.strip() and quality > 0:
            candidates.append((quality, index + 1, media.strip().lower()))
    return [media for _, _, media in sorted(candidates, key=lambda c: (-c[0], c[1]))]


def negotiate(form: str, accept: str = "", requested: str = "") -> tuple[str, str]:
    """(format name, media type) for a query form (``select``/``ask``/``graph``), from the ``format``/
    ``output`` parameter if given, else the ``Accept`` header; the form's default when nothing matches
    this form (a results type asked for a CONSTRUCT gives Turtle). See :func:`unacceptable` for 406."""
    table = GRAPH_TYPES if form == "graph" else RESULT_TYPES
    default = "turtle" if form == "graph" else "json"
    for media in _media_candidates(accept, requested):
        name = _ALIASES.get(media)
        if name in table:
            return name, table[name]
        if media in _WILDCARDS:
            return default, table[default]
    return default, table[default]


def unacceptable(accept: str = "", requested: str = "") -> str | None:
    """Why no answer can satisfy ``format``/``Accept`` (for a 406), or ``None`` when one can: an unknown
    ``format`` value, or an ``Accept`` header that names no type this endpoint writes and no wildcard."""
    known = "json, xml, csv, tsv (results), turtle, ntriples (graphs)"
    if requested and requested.strip().lower() not in _ALIASES:
        return f"unknown format {requested.strip()!r}; use one of {known}"
    if requested or not accept.strip():
        return None
    candidates = _media_candidates(accept, "")
    if any(media in _ALIASES or media in _WILDCARDS for media in candidates):
        return None
    asked = ", ".join(candidates) or accept.strip()
    return (f"cannot answer as {asked[:200]}; ask for application/sparql-results+json, "
            "application/sparql-results+xml, text/csv, text/tab-separated-values, text/turtle or "
            "application/n-triples (or pass format=json|xml|csv|tsv|turtle|ntriples)")


def _query_form(text: str) -> str:
    """``select``/``ask``/``graph`` from the query's first keyword (for HEAD, which runs nothing)."""
    try:
        from kg.query import _keywords  # the tokenizer kg.query uses for its read-only check
    except ImportError:  # pragma: no cover
        import re

        def _keywords(text):
            return [w.upper() for w in re.findall(r"\b[A-Za-z]+\b", re.sub(r"#[^\n]*|<[^>]*>|\"[^\"]*\"", " ", text))]
    for word in _keywords(text):
        if word in ("SELECT", "ASK"):
            return word.lower()
        if word in ("CONSTRUCT", "DESCRIBE"):
            return "graph"
    return "select"


# --------------------------------------------------------------------------------------------------
# Worker processes


def _answer_bytes(result) -> int:
    """A lower bound on the serialised size of a result: the characters of every term's value."""
    if result.form == "ask":
        return 0
    if result.form == "select":
        return sum(len(getattr(term, "value", "")) + 8 for row in result.rows for term in row if term is not None)
    return sum(len(t.subject.value) + len(t.predicate.value) + len(getattr(t.object, "value", "")) + 12
               for t in result.triples)


def _limit_memory(max_memory_mb: int) -> None:  # pragma: no cover - runs in a child process
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    size = 0
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    size = int(line.split()[1]) * 1024
    except OSError:
        pass
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = size + max_memory_mb * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _worker_main(conn, graph_path: str, max_rows: int, max_bytes: int, max_memory_mb: int) -> None:  # pragma: no cover
    """Load the graph, cap the address space, then answer (query, accept, format) messages until told
    to stop (``None``)."""
    from kg.query import GraphStore, ResultTooLarge, format_result

    try:
        store = GraphStore.load(graph_path)
    except (KgError, OSError, MemoryError) as error:
        conn.send(("failed", str(error)))
        return
    try:
        _limit_memory(max_memory_mb)
    except (OSError, ValueError) as error:
        conn.send(("failed", f"cannot cap the worker's memory: {error}"))
        return
    conn.send(("ready", len(store)))
    too_big = (f"the answer is larger than the {max_bytes:,} byte cap; "
               "select fewer or shorter values, or add LIMIT/OFFSET to page through it")
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if message is None:
            return
        text, accept, requested = message
        result = body = None
        try:
            result = store.run(text, max_rows=max_rows)
            if _answer_bytes(result) > max_bytes:
                raise ResultTooLarge(too_big)
            fmt, media = negotiate(result.form, accept, requested)
            body = format_result(result, fmt).encode("utf-8")
            result = None
            if len(body) > max_bytes:
                raise ResultTooLarge(too_big)
            conn.send(("ok", media, body))
        except MemoryError:
            result = body = None
            conn.send(("error", "QueryOutOfMemory", ""))
            return  # the pool replaces this worker
        except KgError as error:
            conn.send(("error", type(error).__name__, str(error)))
        except Exception as error:  # noqa: BLE001 - report, never crash the worker
            conn.send(("error", "QueryError", f"query failed: {error}"))
        except BaseException as error:  # a Rust panic surfaces as pyo3's PanicException (a BaseException)
            if isinstance(error, (KeyboardInterrupt, SystemExit)):
                raise
            result = body = None
            conn.send(("error", "EngineFailure", " ".join(str(error).split())[:240]))
            return  # the engine may be in a bad state: the pool replaces this worker


class _Worker:
    """One worker process (``python -m kg.serve --worker``), talking over a socket pair; a fresh
    interpreter rather than a fork, so nothing of the threaded server is inherited."""

    def __init__(self, graph_path: str, generation: int, options: ServeOptions, start_timeout: float):
        parent, child = socket.socketpair()
        env = dict(os.environ, MALLOC_ARENA_MAX="2", RUST_BACKTRACE="0")
        self.generation = generation
        self.demoted = False
        # the worker's stderr goes to a scratch file: after a crash its last lines say why
        self._stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kg.serve", "--worker", str(child.fileno()), graph_path, str(options.max_rows),
             str(options.max_bytes), str(options.max_memory_mb)],
            pass_fds=[child.fileno()], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=self._stderr, env=env)
        child.close()
        self.conn = Connection(parent.detach())
        if not self.conn.poll(start_timeout):
            self.kill()
            raise InputError(f"loading {graph_path} took more than {start_timeout:.0f} s")
        try:
            status, detail = self.conn.recv()
        except (EOFError, OSError):
            status, detail = "failed", "the query worker exited while loading the graph"
        if status != "ready":
            self.kill()
            raise InputError(str(detail))
        self.triples = detail

    @property
    def pid(self) -> int:
        return self.process.pid

    def demote(self) -> None:
        """Lowest CPU priority for every thread of the worker (Linux nice values are per thread)."""
        self.demoted = True
        try:
            tasks = [int(t) for t in os.listdir(f"/proc/{self.pid}/task")]
        except OSError:
            tasks = [self.pid]
        for task in tasks:
            try:
                os.setpriority(os.PRIO_PROCESS, task, 19)
            except OSError:
                pass

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            pass
        self.conn.close()
        self._stderr.close()

    def stop(self) -> None:
        try:
            self.conn.send(None)
            self.process.wait(2)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            pass
        self.kill()

    def why_it_died(self) -> tuple[str, str]:
        """(``memory`` | ``engine`` | ``unknown``, detail) for a worker that ended on its own."""
        try:
            code = self.process.wait(2)
        except subprocess.TimeoutExpired:
            return "unknown", ""
        try:
            self._stderr.seek(0)
            tail = self._stderr.read(1 << 16).decode("utf-8", "replace")
        except (OSError, ValueError):
            tail = ""
        if "memory allocation of" in tail or "MemoryError" in tail or "Cannot allocate memory" in tail:
            return "memory", ""
        panic = re.search(r"panicked at [^\n]*\n([^\n]+)", tail)
        if panic:
            return "engine", panic.group(1).strip()
        if code in (-signal.SIGABRT, -signal.SIGSEGV, -signal.SIGBUS) and not tail.strip():
            return "memory", ""  # an allocation failure that could not even print
        return "unknown", f"exit status {code}"


def _stamp(path: str) -> tuple[int, int, int, int] | None:
    """(device, inode, mtime, size) of the file ``path`` resolves to (symlinks followed), or ``None``."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size


class QueryPool:
    """Worker processes holding the graph: a fast lane, a long lane, time and memory limits, reloads.

    ``run`` answers one query. ``warnings`` keeps every warning printed (reloads that failed and so on).
    """

    def __init__(self, graph_path: Path | str, options: ServeOptions | None = None, *, workers: int | None = None,
                 max_rows: int | None = None, start_timeout: float = 300.0, watch: bool = True,
                 warn: Callable[[str], None] | None = None):
        options = options or ServeOptions()
        overrides = {k: v for k, v in (("workers", workers), ("max_rows", max_rows)) if v is not None}
        if overrides:
            from dataclasses import replace

            options = replace(options, **overrides)
        options.check()
        self.options = options
        self.graph_path = str(graph_path)
        if not Path(self.graph_path).is_file():
            raise InputError(f"graph {graph_path} not found: run `kg rebuild` first or pass --graph FILE")
        self.start_timeout = start_timeout
        self.warnings: list[str] = []
        self._warn = warn or (lambda message: print(message, file=sys.stderr, flush=True))
        self._lock = threading.Lock()
        self._slots = threading.Condition(self._lock)
        # idle workers by lane: "fast" serves every query first, "spare" starts known-long queries
        # (so they never take a fast worker); counts include workers being started
        self._idle: dict[str, queue.Queue[_Worker]] = {"fast": queue.Queue(), "spare": queue.Queue()}
        self._count = {"fast": 0, "spare": 0}
        self._target = {"fast": options.workers, "spare": 1}
        self._closed = False
        self._long = 0                     # queries in the long lane
        self._long_by_client: dict[str, int] = {}
        self._heavy: OrderedDict[str, float] = OrderedDict()   # query hashes seen to run long
        self._live: set[_Worker] = set()
        self._snapshots = Path(tempfile.mkdtemp(prefix="kg-serve-"))
        self._generation = 0
        self._stamp = _stamp(self.graph_path)
        self._pending: tuple | None = None
        self._rejected: tuple | None = None
        try:
            snapshot = self._snapshot(self.graph_path, 0)
            first = _Worker(str(snapshot), 0, options, start_timeout)
        except BaseException:
            shutil.rmtree(self._snapshots, ignore_errors=True)
            raise
        self._current = snapshot
        self.triples = first.triples
        self._live.add(first)
        self._count["fast"] = 1
        self._idle["fast"].put(first)
        for lane in ["fast"] * (options.workers - 1) + ["spare"]:
            with self._lock:
                self._count[lane] += 1
            self._spawn_idle(lane)
        self._watcher = None
        if watch:
            self._watcher = threading.Thread(target=self._watch, name="kg-serve-watch", daemon=True)
            self._watcher.start()

    # -- workers ----------------------------------------------------------------------------------
    def warn(self, message: str) -> None:
        self.warnings.append(message)
        self._warn(message)

    def pids(self) -> list[int]:
        with self._lock:
            return [w.pid for w in self._live]

    def _snapshot(self, source: str, generation: int) -> Path:
        """Copy the graph to a private file (so the last good graph survives whatever happens to the export)."""
        suffix = Path(source).suffix or ".ttl"
        target = self._snapshots / f"graph-{generation}{suffix}"
        for _ in range(3):
            before = _stamp(source)
            try:
                shutil.copyfile(source, target)
            except OSError as error:
                raise InputError(f"cannot read graph {source}: {error.strerror or error}") from None
            if before is not None and before == _stamp(source):
                return target
            time.sleep(0.2)
        raise InputError(f"graph {source} kept changing while it was read")

    def _spawn_idle(self, lane: str) -> None:
        """Start a worker on the current graph and put it in ``lane`` (already counted there)."""
        with self._lock:
            path, generation = self._current, self._generation
        try:
            worker = _Worker(str(path), generation, self.options, self.start_timeout)
        except KgError as error:
            with self._lock:
                self._count[lane] -= 1
            self.warn(f"kg serve: warning: cannot start a query worker: {error}")
            return
        with self._lock:
            self._live.add(worker)
            closed = self._closed
        if closed:
            self._retire(worker)
            return
        self._idle[lane].put(worker)

    def _top_up(self) -> None:
        """Start workers in the background until each lane has its number."""
        starts = []
        with self._lock:
            if not self._closed:
                for lane, target in self._target.items():
                    missing = target - self._count[lane]
                    if missing > 0:
                        self._count[lane] += missing
                        starts += [lane] * missing
        for lane in starts:
            threading.Thread(target=self._spawn_idle, args=(lane,), daemon=True).start()

    def _retire(self, worker: _Worker, kill: bool = False) -> None:
        with self._lock:
            self._live.discard(worker)
        (worker.kill if kill else worker.stop)()

    def _leave_lane(self, lane: str = "fast") -> None:
        """A worker left ``lane`` (demoted, stopped or stale). The fast lane is refilled at once from the
        spare lane when a spare is ready, else by a new worker; the spare lane by a new worker."""
        promoted = None
        if lane == "fast":
            try:
                promoted = self._idle["spare"].get_nowait()
            except queue.Empty:
                pass
        with self._lock:
            self._count[lane] -= 1
            if promoted is not None:
                self._count["spare"] -= 1
                self._count["fast"] += 1
        if promoted is not None:
            self._idle["fast"].put(promoted)
        self._top_up()

    def _release(self, worker: _Worker) -> None:
        if worker.generation != self._generation or self._closed:
            self._leave_lane()
            threading.Thread(target=self._retire, args=(worker,), daemon=True).start()
        else:
            self._idle["fast"].put(worker)

    def _acquire(self, deadline: float, lane: str = "fast") -> _Worker:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise QueryTimeout("every query worker stayed busy until the time limit; try again later")
            try:
                worker = self._idle[lane].get(timeout=min(remaining, 1.0))
            except queue.Empty:
                self._top_up()  # a failed start is retried here
                continue
            if worker.generation == self._generation and worker.process.poll() is None:
                return worker
            self._leave_lane(lane)
            threading.Thread(target=self._retire, args=(worker,), daemon=True).start()

    # -- queries ----------------------------------------------------------------------------------
    def _long_slot(self, client: str, wait_until: float | None = None) -> str | None:
        """Take a long-lane slot for ``client`` (waiting until ``wait_until`` for one); the reason when none is free."""
        with self._slots:
            while True:
                if self._long >= self.options.long_queries:
                    reason = (f"the server is already running {self._long} long "
                              f"quer{'y' if self._long == 1 else 'ies'} (its limit)")
                elif self._long_by_client.get(client, 0) >= self.options.long_per_client:
                    reason = "you already have a long query running (one per client at a time)"
                else:
                    self._long += 1
                    self._long_by_client[client] = self._long_by_client.get(client, 0) + 1
                    return None
                remaining = (wait_until or 0) - time.monotonic()
                if remaining <= 0 or self._closed:
                    return reason + "; try again shortly, or narrow the query"
                self._slots.wait(min(remaining, 1.0))

    def _free_long_slot(self, client: str) -> None:
        with self._slots:
            self._long -= 1
            left = self._long_by_client.get(client, 1) - 1
            if left:
                self._long_by_client[client] = left
            else:
                self._long_by_client.pop(client, None)
            self._slots.notify_all()

    def _remember_heavy(self, key: str) -> None:
        with self._lock:
            self._heavy[key] = time.monotonic()
            self._heavy.move_to_end(key)
            while len(self._heavy) > 512:
                self._heavy.popitem(last=False)

    def run(self, text: str, *, timeout: float, accept: str = "", requested: str = "",
            client: str = "") -> tuple[str, bytes]:
        """(media type, body) for ``text``. Raises QueryError or a subclass: refused, syntax, too large,
        :class:`QueryTimeout`, :class:`ServerBusy`, :class:`QueryOutOfMemory`.

        A query text seen to run long before waits (up to ``timeout``) for a long-lane slot and then runs
        there directly, with the whole time limit; any other query starts in the fast lane."""
        key = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()
        with self._lock:
            known_heavy = key in self._heavy
        long_slot = False
        if known_heavy:
            reason = self._long_slot(client, wait_until=time.monotonic() + timeout)
            if reason:
                raise ServerBusy(f"{reason} (this query ran long before)")
            long_slot = True
        try:
            deadline = time.monotonic() + timeout
            worker = self._acquire(deadline, "spare" if long_slot else "fast")
            try:
                if long_slot:
                    self._leave_lane("spare")
                    worker.demote()
                worker.conn.send((text, accept, requested))
                if not long_slot:
                    fast_until = min(deadline, time.monotonic() + self.options.fast_slice)
                    if not worker.conn.poll(max(0.0, fast_until - time.monotonic())):
                        # past the slice: into the long lane at the lowest priority, or stopped
                        self._remember_heavy(key)
                        self._leave_lane()
                        worker.demote()
                        reason = self._long_slot(client)
                        if reason:
                            self._retire(worker, kill=True)
                            time.sleep(self.options.busy_delay)  # a client looping on 503 is slowed down
                            raise ServerBusy(reason)
                        long_slot = True
                if not worker.conn.poll(max(0.0, deadline - time.monotonic())):
                    self._retire(worker, kill=True)
                    raise QueryTimeout(f"the query ran longer than the {timeout:g} s limit and was stopped; "
                                       "narrow it or add LIMIT")
                reply = worker.conn.recv()
            except (EOFError, OSError):
                if not worker.demoted:
                    self._leave_lane()
                why, detail = worker.why_it_died()
                self._retire(worker, kill=True)
                if why == "memory":
                    raise QueryOutOfMemory(self._memory_message()) from None
                if why == "engine":
                    raise QueryError(f"the query engine (pyoxigraph) failed on this query: {_one_line(detail)}; "
                                     "try rewriting it (for example ORDER BY fewer or same-typed values)") from None
                raise QueryError(f"the query worker stopped unexpectedly ({detail or 'no reason given'}); "
                                 "try again") from None
        finally:
            if long_slot:
                self._free_long_slot(client)
        if reply[0] == "error" and reply[1] in ("QueryOutOfMemory", "EngineFailure"):
            if not worker.demoted:
                self._leave_lane()
            threading.Thread(target=self._retire, args=(worker, True), daemon=True).start()
            if reply[1] == "EngineFailure":
                raise QueryError(f"the query engine (pyoxigraph) failed on this query: {reply[2]}; "
                                 "try rewriting it (for example ORDER BY fewer or same-typed values)")
            raise QueryOutOfMemory(self._memory_message())
        if worker.demoted:  # a long-lane worker is not put back: its priority stays low
            threading.Thread(target=self._retire, args=(worker,), daemon=True).start()
        else:
            self._release(worker)
        if reply[0] == "ok":
            return reply[1], reply[2]
        from kg.query import QueryRefused, ResultTooLarge

        raise {"QueryRefused": QueryRefused, "ResultTooLarge": ResultTooLarge}.get(reply[1], QueryError)(reply[2])

    def _memory_message(self) -> str:
        return (f"the query needed more than the {self.options.max_memory_mb} MB a query worker may use "
                "and was stopped; narrow it, drop ORDER BY over large joins, or add LIMIT")

    # -- reloads ----------------------------------------------------------------------------------
    def _watch(self) -> None:
        while not self._closed:
            time.sleep(self.options.reload_interval)
            try:
                self.check_reload()
            except Exception as error:  # noqa: BLE001 - the watcher must not die
                self.warn(f"kg serve: warning: checking {self.graph_path} failed: {type(error).__name__}: {error}")

    def check_reload(self) -> bool:
        """Reload when the graph file changed and has stayed the same for one more check; True on a reload."""
        stamp = _stamp(self.graph_path)
        if stamp is None or stamp == self._stamp or stamp == self._rejected:
            self._pending = None
            return False
        if stamp != self._pending:      # changed: wait one interval for it to settle
            self._pending = stamp
            return False
        self._pending = None
        generation = self._generation + 1
        snapshot = None
        try:
            snapshot = self._snapshot(self.graph_path, generation)
            worker = _Worker(str(snapshot), generation, self.options, self.start_timeout)
        except KgError as error:
            self._rejected = stamp
            detail = _one_line(error)
            if snapshot is not None:  # name the export, not the private copy
                detail = detail.replace(str(snapshot), self.graph_path).replace(snapshot.name, Path(self.graph_path).name)
                snapshot.unlink(missing_ok=True)
            self.warn(f"kg serve: warning: {self.graph_path} changed but cannot be loaded ({detail}); "
                      f"still serving the previous graph ({self.triples} triples)")
            return False
        old = self._current
        with self._lock:
            self._live.add(worker)
            self._current, self._generation, self._stamp = snapshot, generation, stamp
            self._rejected = None
            self.triples = worker.triples
            self._count["fast"] += 1
        self._idle["fast"].put(worker)
        for lane, idle in self._idle.items():
            stale = []
            while True:
                try:
                    stale.append(idle.get_nowait())
                except queue.Empty:
                    break
            for item in stale:
                if item.generation == generation:
                    idle.put(item)
                else:
                    self._leave_lane(lane)
                    threading.Thread(target=self._retire, args=(item,), daemon=True).start()
        try:
            old.unlink()
        except OSError:
            pass
        self.warn(f"kg serve: reloaded {self.graph_path} ({self.triples} triples)")
        return True

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers = list(self._live)
        for worker in workers:
            threading.Thread(target=self._retire, args=(worker,), daemon=True).start()
        deadline = time.monotonic() + 5
        while self._live and time.monotonic() < deadline:
            time.sleep(0.05)
        shutil.rmtree(self._snapshots, ignore_errors=True)


def _one_line(error: Exception) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= 240 else text[:240] + " …"


# --------------------------------------------------------------------------------------------------
# HTTP


class _Handler(BaseHTTPRequestHandler):
    server: "SparqlServer"
    protocol_version = "HTTP/1.1"
    server_version = "kg-serve"
    sys_version = ""

    # -- plumbing ---------------------------------------------------------------------------------
    def setup(self) -> None:
        self.timeout = self.server.options.client_timeout
        super().setup()
        self._reading_since: float | None = time.monotonic()
        self.server.track(self, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self, False)

    def handle_one_request(self) -> None:
        self._reading_since = time.monotonic()   # the whole request must arrive within client_timeout
        self._body_declared = False
        self._body_read = False
        super().handle_one_request()
        self._reading_since = time.monotonic()   # idle keep-alive counts as reading the next request

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        if not self.server.options.quiet:
            super().log_message(format, *args)

    def _send(self, status: int, body: bytes, media: str, extra: dict[str, str] | None = None,
              length: int | None = None) -> None:
        self.send_response(status)
        charset = "; charset=utf-8" if media.startswith("text/") or media.endswith(
            ("json", "xml", "turtle", "triples", "javascript")) else ""
        self.send_header("Content-Type", media + charset)
        if status != HTTPStatus.NO_CONTENT and (length is None or length >= 0):  # -1: unknown (HEAD /sparql)
            self.send_header("Content-Length", str(len(body) if length is None else length))
        self.send_header("X-Content-Type-Options", "nosniff")
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        if self._body_declared and not self._body_read:
            # an unread body would be parsed as the next request: close instead
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def _error(self, status: int, message: str, extra: dict[str, str] | None = None) -> None:
        self._send(status, (message.rstrip() + "\n").encode("utf-8"), "text/plain", extra)

    def _guard(self, action: Callable[[], None]) -> None:
        self._reading_since = None
        length = self.headers.get("Content-Length")
        # a body we may not read: declared by Content-Length/Transfer-Encoding, or unknown (a POST without them)
        self._body_declared = bool(self.headers.get("Transfer-Encoding")) or (
            length.strip() != "0" if length is not None else self.command == "POST")
        try:
            action()
        except (TimeoutError, ConnectionError):
            self.close_connection = True
        except Exception as error:  # noqa: BLE001 - last resort: a message, never a traceback
            self.log_message("internal error: %s: %s", type(error).__name__, error)
            try:
                self._error(HTTPStatus.INTERNAL_SERVER_ERROR, "internal error; the server log has details")
            except OSError:
                self.close_connection = True

    def do_GET(self) -> None:
        self._guard(self._get)

    def do_HEAD(self) -> None:
        self._guard(self._get)

    def do_POST(self) -> None:
        self._guard(self._post)

    # -- routes -----------------------------------------------------------------------------------
    def _get(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/sparql":
            self._sparql(_form(url.query))
        elif url.path in ("/query", "/query/"):
            self._asset("query.html", "text/html", {"Content-Security-Policy": _PAGE_CSP})
        elif url.path == "/query/app.js":
            self._asset("query.js", "text/javascript")
        elif url.path == "/query/app.css":
            self._asset("query.css", "text/css")
        elif url.path == "/query/named.json":
            self._named()
        elif url.path == "/favicon.ico" and self.server.resolve_file(url.path) is None:
            self._send(HTTPStatus.NO_CONTENT, b"", "image/x-icon", {"Cache-Control": "max-age=86400"}, length=0)
        elif url.path in ("/", "/index.html") and self.server.resolve_file("/index.html") is None:
            self._index()
        else:
            self._file(url.path)

    def _post(self) -> None:
        url = urlsplit(self.path)
        if url.path != "/sparql":
            self._error(HTTPStatus.NOT_FOUND, "POST goes to /sparql")
            return
        if self.headers.get("Transfer-Encoding"):
            self._error(HTTPStatus.LENGTH_REQUIRED, "send the body with a Content-Length (chunked bodies are not accepted)")
            return
        lengths = self.headers.get_all("Content-Length") or []
        if not lengths:
            self._error(HTTPStatus.LENGTH_REQUIRED, "POST needs a Content-Length")
            return
        if len(set(v.strip() for v in lengths)) != 1 or not lengths[0].strip().isdigit():
            self._error(HTTPStatus.BAD_REQUEST, "Content-Length must be one non-negative integer")
            return
        length = int(lengths[0])
        if length > self.server.options.max_request_bytes:
            self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                        f"request body over {self.server.options.max_request_bytes} bytes")
            return
        self._reading_since = time.monotonic()
        try:
            raw = self.rfile.read(length)
        except (TimeoutError, OSError):
            raw = None
        self._reading_since = None
        if raw is None or len(raw) < length:
            # never run a partial body; say why if the client still listens, and close
            try:
                self._error(HTTPStatus.REQUEST_TIMEOUT, f"the body ended before its Content-Length ({length} bytes)")
            except OSError:
                pass
            self.close_connection = True
            return
        self._body_read = True
        media = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        params = _form(url.query)
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            self._error(HTTPStatus.BAD_REQUEST, "request body is not UTF-8")
            return
        if media == "application/x-www-form-urlencoded":
            for key, values in _form(body).items():
                params.setdefault(key, []).extend(values)
        elif media == "application/sparql-query":
            params.setdefault("query", []).append(body)
        elif media == "application/sparql-update":
            params.setdefault("update", []).append(body)
        else:
            self._error(HTTPStatus.BAD_REQUEST, "POST /sparql takes application/x-www-form-urlencoded "
                        f"or application/sparql-query, not {media or 'no Content-Type'}")
            return
        self._sparql(params)

    def _sparql(self, params: dict[str, list[str]]) -> None:
        from kg.query import QueryRefused, check_read_only

        if "update" in params:
            self._error(HTTPStatus.FORBIDDEN, "SPARQL UPDATE is refused: this endpoint is read-only")
            return
        queries = params.get("query", [])
        if len(queries) != 1 or not queries[0].strip():
            self._error(HTTPStatus.BAD_REQUEST, "give exactly one non-empty 'query' parameter "
                        "(GET /sparql?query=..., or POST a form or application/sparql-query body)")
            return
        if params.get("default-graph-uri") or params.get("named-graph-uri"):
            self._error(HTTPStatus.BAD_REQUEST, "default-graph-uri/named-graph-uri are not supported: "
                        "the export is a single default graph")
            return
        requested = (params.get("format") or params.get("output") or [""])[0]
        accept = self.headers.get("Accept", "")
        reason = unacceptable(accept, requested)
        if reason:
            self._error(HTTPStatus.NOT_ACCEPTABLE, reason)
            return
        text = queries[0]
        if self.command == "HEAD":  # never run a query for HEAD: check it, say what GET would send
            try:
                check_read_only(text)
            except QueryRefused as error:
                self._error(HTTPStatus.FORBIDDEN, str(error))
                return
            media = negotiate(_query_form(text), accept, requested)[1]
            self._send(HTTPStatus.OK, b"", media, {"Vary": "Accept"}, length=-1)
            return
        try:
            media, body = self.server.pool.run(text, timeout=self.server.options.timeout, accept=accept,
                                               requested=requested, client=self.client_address[0])
        except QueryError as error:
            extra = None
            if isinstance(error, QueryRefused):
                status = HTTPStatus.FORBIDDEN
            elif isinstance(error, (QueryTimeout, ServerBusy, QueryOutOfMemory)):
                status = HTTPStatus.SERVICE_UNAVAILABLE
                extra = {"Retry-After": "5"} if isinstance(error, ServerBusy) else None
            else:
                status = HTTPStatus.BAD_REQUEST
            self._error(status, str(error), extra)
            return
        self._send(HTTPStatus.OK, body, media, {"Vary": "Accept"})

    def _asset(self, name: str, media: str, extra: dict[str, str] | None = None) -> None:
        try:
            body = (ASSETS / name).read_bytes()
        except OSError:
            self._error(HTTPStatus.NOT_FOUND, f"the query page asset {name} is missing from this installation")
            return
        self._send(HTTPStatus.OK, body, media, {"Cache-Control": "no-cache", **(extra or {})})

    def _named(self) -> None:
        from kg.query import STANDARD_PREFIXES, named_queries

        try:
            library = [{"name": q.name, "question": q.question, "text": q.text}
                       for q in named_queries(self.server.queries_dir)]
        except (KgError, OSError, UnicodeDecodeError):
            library = []
        body = json.dumps({"queries": library, "prefixes": STANDARD_PREFIXES, "triples": self.server.pool.triples,
                           "timeout": self.server.options.timeout, "max_rows": self.server.options.max_rows},
                          ensure_ascii=False).encode("utf-8")
        self._send(HTTPStatus.OK, body, "application/json", {"Cache-Control": "no-cache"})

    def _index(self) -> None:
        root = self.server.export_dir
        try:
            files = sorted(p.name for p in root.iterdir() if not p.name.startswith(".") and p.is_file())
        except OSError:
            files = []
        items = "\n".join(f'<li><a href="/{html.escape(name)}">{html.escape(name)}</a></li>' for name in files)
        page = (
            "<!doctype html><meta charset=utf-8><title>cngpu-kg</title>"
            "<h1>China GPU/compute knowledge graph</h1>"
            f"<p>{self.server.pool.triples} triples. <a href=\"/query\">Query page</a>. SPARQL endpoint: "
            "<code>/sparql?query=…</code> (GET or POST, read-only).</p>"
            f"<h2>Exports</h2><ul>{items}</ul>"
        )
        self._send(HTTPStatus.OK, page.encode("utf-8"), "text/html")

    def _file(self, url_path: str) -> None:
        path = self.server.resolve_file(url_path)
        if path is None:
            self._error(HTTPStatus.NOT_FOUND, f"not found: {url_path}")
            return
        media = _TEXT_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        try:
            handle = path.open("rb")
        except OSError:
            self._error(HTTPStatus.NOT_FOUND, f"not found: {url_path}")
            return
        with handle:
            size = os.fstat(handle.fileno()).st_size
            self._send(HTTPStatus.OK, b"", media, length=size)
            if self.command != "HEAD":
                shutil.copyfileobj(handle, self.wfile, 1 << 16)


def _form(text: str) -> dict[str, list[str]]:
    return parse_qs(text, keep_blank_values=True)


class SparqlServer(ThreadingHTTPServer):
    """The HTTP server: a :class:`QueryPool` for /sparql, the query page, and the export directory."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, graph: Path | str, options: ServeOptions = ServeOptions(), queries_dir: Path | None = None):
        options.check()
        self.options = options
        self.graph_path = Path(graph).absolute()
        self.export_dir = self.graph_path.parent
        self.queries_dir = queries_dir
        self.request_queue_size = options.backlog
        self._connections: dict[_Handler, bool] = {}
        self._connections_lock = threading.Lock()
        self.pool = QueryPool(self.graph_path, options)
        try:
            super().__init__((options.host, options.port), _Handler)
        except (OSError, OverflowError) as error:
            self.pool.close()
            reason = getattr(error, "strerror", None) or error
            raise InputError(f"cannot listen on {options.host}:{options.port}: {reason}") from None
        self._reaper = threading.Thread(target=self._reap, name="kg-serve-reaper", daemon=True)
        self._reaper.start()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    # -- connections ------------------------------------------------------------------------------
    def track(self, handler: _Handler, alive: bool) -> None:
        with self._connections_lock:
            if alive:
                self._connections[handler] = True
            else:
                self._connections.pop(handler, None)

    def process_request(self, request, client_address) -> None:
        with self._connections_lock:
            busy = len(self._connections) >= self.options.max_connections
        if busy:
            try:
                request.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
                                b"Retry-After: 5\r\nConnection: close\r\nContent-Length: 32\r\n\r\n"
                                b"too many connections; try again\n")
            except OSError:
                pass
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def _reap(self) -> None:
        """Close connections that take longer than client_timeout to send a request (or sit idle)."""
        while True:
            time.sleep(min(1.0, self.options.client_timeout / 4))
            now = time.monotonic()
            with self._connections_lock:
                late = [h for h in self._connections
                        if getattr(h, "_reading_since", None) is not None
                        and now - h._reading_since > self.options.client_timeout]
            for handler in late:
                try:
                    handler.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def resolve_file(self, url_path: str) -> Path | None:
        """The export file a URL path names, or ``None``: only regular files inside the export
        directory, no dot-files, no ``..``, no symlinks pointing out (links within it, as a rebuild
        that publishes through ``current/`` makes, are fine)."""
        relative = unquote(url_path).lstrip("/") or "index.html"
        parts = relative.replace("\\", "/").split("/")
        if "\x00" in relative or any(part in ("", ".", "..") or part.startswith(".") for part in parts):
            return None
        try:
            root = self.export_dir.resolve()
            candidate = (self.export_dir / Path(*parts)).resolve()
            if not candidate.is_relative_to(root) or not candidate.is_file():
                return None
        except (OSError, RuntimeError, ValueError):
            return None
        return candidate

    def handle_error(self, request, client_address) -> None:
        """A dropped connection or similar: one line on stderr, not a traceback."""
        error = sys.exc_info()[1]
        if not self.options.quiet:
            print(f"kg serve: {client_address[0]}: {type(error).__name__}: {error}", file=sys.stderr)

    def server_close(self) -> None:
        super().server_close()
        self.pool.close()


def start_server(graph: Path | str, options: ServeOptions = ServeOptions(),
                 queries_dir: Path | None = None) -> tuple[SparqlServer, threading.Thread]:
    """Start serving in a background thread (tests, notebooks). Stop with ``server.shutdown(); server.server_close()``."""
    server = SparqlServer(graph, options, queries_dir)
    thread = threading.Thread(target=server.serve_forever, name="kg-serve", daemon=True)
    thread.start()
    return server, thread


def serve_forever(graph: Path | str, options: ServeOptions = ServeOptions(),
                  announce: Callable[[str], None] | None = None, queries_dir: Path | None = None) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM)."""
    server = SparqlServer(graph, options, queries_dir)
    if announce:
        announce(f"serving {server.graph_path} ({server.pool.triples} triples): query page at {server.url}/query, "
                 f"SPARQL at {server.url}/sparql, files at {server.url}/ (time limit {options.timeout:g} s, "
                 f"cap {options.max_rows} rows / {options.max_bytes / 2**20:.4g} MB, "
                 f"{options.max_memory_mb} MB per worker); Ctrl-C stops")

    def terminate(signum, frame):  # noqa: ARG001
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, terminate)
    except ValueError:  # not the main thread
        previous = None
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        server.server_close()


if __name__ == "__main__" and sys.argv[1:2] == ["--worker"]:  # pragma: no cover - the worker process
    _worker_main(Connection(int(sys.argv[2])), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]))
