"""The project's exceptions. The CLI turns each into a one-line message and an exit code.

KgError                      base; never raised itself
├── ConfigError              ontology, lexicon, shapes or model files are missing or malformed (exit 2)
├── InputError               the seeds directory is missing, empty or holds nothing readable (exit 2)
│   └── DecodeError          one file cannot be decoded as text (reported per file, the rest still built)
├── QueryError               a SPARQL query is malformed or refused (exit 2)
│   ├── QuerySyntaxError     it does not parse (line, column)
│   ├── QueryRefused         read-only mode refuses it (UPDATE, LOAD, SERVICE)
│   ├── ResultTooLarge       the answer exceeds the caller's cap
│   ├── QueryTimeout         it ran past its time limit (kg query, and kg serve's workers)
│   ├── QueryTooHeavy        it needed more memory than its cap, or the engine failed on it
│   ├── QueryOutOfMemory     kg serve: it needed more memory than a query worker may use
│   └── ServerBusy           kg serve: the long-query lane is full (HTTP 503, Retry-After)
├── ValidationError          the built graph does not conform to the SHACL shapes (exit 1)
├── OutputError              the environment: the exports cannot be written (not a directory, read-only,
│                            no space, file size limit, another rebuild holds the lock) (exit 3)
└── ClusterError             the environment: Dask missing, its scheduler unreachable, a worker lost (exit 3)
"""
from __future__ import annotations


class KgError(Exception):
    """Base of every error this package raises on purpose."""

    exit_code = 2


class ConfigError(KgError):
    """Ontology, lexicon, shapes or model files are missing or malformed."""


class InputError(KgError):
    """No usable input: the seeds directory is missing, empty or unreadable."""


class DecodeError(InputError):
    """A single file could not be decoded as text (binary, empty, unknown encoding)."""


class QueryError(KgError):
    """A SPARQL query is malformed, or asks for something read-only mode refuses."""


class QuerySyntaxError(QueryError):
    """The query does not parse. ``line`` and ``column`` are 1-based positions in the query as given."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        where = f" at line {line}, column {column}" if line is not None else ""
        super().__init__(f"SPARQL syntax error{where}: {message}")
        self.line, self.column, self.detail = line, column, message


class QueryRefused(QueryError):
    """The query asks for something read-only mode does not allow (UPDATE, LOAD, SERVICE)."""


class ResultTooLarge(QueryError):
    """The answer has more rows (or triples) or more bytes than the caller's cap."""


class QueryTimeout(QueryError):
    """The query ran longer than its time limit and was stopped."""


class QueryTooHeavy(QueryError):
    """The query needed more memory than its cap, or the engine failed on it; it was stopped."""


class QueryOutOfMemory(QueryError):
    """``kg serve``: a query needed more memory than a worker may use and was stopped."""


class ServerBusy(QueryError):
    """``kg serve``: the long lane is full (for everyone, or for this client): try again later."""


class ValidationError(KgError):
    """The built graph does not conform to the ontology's SHACL shapes."""

    exit_code = 1


class OutputError(KgError):
    """The environment, not the input: the exports cannot be written (``--out`` is a file or under one,
    read-only, no space left, a file size limit, another rebuild holds the lock). The previous exports
    are left as they were."""

    exit_code = 3


class ClusterError(KgError):
    """``kg rebuild --workers/--scheduler``: Dask is not installed, the scheduler cannot be reached, or a
    worker died (exit 3: the environment)."""

    exit_code = 3
