"""SPARQL over the exported graph: load once, run read-only queries fast (pyoxigraph), format the answer.

    graph file ─► GraphStore (pyoxigraph, in memory) ─► run(query) ─► QueryResult ─► format_result(...)

Standard prefixes (``kg: id: doc: ev: rdf: rdfs: owl: skos: xsd: prov: dcterms:``, see
:data:`kg.namespaces.PREFIXES`) need not be declared. Only reads are allowed: SPARQL UPDATE, ``LOAD`` and
``SERVICE`` are refused before anything runs. The named analyst questions live in ``queries/*.rq``;
a named query declares its parameters in comment lines (``# param: name (literal, default 英伟达) — …``)
and ``--param name=value`` binds them as RDF terms through the engine's ``substitutions`` (never by
pasting user text into the query).

``kg query`` runs under :class:`Limits`: a time limit and a memory cap (the query runs in a forked child
process that is killed when it overruns; the engine's own failures, e.g. a Rust panic, end there too),
and row and byte caps on the answer, which is collected as a stream and stopped at the cap.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence
from xml.sax.saxutils import escape as xml_escape

from kg.errors import (InputError, QueryError, QueryRefused, QuerySyntaxError, QueryTimeout, QueryTooHeavy,
                       ResultTooLarge)
from kg.namespaces import PREFIXES, RDF_LANG_STRING, XSD_STRING

__all__ = [
    "FORMATS", "GraphStore", "Limits", "NamedQuery", "QueryParam", "QueryResult", "QueryRefused",
    "QuerySyntaxError", "QueryTimeout", "QueryTooHeavy", "ResultTooLarge", "bind_params", "check_read_only",
    "default_queries_dir", "format_result", "load_rdflib_graph", "named_queries", "parse_params",
    "prefix_header", "resolve_query", "run_guarded", "run_query", "run_rdflib", "with_prefixes",
]

#: Output formats of ``kg query``. CONSTRUCT/DESCRIBE always give Turtle (``ntriples`` on request).
FORMATS = ("table", "csv", "tsv", "json", "xml")
_XSD_STRING = XSD_STRING
_LANG_STRING = RDF_LANG_STRING
_RDFS_LABEL = str(PREFIXES["rdfs"]) + "label"
STANDARD_PREFIXES = {name: str(iri) for name, iri in PREFIXES.items()}


@dataclass(frozen=True)
class Limits:
    """What one ``kg query`` may use. ``None`` (or 0 on the command line) lifts a limit.

    ``timeout`` seconds of wall time and ``max_memory`` bytes of extra address space are enforced on a
    forked child process (POSIX only; elsewhere the query runs in-process with the row and byte caps
    only); ``max_rows`` rows (or triples) and ``max_bytes`` bytes of answer stop the answer's stream."""

    timeout: float | None = 60.0
    max_rows: int | None = 100_000
    max_bytes: int | None = 64 * 2**20
    max_memory: int | None = 2 * 2**30

    @property
    def isolated(self) -> bool:
        return hasattr(os, "fork") and (self.timeout is not None or self.max_memory is not None)


# --------------------------------------------------------------------------------------------------
# Named queries


PARAM_KINDS = {
    "literal": "TEXT",           # a plain string literal
    "entity": "ENTITY",          # id:Slug, Slug, <iri>, or a label or alias found in the graph
    "property": "PROPERTY",      # kg:develops, develops, or <iri>
    "term": "ENTITY|NUMBER",     # an entity as above, a number (xsd:decimal), or "quoted text"
}
_PARAM_RE = re.compile(
    r"^\s*#\s*param:\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*"
    r"\((?P<kind>[a-z]+)(?:\s*,\s*(?:(?P<optional>optional)|default\s+(?P<default>[^)]*?)))?\s*\)"
    r"\s*(?:[\u2014\u2013-]+\s*(?P<help>.*?))?\s*$")


@dataclass(frozen=True)
class QueryParam:
    """One declared parameter of a named query: the variable ``?name`` bound by ``--param name=value``.

    Declared in the ``.rq`` file as ``# param: name (kind[, default VALUE | , optional]) — help``, where
    kind is one of :data:`PARAM_KINDS`. A parameter with neither default nor ``optional`` is required.
    The variable must be in the query's SELECT projection (the engine binds projected variables only)."""

    name: str
    kind: str
    default: str | None = None
    optional: bool = False
    help: str = ""

    @property
    def required(self) -> bool:
        return self.default is None and not self.optional

    def describe(self) -> str:
        extra = f" (default {self.default})" if self.default is not None else " (optional)" if self.optional \
            else " (required)"
        return f"--param {self.name}={PARAM_KINDS[self.kind]}{extra}" + (f"  {self.help}" if self.help else "")


def declared_params(text: str, where: str = "query") -> tuple[QueryParam, ...]:
    """The ``# param:`` declarations of a query text. Raises :class:`~kg.errors.ConfigError` for a
    malformed declaration."""
    from kg.errors import ConfigError

    found: list[QueryParam] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not re.match(r"\s*#\s*param\b", line):
            continue
        match = _PARAM_RE.match(line)
        if not match or match.group("kind") not in PARAM_KINDS:
            raise ConfigError(f"{where} line {number}: cannot read the parameter declaration {line.strip()!r}; "
                              f"write '# param: NAME (KIND[, default VALUE | , optional]) — help', KIND one of "
                              f"{', '.join(PARAM_KINDS)}")
        if any(p.name == match.group("name") for p in found):
            raise ConfigError(f"{where} line {number}: parameter {match.group('name')!r} is declared twice")
        found.append(QueryParam(match.group("name"), match.group("kind"),
                                match.group("default").strip() if match.group("default") else None,
                                bool(match.group("optional")), (match.group("help") or "").strip()))
    return tuple(found)


@dataclass(frozen=True)
class NamedQuery:
    """One analyst question: ``queries/<name>.rq``, whose first comment line is the question, and whose
    ``# param:`` lines declare its parameters."""

    name: str
    question: str
    path: Path
    text: str
    params: tuple[QueryParam, ...] = ()


def default_queries_dir() -> Path:
    """``queries/`` of the resource home (kg.resources)."""
    from kg import resources

    return resources.queries_dir()


def named_queries(directory: Path | None = None) -> list[NamedQuery]:
    """Every ``*.rq`` in ``directory``, sorted by name."""
    directory = Path(directory) if directory is not None else default_queries_dir()
    if not directory.is_dir():
        raise InputError(f"no query library at {directory}: pass --queries DIR")
    found = []
    for path in sorted(directory.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        first = text.lstrip().splitlines()[0] if text.strip() else ""
        question = first.lstrip("#").strip() if first.startswith("#") else ""
        found.append(NamedQuery(path.stem, question, path, text, declared_params(text, path.name)))
    return found


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:   # e.g. a long query text taken for a file name
        return False


def resolve_query(arg: str, directory: Path | None = None) -> str:
    """The query text for ``kg query`` 's argument: ``@name``, a ``.rq``/``.sparql`` file, or the query itself."""
    return _resolve(arg, directory)[0]


def _resolve(arg: str, directory: Path | None = None) -> tuple[str, str]:
    """(query text, how to call it in messages)."""
    return _resolve_text(arg, directory), (arg if arg.startswith("@") else "the query")


def _resolve_text(arg: str, directory: Path | None = None) -> str:
    if arg.startswith("@"):
        name = arg[1:]
        library = {q.name: q for q in named_queries(directory)}
        if name not in library:
            known = ", ".join(sorted(library)) or "none"
            raise InputError(f"no named query {name!r}; known: {known} (see `kg query --list`)")
        return library[name].text
    if "\n" not in arg and len(arg) < 4096:
        path = Path(arg)
        if path.suffix in (".rq", ".sparql", ".txt") or (not re.search(r"\s", arg) and _is_file(path)):
            if not path.is_file():
                raise InputError(f"query file {arg} not found")
            return path.read_text(encoding="utf-8")
    return arg


# --------------------------------------------------------------------------------------------------
# Parameters: --param name=value, bound as RDF terms (pyoxigraph substitutions), never pasted as text


def parse_params(pairs: Sequence[str]) -> dict[str, str]:
    """``["name=英偉達", ...]`` as a dict. Raises :class:`InputError` for a pair without ``=`` or a
    parameter given twice."""
    params: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise InputError(f"--param {pair!r}: write --param NAME=VALUE (see `kg query --list`)")
        if name in params:
            raise InputError(f"--param {name} is given twice")
        params[name] = value
    return params


_NUMBER_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def bind_params(store: "GraphStore", declared: Sequence[QueryParam], given: dict[str, str], *,
                query_name: str = "the query") -> dict:
    """The ``substitutions`` for :meth:`GraphStore.run`: each declared parameter's value (given, else its
    default; optional ones left unbound) as a pyoxigraph term. Raises :class:`InputError` for an unknown,
    missing or unresolvable parameter."""
    import pyoxigraph as ox

    known = {p.name: p for p in declared}
    unknown = sorted(set(given) - set(known))
    if unknown:
        takes = ", ".join(p.name for p in declared) if declared else "no parameters"
        raise InputError(f"{query_name} has no parameter {', '.join(unknown)}; it takes {takes} "
                         "(see `kg query --list`)")
    out = {}
    for param in declared:
        value = given.get(param.name, param.default)
        if value is None:
            if param.required:
                raise InputError(f"{query_name} needs --param {param.name}={PARAM_KINDS[param.kind]}"
                                 + (f" ({param.help})" if param.help else ""))
            continue
        out[ox.Variable(param.name)] = _term_for(store, param, value, query_name)
    return out


def _term_for(store: "GraphStore", param: QueryParam, value: str, query_name: str):
    import pyoxigraph as ox

    where = f"--param {param.name}={value!r}"
    if param.kind == "literal":
        return ox.Literal(value)
    text = value.strip()
    if param.kind == "term":
        if _NUMBER_RE.fullmatch(text):
            return ox.Literal(text, datatype=ox.NamedNode(str(PREFIXES["xsd"]) + "decimal"))
        if len(text) >= 2 and text[0] == text[-1] == '"':
            return ox.Literal(text[1:-1])
    iri = _iri_of(text, default_namespace="kg" if param.kind == "property" else "id")
    if iri is not None:
        try:
            node = ox.NamedNode(iri)
        except ValueError:
            raise InputError(f"{where}: not a valid IRI") from None
        if param.kind == "property":
            if next(iter(store.store.quads_for_pattern(None, node, None)), None) is None:
                raise InputError(f"{where}: no fact in the graph uses the property {shorten(iri)}")
            return node
        if next(iter(store.store.quads_for_pattern(node, None, None)), None) is not None or text.startswith("<") \
                or re.match(r"[A-Za-z][\w.-]*:", text):
            return node
    if param.kind == "property":
        raise InputError(f"{where}: give a property such as kg:develops or develops")
    matches = store.entities_named(text)
    if len(matches) == 1:
        return ox.NamedNode(matches[0])
    if not matches:
        raise InputError(f"{where}: no entity has this id, label or alias "
                         f"(find one with: kg query @label-search --param name={text})")
    shown = ", ".join(f"{shorten(m)} ({store.label(m) or ''})" for m in matches[:8])
    raise InputError(f"{where} matches {len(matches)} entities: {shown}; give the id")


def _iri_of(text: str, default_namespace: str) -> str | None:
    """The IRI ``text`` spells (``<iri>``, ``http(s)://…``, ``prefix:local`` with a standard prefix, or a
    bare local name in ``default_namespace``), or ``None`` when it cannot be one (spaces, CJK …)."""
    if text.startswith("<") and text.endswith(">"):
        return text[1:-1]
    if re.match(r"https?://", text):
        return text
    prefix, sep, local = text.partition(":")
    if sep and prefix in STANDARD_PREFIXES:
        return STANDARD_PREFIXES[prefix] + local
    if re.fullmatch(r"[A-Za-z0-9_][\w.\-]*", text, flags=re.ASCII) and not text.endswith("."):
        return STANDARD_PREFIXES[default_namespace] + text
    return None


# --------------------------------------------------------------------------------------------------
# Lexing: find the keywords that matter, ignoring comments, strings and IRIs

_LEXER = re.compile(
    r"""
      (?P<comment>\#[^\n]*)
    | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
                 |'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<var>[?$][A-Za-z0-9_\u00b7-\uffff]+)
    | (?P<pname>[A-Za-z\u00c0-\uffff][\w.\-\u00b7-\uffff]*?:[\w.\-%:\u00b7-\uffff]*|:[\w.\-%:\u00b7-\uffff]*)
    | (?P<word>[A-Za-z_]+)
    | (?P<other>\S)
    """,
    re.VERBOSE | re.DOTALL,
)
_UPDATE_WORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
_DECLARED_RE = re.compile(r"(?i)\bPREFIX\s+([A-Za-z][\w\-.]*|):")


def keywords(text: str) -> list[str]:
    """Upper-cased bare keywords of the query, in order (comments, strings, IRIs, variables, prefixed names dropped)."""
    return [m.group("word").upper() for m in _LEXER.finditer(text) if m.lastgroup == "word"]


_keywords = keywords   # the old name, still imported by kg/serve.py


def check_read_only(text: str) -> None:
    """Raise :class:`QueryRefused` for SPARQL UPDATE, ``LOAD`` and ``SERVICE``.

    Works on tokens, not substrings: a ``SERVICE`` inside a string, IRI, comment or prefixed name is not
    a keyword. Update requests that slip past (unusual spellings) fail the query parser and are
    recognised there (see :meth:`GraphStore.run`).
    """
    words = keywords(text)
    operation = next((w for w in words if w not in ("PREFIX", "BASE")), "")
    if operation in _UPDATE_WORDS:
        raise QueryRefused(f"{operation} is a SPARQL UPDATE operation; this graph is read-only "
                           "(ask with SELECT, ASK, CONSTRUCT or DESCRIBE)")
    if "SERVICE" in words:
        raise QueryRefused("SERVICE (federated query) is refused: queries run over the local export only")
    if "LOAD" in words:
        raise QueryRefused("LOAD is refused: this graph is read-only")


def _looks_like_update(text: str) -> bool:
    """True when ``text`` parses as SPARQL UPDATE (rdflib's parser; nothing is executed)."""
    try:
        from rdflib.plugins.sparql.parser import parseUpdate

        parseUpdate(with_prefixes(text))
    except Exception:  # noqa: BLE001 - any parse failure means "not an update"
        return False
    return True


def declared_prefixes(text: str) -> set[str]:
    return {m.group(1) for m in _DECLARED_RE.finditer(_strip_comments(text))}


def _strip_comments(text: str) -> str:
    return _LEXER.sub(lambda m: " " if m.lastgroup == "comment" else m.group(0), text)


def prefix_header(text: str) -> str:
    """``PREFIX`` lines (on one line) for the standard prefixes ``text`` does not declare itself."""
    declared = declared_prefixes(text)
    return " ".join(f"PREFIX {name}: <{iri}>" for name, iri in STANDARD_PREFIXES.items() if name not in declared)


def with_prefixes(text: str) -> str:
    """``text`` with the missing standard prefixes declared on one extra first line."""
    header = prefix_header(text)
    return f"{header}\n{text}" if header else text


_POSITION_RE = re.compile(r"error at (\d+):(\d+): ?(.*)", re.DOTALL)


def _syntax_error(error: Exception, text: str) -> QueryError:
    message = str(error)
    match = _POSITION_RE.search(message)
    if _looks_like_update(text):
        return QueryRefused("SPARQL UPDATE is refused: this graph is read-only "
                            "(ask with SELECT, ASK, CONSTRUCT or DESCRIBE)")
    if not match:
        return QuerySyntaxError(_tidy(message))
    line, column = int(match.group(1)), int(match.group(2))
    lines = text.splitlines()
    error = QuerySyntaxError(_tidy(match.group(3)), line, column)
    if 0 < line <= len(lines):  # show the line and point at the column
        shown = lines[line - 1].replace("\t", " ")
        error.args = (f"{error.args[0]}\n  {shown}\n  {' ' * (column - 1)}^",)
    return error


def _tidy(message: str, limit: int = 160) -> str:
    """One line, and not the parser's whole character-class list."""
    message = " ".join(message.split())
    return message if len(message) <= limit else message[:limit].rstrip() + " …"


# --------------------------------------------------------------------------------------------------
# Results


@dataclass
class QueryResult:
    """The answer to one query. ``form`` is ``select``, ``ask`` or ``graph`` (CONSTRUCT/DESCRIBE).

    Terms are pyoxigraph terms (``NamedNode``, ``Literal``, ``BlankNode``); an unbound cell is ``None``.
    """

    form: str
    variables: tuple[str, ...] = ()
    rows: list[tuple] = field(default_factory=list)
    boolean: bool | None = None
    triples: list = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows) if self.form == "select" else len(self.triples)


QUAD_SUFFIXES = (".nq", ".trig")


class GraphStore:
    """An exported graph loaded once into an in-memory pyoxigraph store, ready for many queries."""

    def __init__(self, store, path: Path | None = None):
        self.store = store
        self.path = path
        self._labels: dict[str, str | None] = {}
        #: a dataset (graph.nq, TriG) is queried as the union of its graphs unless a query says GRAPH
        self.union = path is not None and Path(path).suffix.lower() in QUAD_SUFFIXES

    @classmethod
    def load(cls, path: Path | str) -> "GraphStore":
        """Load a Turtle, N-Triples (or other RDF by extension) file. Raises :class:`InputError`."""
        import pyoxigraph as ox

        path = Path(path)
        if not path.is_file():
            raise InputError(f"graph {path} not found: run `kg rebuild` first or pass --graph FILE")
        fmt = ox.RdfFormat.from_extension(path.suffix.lstrip(".") or "ttl") or ox.RdfFormat.TURTLE
        store = ox.Store()
        try:
            store.bulk_load(path=str(path), format=fmt)
        except (SyntaxError, ValueError, OSError) as error:
            raise InputError(f"cannot load graph {path}: {error}") from error
        return cls(store, path)

    @classmethod
    def from_text(cls, turtle: str) -> "GraphStore":
        import pyoxigraph as ox

        store = ox.Store()
        store.load(turtle.encode("utf-8"), format=ox.RdfFormat.TURTLE)
        return cls(store)

    def __len__(self) -> int:
        return len(self.store)

    def run(self, text: str, *, max_rows: int | None = None, max_bytes: int | None = None,
            substitutions: dict | None = None) -> QueryResult:
        """Run one read-only query. ``substitutions`` ({Variable: term}, see :func:`bind_params`) binds
        projected variables before evaluation. Raises :class:`QuerySyntaxError`, :class:`QueryRefused`,
        :class:`ResultTooLarge` (more than ``max_rows`` rows or triples, or about ``max_bytes`` bytes
        of terms: the answer is read as a stream and dropped at the cap)."""
        import pyoxigraph as ox

        check_read_only(text)
        try:
            answer = self.store.query(text, prefixes=STANDARD_PREFIXES, substitutions=substitutions or None,
                                      use_default_graph_as_union=self.union)
        except SyntaxError as error:
            raise _syntax_error(error, text) from None
        except (OSError, ValueError, TypeError, RuntimeError) as error:
            raise QueryError(f"query failed: {_tidy(str(error))}") from None
        try:
            if isinstance(answer, ox.QueryBoolean):
                return QueryResult("ask", boolean=bool(answer))
            if isinstance(answer, ox.QuerySolutions):
                variables = tuple(v.value for v in answer.variables)
                rows = _capped((tuple(solution) for solution in answer), max_rows, max_bytes, "rows")
                return QueryResult("select", variables=variables, rows=rows)
            triples = _capped(((t.subject, t.predicate, t.object) for t in answer), max_rows, max_bytes, "triples")
            return QueryResult("graph", triples=[ox.Triple(*t) for t in triples])
        except (OSError, ValueError, TypeError, RuntimeError) as error:  # evaluation errors surface while iterating
            raise QueryError(f"query failed: {_tidy(str(error))}") from None

    def entities_named(self, name: str) -> list[str]:
        """IRIs of the entities with ``name`` as an ``rdfs:label`` or ``skos:altLabel`` (case-insensitive)."""
        import pyoxigraph as ox

        found = self.store.query(
            "SELECT DISTINCT ?name ?e WHERE { ?e rdfs:label|skos:altLabel ?l . "
            "FILTER(LCASE(STR(?l)) = LCASE(?name)) } ORDER BY ?e",
            prefixes=STANDARD_PREFIXES, substitutions={ox.Variable("name"): ox.Literal(name)},
            use_default_graph_as_union=self.union)
        return [row["e"].value for row in found if isinstance(row["e"], ox.NamedNode)]

    def label(self, iri: str, lang: str = "zh-hant") -> str | None:
        """The entity's ``rdfs:label`` in ``lang`` (else English, else any), or ``None``."""
        key = f"{lang}\t{iri}"
        if key not in self._labels:
            import pyoxigraph as ox

            labels = {}
            for quad in self.store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(_RDFS_LABEL), None):
                labels.setdefault((quad.object.language or "").lower(), quad.object.value)
            preferred = (lang.lower(), "en", "zh-hans", "")
            self._labels[key] = next((labels[k] for k in preferred if k in labels),
                                     next(iter(labels.values()), None))
        return self._labels[key]


def _capped(items: Iterable, cap: int | None, max_bytes: int | None, what: str) -> list:
    out = []
    size = 0
    for item in items:
        if cap is not None and len(out) >= cap:
            raise ResultTooLarge(f"the answer has more than {cap} {what} (the cap); add LIMIT/OFFSET to page "
                                 "through it, or raise --max-rows")
        if max_bytes is not None:
            size += sum(len(t.value.encode("utf-8")) + 3 for t in item if t is not None) + 1
            if size > max_bytes:
                raise ResultTooLarge(f"the answer is larger than {_size(max_bytes)} (the cap) after {len(out)} "
                                     f"{what}; select fewer or shorter values, add LIMIT, or raise --max-bytes")
        out.append(item)
    return out


def parse_size(text: str) -> int | None:
    """``"64M"`` -> 67108864 (K, M, G: powers of 1024; a plain number is bytes); ``"0"`` -> ``None`` (no cap).
    Raises ValueError."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]?)i?B?\s*", text, re.IGNORECASE)
    if not match:
        raise ValueError(f"{text!r} is not a size (e.g. 64M, 2G, 500000)")
    value = int(float(match.group(1)) * {"": 1, "K": 2**10, "M": 2**20, "G": 2**30}[match.group(2).upper()])
    return value or None


def _size(n: int) -> str:
    for unit, factor in (("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if n >= factor:
            return f"{n / factor:g} {unit}"
    return f"{n} bytes"


# --------------------------------------------------------------------------------------------------
# Formatting


def shorten(iri: str) -> str:
    """``id:MXN100`` for an IRI in a standard namespace, else ``<iri>``."""
    best = ""
    for name, base in STANDARD_PREFIXES.items():
        if iri.startswith(base) and len(base) > len(STANDARD_PREFIXES.get(best, "")):
            rest = iri[len(base):]
            if re.fullmatch(r"[\w\-.]*", rest) and not rest.endswith("."):
                best = name
    return f"{best}:{iri[len(STANDARD_PREFIXES[best]):]}" if best else f"<{iri}>"


def _cell(term, labeller: Callable[[str], str | None] | None) -> str:
    import pyoxigraph as ox

    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        label = labeller(term.value) if labeller else None
        return label if label is not None else shorten(term.value)
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Literal):
        return term.value.replace("\n", " ")
    return str(term)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _table(result: QueryResult, labeller) -> str:
    header = list(result.variables)
    body = [[_cell(term, labeller) for term in row] for row in result.rows]
    widths = [max([_width(h)] + [_width(r[i]) for r in body]) for i, h in enumerate(header)]
    lines = ["  ".join(_pad(h, w) for h, w in zip(header, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(_pad(c, w) for c, w in zip(row, widths)).rstrip() for row in body]
    lines.append(f"({len(body)} row{'s' if len(body) != 1 else ''})")
    return "\n".join(lines) + "\n"


def _json_term(term) -> dict:
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != _XSD_STRING:
        out["datatype"] = term.datatype.value
    return out


def _json(result: QueryResult) -> str:
    if result.form == "ask":
        return json.dumps({"head": {}, "boolean": result.boolean}) + "\n"
    bindings = [{v: _json_term(t) for v, t in zip(result.variables, row) if t is not None} for row in result.rows]
    return json.dumps({"head": {"vars": list(result.variables)}, "results": {"bindings": bindings}},
                      ensure_ascii=False, indent=1) + "\n"


def _csv(result: QueryResult) -> str:
    import pyoxigraph as ox

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if result.form == "ask":
        writer.writerow(["_askResult"])
        writer.writerow(["true" if result.boolean else "false"])
        return buffer.getvalue()
    writer.writerow(result.variables)
    for row in result.rows:
        writer.writerow(["" if t is None else f"_:{t.value}" if isinstance(t, ox.BlankNode) else t.value for t in row])
    return buffer.getvalue()


def _tsv(result: QueryResult) -> str:
    if result.form == "ask":
        return "?_askResult\n" + ("true" if result.boolean else "false") + "\n"
    lines = ["\t".join(f"?{v}" for v in result.variables)]
    lines += ["\t".join("" if t is None else str(t) for t in row) for row in result.rows]
    return "\n".join(lines) + "\n"


def _xml(result: QueryResult) -> str:
    import pyoxigraph as ox

    out = ['<?xml version="1.0"?>', '<sparql xmlns="http://www.w3.org/2005/sparql-results#">', "<head>"]
    if result.form == "ask":
        out += ["</head>", f"<boolean>{'true' if result.boolean else 'false'}</boolean>", "</sparql>"]
        return "\n".join(out) + "\n"
    out += [f'<variable name="{v}"/>' for v in result.variables] + ["</head>", "<results>"]
    for row in result.rows:
        out.append("<result>")
        for var, term in zip(result.variables, row):
            if term is None:
                continue
            if isinstance(term, ox.NamedNode):
                value = f"<uri>{xml_escape(term.value)}</uri>"
            elif isinstance(term, ox.BlankNode):
                value = f"<bnode>{xml_escape(term.value)}</bnode>"
            elif term.language:
                value = f'<literal xml:lang="{term.language}">{xml_escape(term.value)}</literal>'
            elif term.datatype.value != _XSD_STRING:
                value = f'<literal datatype="{xml_escape(term.datatype.value)}">{xml_escape(term.value)}</literal>'
            else:
                value = f"<literal>{xml_escape(term.value)}</literal>"
            out.append(f'<binding name="{var}">{value}</binding>')
        out.append("</result>")
    out += ["</results>", "</sparql>"]
    return "\n".join(out) + "\n"


def _graph(result: QueryResult, fmt: str) -> str:
    import pyoxigraph as ox

    rdf_format = ox.RdfFormat.N_TRIPLES if fmt in ("ntriples", "nt") else ox.RdfFormat.TURTLE
    data = ox.serialize(result.triples, format=rdf_format, prefixes=STANDARD_PREFIXES)
    return (data or b"").decode("utf-8")


def format_result(result: QueryResult, fmt: str = "table", *,
                  labeller: Callable[[str], str | None] | None = None) -> str:
    """Render ``result``: ``table`` (labels instead of IRIs when ``labeller`` is given), SPARQL 1.1
    Results ``json``/``csv``/``tsv``/``xml``; CONSTRUCT/DESCRIBE as Turtle (or ``ntriples``)."""
    if result.form == "graph":
        return _graph(result, fmt)
    if fmt == "table":
        if result.form == "ask":
            return ("yes" if result.boolean else "no") + "\n"
        return _table(result, labeller)
    renderers = {"json": _json, "csv": _csv, "tsv": _tsv, "xml": _xml}
    if fmt not in renderers:
        raise QueryError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return renderers[fmt](result)


def dataset_for(graph: Path, text: str) -> Path:
    """A query that names graphs (GRAPH ?doc {…}) reads the per-document dataset written beside the
    graph (exports/graph.nq next to exports/graph.ttl) when there is one; any other query the graph."""
    if graph.suffix.lower() not in QUAD_SUFFIXES and re.search(r"\bGRAPH\b", _strip_comments(text), re.I):
        quads = graph.with_suffix(".nq")
        if quads.is_file():
            return quads
    return graph


def run_query(graph: Path | str, query: str, fmt: str = "table", *, queries_dir: Path | None = None,
              lang: str = "zh-hant", params: dict[str, str] | None = None, limits: Limits | None = None) -> str:
    """Load ``graph``, run ``query`` (text, file or ``@name``) with ``params`` bound to its declared
    parameters, within ``limits`` (default :class:`Limits`), and return the formatted answer."""
    text, name = _resolve(query, queries_dir)
    store = GraphStore.load(dataset_for(Path(graph), text))
    declared = declared_params(text, name)
    substitutions = bind_params(store, declared, params or {}, query_name=name)
    return run_guarded(store, text, fmt, limits if limits is not None else Limits(), lang=lang,
                       substitutions=substitutions)


def _answer(store: "GraphStore", text: str, fmt: str, limits: Limits, lang: str, substitutions) -> str:
    result = store.run(text, max_rows=limits.max_rows, max_bytes=limits.max_bytes, substitutions=substitutions)
    body = format_result(result, fmt, labeller=lambda iri: store.label(iri, lang))
    if limits.max_bytes is not None and len(body) > limits.max_bytes // 3 \
            and len(body.encode("utf-8")) > limits.max_bytes:
        raise ResultTooLarge(f"the formatted answer is larger than {_size(limits.max_bytes)} (the cap); "
                             "select fewer or shorter values, add LIMIT, or raise --max-bytes")
    return body


def run_guarded(store: "GraphStore", text: str, fmt: str = "table", limits: Limits | None = None, *,
                lang: str = "zh-hant", substitutions: dict | None = None) -> str:
    """The formatted answer to ``text``, computed within ``limits``.

    With a time limit or memory cap (and ``os.fork``), the query runs in a forked child that shares the
    loaded store: the child gets an address-space limit (``RLIMIT_AS``: what it has plus ``max_memory``)
    and is killed at the deadline; the engine's own crashes (a Rust panic aborts the process) end there
    as well. Raises :class:`QueryTimeout`, :class:`QueryTooHeavy`, :class:`ResultTooLarge` and the
    errors of :meth:`GraphStore.run`."""
    limits = limits if limits is not None else Limits()
    if not limits.isolated:
        try:
            return _answer(store, text, fmt, limits, lang, substitutions)
        except MemoryError:
            raise QueryTooHeavy("the query ran out of memory; narrow it or add LIMIT") from None
    check_read_only(text)   # refuse before forking
    import resource  # noqa: F401 - imported here, not in every child
    import selectors  # noqa: F401
    import tempfile

    address_space = _address_space_limit(limits.max_memory) if limits.max_memory is not None else None
    sys.stdout.flush()
    sys.stderr.flush()
    read_end, write_end = os.pipe()
    errors = tempfile.TemporaryFile()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child; coverage does not follow forks
        _child(store, text, fmt, limits, lang, substitutions, read_end, write_end, errors, address_space)
    os.close(write_end)
    timed_out = True   # until the answer is read: an interrupt while waiting kills the child too
    try:
        message, timed_out = _read_child(read_end, limits.timeout)
    finally:
        os.close(read_end)
        if timed_out:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _, status = os.waitpid(pid, 0)
    if timed_out:
        errors.close()
        raise QueryTimeout(f"the query ran longer than the {limits.timeout:g} s limit and was stopped; "
                           "narrow it, add LIMIT, or raise --timeout")
    errors.seek(0)
    stderr = errors.read().decode("utf-8", "replace")
    errors.close()
    return _child_answer(message, status, stderr, limits)


def _child(store, text, fmt, limits, lang, substitutions, read_end, write_end, errors,
           address_space: int | None) -> None:  # pragma: no cover
    code = 0
    try:
        os.close(read_end)
        os.dup2(errors.fileno(), 2)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        import faulthandler

        faulthandler.disable()   # an engine abort is reported by the parent, not dumped by the child
        _limit_address_space(address_space)
        try:
            payload = b"ok\n" + _answer(store, text, fmt, limits, lang, substitutions).encode("utf-8")
        except MemoryError:
            payload = b"memory\n"
        except QueryError as error:
            payload = f"error\n{type(error).__name__}\n{error}".encode("utf-8")
        except Exception as error:  # noqa: BLE001 - reported as one line by the parent
            payload = f"error\nQueryError\nquery failed: {_tidy(str(error))}".encode("utf-8")
        view = memoryview(payload)
        while view:
            view = view[os.write(write_end, view[:1 << 20]):]
    except BaseException:  # noqa: BLE001 - never return into the parent's code
        code = 70
    finally:
        os._exit(code)


def _address_space_limit(extra: int) -> int | None:
    """This process's address-space size plus ``extra`` bytes (read in the parent: cheaper than in the
    freshly forked child, whose every touched page is a copy-on-write fault), or ``None`` off Linux."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:")) + extra
    except (OSError, StopIteration, ValueError):
        return None


def _limit_address_space(limit: int | None) -> None:  # pragma: no cover - runs in the child
    import resource

    if limit is None:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _read_child(fd: int, timeout: float | None) -> tuple[bytes, bool]:
    """Everything the child writes, or (partial, True) when ``timeout`` passes first."""
    import selectors

    deadline = None if timeout is None else time.monotonic() + timeout
    chunks = []
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while True:
            wait = None if deadline is None else deadline - time.monotonic()
            if wait is not None and wait <= 0:
                return b"".join(chunks), True
            if not selector.select(wait):
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b"".join(chunks), False
            chunks.append(chunk)


def _child_answer(message: bytes, status: int, stderr: str, limits: Limits) -> str:
    head, _, body = message.partition(b"\n")
    if head == b"ok":
        return body.decode("utf-8")
    if head == b"error":
        kind, _, detail = body.decode("utf-8", "replace").partition("\n")
        raise {"QueryRefused": QueryRefused, "QuerySyntaxError": QueryError, "ResultTooLarge": ResultTooLarge,
               "QueryTooHeavy": QueryTooHeavy}.get(kind, QueryError)(detail)
    memory = f" (more than {_size(limits.max_memory)})" if limits.max_memory is not None else ""
    if head == b"memory" or "memory allocation" in stderr:
        raise QueryTooHeavy(f"the query needed more memory than its cap{memory} and was stopped; narrow it, "
                            "add LIMIT, or raise --max-memory")
    panic = re.search(r"panicked at [^\n]*\n([^\n]+)", stderr)
    if panic:
        raise QueryTooHeavy(f"the query engine (pyoxigraph) failed on this query: {_tidy(panic.group(1))}; "
                            "try rewriting it (for example ORDER BY fewer or same-typed values)")
    how = f"signal {-os.waitstatus_to_exitcode(status)}" if os.WIFSIGNALED(status) \
        else f"exit status {os.waitstatus_to_exitcode(status)}"
    raise QueryTooHeavy(f"the query process stopped unexpectedly ({how}){memory and ' — it may have hit the memory cap' + memory}")


# --------------------------------------------------------------------------------------------------
# rdflib, the second engine (tests and benchmark)


def load_rdflib_graph(path: Path | str):
    import rdflib

    return rdflib.Graph().parse(str(path))


def run_rdflib(graph, text: str, substitutions: dict | None = None) -> QueryResult:
    """Run ``text`` with rdflib's engine (undeclared standard prefixes prepended) as a :class:`QueryResult`
    of pyoxigraph terms, so both engines' answers compare directly. ``substitutions`` as for
    :meth:`GraphStore.run` (pyoxigraph variables and terms) become rdflib's ``initBindings``."""
    check_read_only(text)
    bindings = {v.value: _to_rdflib(t) for v, t in (substitutions or {}).items()}
    answer = graph.query(with_prefixes(text), initBindings=bindings or None)
    if answer.type == "ASK":
        return QueryResult("ask", boolean=bool(answer.askAnswer))
    if answer.type == "SELECT":
        variables = tuple(str(v) for v in answer.vars)
        rows = [tuple(_from_rdflib(term) for term in row) for row in answer]
        return QueryResult("select", variables=variables, rows=rows)
    import pyoxigraph as ox

    return QueryResult("graph", triples=[ox.Triple(*(_from_rdflib(t) for t in triple)) for triple in answer])


def _to_rdflib(term):
    import pyoxigraph as ox
    import rdflib

    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


def _from_rdflib(term):
    import pyoxigraph as ox
    import rdflib

    if term is None:
        return None
    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return ox.BlankNode(str(term))
    if term.language:
        return ox.Literal(str(term), language=term.language)
    if term.datatype is not None and str(term.datatype) != _LANG_STRING:
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
    return ox.Literal(str(term))


def comparable_rows(result: QueryResult) -> list[tuple]:
    """Rows as sortable tuples of strings, with the two engines' harmless differences removed:
    language tags lower-cased, numbers compared by value (oxigraph canonicalises ``7.0`` to ``7``)."""
    from decimal import Decimal, InvalidOperation

    numeric = {str(PREFIXES["xsd"]) + t for t in ("decimal", "integer", "double", "float", "int", "long",
                                                   "nonNegativeInteger", "positiveInteger")}

    def norm(term) -> str:
        if term is None:
            return ""
        import pyoxigraph as ox

        if isinstance(term, ox.Literal):
            if term.language:
                return f'"{term.value}"@{term.language.lower()}'
            if term.datatype.value in numeric:
                try:
                    return f"number:{Decimal(term.value).normalize()}"
                except InvalidOperation:
                    pass
            return f'"{term.value}"^^{term.datatype.value}'
        return str(term)

    if result.form == "ask":
        return [(str(result.boolean),)]
    items = result.rows if result.form == "select" else [(t.subject, t.predicate, t.object) for t in result.triples]
    return sorted(tuple(norm(t) for t in row) for row in items)


def question_of(text: str) -> str:
    """The first ``#`` comment line of a query."""
    for line in text.splitlines():
        if line.strip().startswith("#"):
            return line.strip().lstrip("#").strip()
        if line.strip():
            break
    return ""


def describe_library(queries: Sequence[NamedQuery]) -> str:
    """``kg query --list``: one line per named query, then one indented line per parameter."""
    width = max((len(q.name) for q in queries), default=0) + 1
    lines = []
    for q in queries:
        lines.append(f"@{q.name:<{width}} {q.question}\n")
        lines += [f"{'':<{width + 3}}{p.describe()}\n" for p in q.params]
    return "".join(lines)
