"""`kg serve`: a read-only SPARQL 1.1 Protocol endpoint over the latest export, plus the export files.

    client ─► ThreadingHTTPServer ─► /sparql ─► QueryPool ─► worker process (graph loaded once) ─► answer
                                   └► /<file> ─► a file inside the export directory (nothing outside it)

Queries run in worker processes, each holding the graph in memory: a query that overruns its time
limit is stopped by killing its worker, which is replaced, so one runaway query cannot hold the server.
A worker reloads the graph when the file changes (``kg rebuild`` writes it atomically). UPDATE, LOAD and
SERVICE are refused (403), malformed requests get a 400 with a message, an overrun a 503; nothing
answers with a traceback.
"""
from __future__ import annotations

import html
import mimetypes
import os
import queue
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from http import HTTPStatus
from multiprocessing.connection import Connection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, unquote, urlsplit

from kg.errors import InputError, KgError, QueryError

__all__ = ["ServeOptions", "QueryPool", "QueryTimeout", "SparqlServer", "negotiate", "serve_forever", "start_server"]

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
_TEXT_TYPES = {".ttl": "text/turtle", ".nt": "application/n-triples", ".md": "text/markdown", ".rq": "application/sparql-query"}


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    timeout: float = 10.0          # seconds per query
    max_rows: int = 10000          # result-size cap: rows (SELECT) or triples (CONSTRUCT/DESCRIBE)
    workers: int = 2               # query worker processes
    max_request_bytes: int = 1_000_000
    quiet: bool = False            # no per-request log lines


class QueryTimeout(QueryError):
    """A query ran past its time limit and was stopped."""


def negotiate(form: str, accept: str = "", requested: str = "") -> tuple[str, str]:
    """(format name, media type) for a query form (``select``/``ask``/``graph``), from the ``format``/
    ``output`` parameter if given, else the ``Accept`` header; the form's default when nothing matches."""
    table = GRAPH_TYPES if form == "graph" else RESULT_TYPES
    default = "turtle" if form == "graph" else "json"
    candidates: list[tuple[float, int, str]] = []
    if requested:
        candidates.append((2.0, 0, requested.strip().lower()))
    for index, part in enumerate(accept.split(",")):
        media, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media and quality > 0:
            candidates.append((quality, index + 1, media.strip().lower()))
    for _, _, media in sorted(candidates, key=lambda c: (-c[0], c[1])):
        name = _ALIASES.get(media)
        if name in table:
            return name, table[name]
        if media in ("*/*", "application/*", "text/*"):
            return default, table[default]
    return default, table[default]


# --------------------------------------------------------------------------------------------------
# Worker processes


def _worker_main(conn, graph_path: str, max_rows: int) -> None:  # pragma: no cover - runs in a child process
    """Load the graph, then answer (query, accept, format) messages until told to stop (``None``)."""
    from kg.query import GraphStore, format_result

    def load():
        stat = os.stat(graph_path)
        return GraphStore.load(graph_path), (stat.st_mtime_ns, stat.st_size)

    try:
        store, stamp = load()
    except (KgError, OSError) as error:
        conn.send(("failed", str(error)))
        return
    conn.send(("ready", len(store)))
    while True:
        try:
            message = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        if message is None:
            return
        text, accept, requested = message
        try:
            stat = os.stat(graph_path)
            if (stat.st_mtime_ns, stat.st_size) != stamp:
                store, stamp = load()
            result = store.run(text, max_rows=max_rows)
            fmt, media = negotiate(result.form, accept, requested)
            body = format_result(result, fmt).encode("utf-8")
            conn.send(("ok", media, body))
        except KgError as error:
            conn.send(("error", type(error).__name__, str(error)))
        except Exception as error:  # noqa: BLE001 - report, never crash the worker
            conn.send(("error", "QueryError", f"query failed: {error}"))


class _Worker:
    """One worker process (``python -m kg.serve --worker``), talking over a socket pair; a fresh
    interpreter rather than a fork, so nothing of the threaded server is inherited."""

    def __init__(self, graph_path: str, max_rows: int, start_timeout: float):
        parent, child = socket.socketpair()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kg.serve", "--worker", str(child.fileno()), graph_path, str(max_rows)],
            pass_fds=[child.fileno()], stdin=subprocess.DEVNULL)
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

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
        self.conn.close()

    def stop(self) -> None:
        try:
            self.conn.send(None)
            self.process.wait(2)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            pass
        self.kill()


class QueryPool:
    """A few worker processes holding the graph; ``run`` answers one query within a time limit."""

    def __init__(self, graph_path: Path | str, *, workers: int = 2, max_rows: int = 10000,
                 start_timeout: float = 300.0):
        self.graph_path = str(graph_path)
        if not Path(self.graph_path).is_file():
            raise InputError(f"graph {graph_path} not found: run `kg rebuild` first or pass --graph FILE")
        self.max_rows = max_rows
        self.start_timeout = start_timeout
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._closed = False
        first = self._spawn()
        self.triples = first.triples
        self._idle.put(first)
        for _ in range(max(1, workers) - 1):
            self._idle.put(self._spawn())

    def _spawn(self) -> _Worker:
        return _Worker(self.graph_path, self.max_rows, self.start_timeout)

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        if self._closed:
            return
        try:
            self._idle.put(self._spawn())
        except KgError as error:  # the graph became unreadable; keep serving files and report on stderr
            print(f"kg serve: cannot restart a query worker: {error}", file=sys.stderr)

    def run(self, text: str, *, timeout: float, accept: str = "", requested: str = "") -> tuple[str, bytes]:
        """(media type, body) for ``text``. Raises QueryError (or a subclass: refused, syntax, too large,
        QueryTimeout)."""
        try:
            worker = self._idle.get(timeout=timeout)
        except queue.Empty:
            raise QueryTimeout(f"every query worker stayed busy for {timeout:g} s; try again later") from None
        try:
            worker.conn.send((text, accept, requested))
            if not worker.conn.poll(timeout):
                threading.Thread(target=self._replace, args=(worker,), daemon=True).start()
                raise QueryTimeout(f"the query ran longer than the {timeout:g} s limit and was stopped; "
                                   "narrow it or add LIMIT")
            reply = worker.conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            threading.Thread(target=self._replace, args=(worker,), daemon=True).start()
            raise QueryError("the query worker stopped unexpectedly; try again") from None
        self._idle.put(worker)
        if reply[0] == "ok":
            return reply[1], reply[2]
        from kg.query import QueryRefused, ResultTooLarge

        raise {"QueryRefused": QueryRefused, "ResultTooLarge": ResultTooLarge}.get(reply[1], QueryError)(reply[2])

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                self._idle.get_nowait().stop()
            except queue.Empty:
                break


# --------------------------------------------------------------------------------------------------
# HTTP


class _Handler(BaseHTTPRequestHandler):
    server: "SparqlServer"
    protocol_version = "HTTP/1.1"
    server_version = "kg-serve"
    sys_version = ""

    # -- plumbing ---------------------------------------------------------------------------------
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        if not self.server.options.quiet:
            super().log_message(format, *args)

    def _send(self, status: int, body: bytes, media: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        charset = "; charset=utf-8" if media.startswith("text/") or media.endswith(("json", "xml", "turtle", "triples")) else ""
        self.send_header("Content-Type", media + charset)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, message: str) -> None:
        self._send(status, (message.rstrip() + "\n").encode("utf-8"), "text/plain")

    def _guard(self, action: Callable[[], None]) -> None:
        try:
            action()
        except Exception as error:  # noqa: BLE001 - last resort: a message, never a traceback
            self.log_message("internal error: %s: %s", type(error).__name__, error)
            try:
                self._error(HTTPStatus.INTERNAL_SERVER_ERROR, "internal error; the server log has details")
            except OSError:
                pass

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
        elif url.path in ("/", "/index.html") and not (self.server.export_dir / "index.html").is_file():
            self._index()
        else:
            self._file(url.path)

    def _post(self) -> None:
        url = urlsplit(self.path)
        if url.path != "/sparql":
            self._error(HTTPStatus.NOT_FOUND, "POST goes to /sparql")
            return
        length_header = self.headers.get("Content-Length")
        if length_header is None or not length_header.strip().isdigit():
            self._error(HTTPStatus.LENGTH_REQUIRED, "POST needs a Content-Length")
            return
        length = int(length_header)
        if length > self.server.options.max_request_bytes:
            self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                        f"request body over {self.server.options.max_request_bytes} bytes")
            return
        raw = self.rfile.read(length)
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
        try:
            media, body = self.server.pool.run(queries[0], timeout=self.server.options.timeout,
                                               accept=self.headers.get("Accept", ""), requested=requested)
        except QueryError as error:
            from kg.query import QueryRefused

            status = (HTTPStatus.FORBIDDEN if isinstance(error, QueryRefused)
                      else HTTPStatus.SERVICE_UNAVAILABLE if isinstance(error, QueryTimeout)
                      else HTTPStatus.BAD_REQUEST)
            self._error(status, str(error))
            return
        self._send(HTTPStatus.OK, body, media, {"Vary": "Accept"})

    def _index(self) -> None:
        files = sorted(p.name for p in self.server.export_dir.iterdir()
                       if p.is_file() and not p.name.startswith("."))
        items = "\n".join(f'<li><a href="/{html.escape(name)}">{html.escape(name)}</a></li>' for name in files)
        page = (
            "<!doctype html><meta charset=utf-8><title>cngpu-kg</title>"
            "<h1>China GPU/compute knowledge graph</h1>"
            f"<p>{self.server.pool.triples} triples. SPARQL endpoint: <code>/sparql?query=…</code> "
            "(GET or POST, read-only).</p>"
            f"<h2>Exports</h2><ul>{items}</ul>"
        )
        self._send(HTTPStatus.OK, page.encode("utf-8"), "text/html")

    def _file(self, url_path: str) -> None:
        path = self.server.resolve_file(url_path)
        if path is None:
            self._error(HTTPStatus.NOT_FOUND, f"not found: {url_path}")
            return
        media = _TEXT_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        self._send(HTTPStatus.OK, path.read_bytes(), media)


def _form(text: str) -> dict[str, list[str]]:
    return parse_qs(text, keep_blank_values=True)


class SparqlServer(ThreadingHTTPServer):
    """The HTTP server: a :class:`QueryPool` for /sparql and the export directory for everything else."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, graph: Path | str, options: ServeOptions = ServeOptions()):
        self.options = options
        self.graph_path = Path(graph)
        self.export_dir = self.graph_path.resolve().parent
        self.pool = QueryPool(self.graph_path, workers=options.workers, max_rows=options.max_rows)
        try:
            super().__init__((options.host, options.port), _Handler)
        except OSError as error:
            self.pool.close()
            raise InputError(f"cannot listen on {options.host}:{options.port}: {error.strerror or error}") from None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def resolve_file(self, url_path: str) -> Path | None:
        """The export file a URL path names, or ``None``: only regular files inside the export
        directory, no dot-files, no ``..``, no symlinks pointing out."""
        relative = unquote(url_path).lstrip("/") or "index.html"
        parts = relative.replace("\\", "/").split("/")
        if "\x00" in relative or any(part in ("", ".", "..") or part.startswith(".") for part in parts):
            return None
        candidate = (self.export_dir / Path(*parts)).resolve()
        if not candidate.is_relative_to(self.export_dir) or not candidate.is_file():
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


def start_server(graph: Path | str, options: ServeOptions = ServeOptions()) -> tuple[SparqlServer, threading.Thread]:
    """Start serving in a background thread (tests, notebooks). Stop with ``server.shutdown(); server.server_close()``."""
    server = SparqlServer(graph, options)
    thread = threading.Thread(target=server.serve_forever, name="kg-serve", daemon=True)
    thread.start()
    return server, thread


def serve_forever(graph: Path | str, options: ServeOptions = ServeOptions(),
                  announce: Callable[[str], None] | None = None) -> None:
    """Serve until interrupted (Ctrl-C)."""
    server = SparqlServer(graph, options)
    if announce:
        announce(f"serving {server.graph_path} ({server.pool.triples} triples): SPARQL at {server.url}/sparql, "
                 f"files at {server.url}/ (time limit {options.timeout:g} s, cap {options.max_rows} rows); Ctrl-C stops")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__" and sys.argv[1:2] == ["--worker"]:  # pragma: no cover - the worker process
    _worker_main(Connection(int(sys.argv[2])), sys.argv[3], int(sys.argv[4]))
