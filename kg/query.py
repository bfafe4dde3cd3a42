"""SPARQL over the exported graph: load once, run read-only queries fast (pyoxigraph), format the answer.

    graph file ─► GraphStore (pyoxigraph, in memory) ─► run(query) ─► QueryResult ─► format_result(...)

Standard prefixes (``kg: id: doc: ev: rdf: rdfs: owl: skos: xsd: prov: dcterms:``, see
:data:`kg.namespaces.PREFIXES`) need not be declared. Only reads are allowed: SPARQL UPDATE, ``LOAD`` and
``SERVICE`` are refused before anything runs. The named analyst questions live in ``queries/*.rq``.
"""
from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence
from xml.sax.saxutils import escape as xml_escape

from kg.errors import InputError, QueryError
from kg.namespaces import PREFIXES

__all__ = [
    "FORMATS", "GraphStore", "NamedQuery", "QueryResult", "QueryRefused", "QuerySyntaxError",
    "ResultTooLarge", "check_read_only", "default_queries_dir", "format_result", "load_rdflib_graph",
    "named_queries", "prefix_header", "resolve_query", "run_rdflib", "with_prefixes",
]

#: Output formats of ``kg query``. CONSTRUCT/DESCRIBE always give Turtle (``ntriples`` on request).
FORMATS = ("table", "csv", "tsv", "json", "xml")
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_RDFS_LABEL = str(PREFIXES["rdfs"]) + "label"
STANDARD_PREFIXES = {name: str(iri) for name, iri in PREFIXES.items()}


class QuerySyntaxError(QueryError):
    """The query does not parse. ``line`` and ``column`` are 1-based positions in the query as given."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        where = f" at line {line}, column {column}" if line is not None else ""
        super().__init__(f"SPARQL syntax error{where}: {message}")
        self.line, self.column, self.detail = line, column, message


class QueryRefused(QueryError):
    """The query asks for something read-only mode does not allow (UPDATE, LOAD, SERVICE)."""


class ResultTooLarge(QueryError):
    """The answer has more rows (or triples) than the caller's cap."""


# --------------------------------------------------------------------------------------------------
# Named queries


@dataclass(frozen=True)
class NamedQuery:
    """One analyst question: ``queries/<name>.rq``, whose first comment line is the question."""

    name: str
    question: str
    path: Path
    text: str


def default_queries_dir() -> Path:
    """``queries/`` next to the package (the repository checkout)."""
    return Path(__file__).resolve().parents[1] / "queries"


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
        found.append(NamedQuery(path.stem, question, path, text))
    return found


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:   # e.g. a long query text taken for a file name
        return False


def resolve_query(arg: str, directory: Path | None = None) -> str:
    """The query text for ``kg query`` 's argument: ``@name``, a ``.rq``/``.sparql`` file, or the query itself."""
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


def _keywords(text: str) -> list[str]:
    """Upper-cased bare keywords of the query, in order (comments, strings, IRIs, variables, prefixed names dropped)."""
    return [m.group("word").upper() for m in _LEXER.finditer(text) if m.lastgroup == "word"]


def check_read_only(text: str) -> None:
    """Raise :class:`QueryRefused` for SPARQL UPDATE, ``LOAD`` and ``SERVICE``.

    Works on tokens, not substrings: a ``SERVICE`` inside a string, IRI, comment or prefixed name is not
    a keyword. Update requests that slip past (unusual spellings) fail the query parser and are
    recognised there (see :meth:`GraphStore.run`).
    """
    words = _keywords(text)
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


class GraphStore:
    """An exported graph loaded once into an in-memory pyoxigraph store, ready for many queries."""

    def __init__(self, store, path: Path | None = None):
        self.store = store
        self.path = path
        self._labels: dict[str, str | None] = {}

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

    def run(self, text: str, *, max_rows: int | None = None) -> QueryResult:
        """Run one read-only query. Raises :class:`QuerySyntaxError`, :class:`QueryRefused`,
        :class:`ResultTooLarge` (more than ``max_rows`` rows or triples)."""
        import pyoxigraph as ox

        check_read_only(text)
        try:
            answer = self.store.query(text, prefixes=STANDARD_PREFIXES)
        except SyntaxError as error:
            raise _syntax_error(error, text) from None
        except (OSError, ValueError, TypeError) as error:
            raise QueryError(f"query failed: {error}") from None
        try:
            if isinstance(answer, ox.QueryBoolean):
                return QueryResult("ask", boolean=bool(answer))
            if isinstance(answer, ox.QuerySolutions):
                variables = tuple(v.value for v in answer.variables)
                rows = _capped((tuple(solution) for solution in answer), max_rows, "rows")
                return QueryResult("select", variables=variables, rows=rows)
            return QueryResult("graph", triples=_capped(iter(answer), max_rows, "triples"))
        except (OSError, ValueError, TypeError) as error:  # evaluation errors surface while iterating
            raise QueryError(f"query failed: {error}") from None

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


def _capped(items: Iterable, cap: int | None, what: str) -> list:
    out = []
    for item in items:
        if cap is not None and len(out) >= cap:
            raise ResultTooLarge(f"the answer has more than {cap} {what} (the cap); add LIMIT/OFFSET to page through it")
        out.append(item)
    return out


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


def run_query(graph: Path | str, query: str, fmt: str = "table", *, queries_dir: Path | None = None,
              lang: str = "zh-hant") -> str:
    """Load ``graph``, run ``query`` (text, file or ``@name``) and return the formatted answer."""
    store = GraphStore.load(graph)
    text = resolve_query(query, queries_dir)
    result = store.run(text)
    return format_result(result, fmt, labeller=lambda iri: store.label(iri, lang))


# --------------------------------------------------------------------------------------------------
# rdflib, the second engine (tests and benchmark)


def load_rdflib_graph(path: Path | str):
    import rdflib

    return rdflib.Graph().parse(str(path))


def run_rdflib(graph, text: str) -> QueryResult:
    """Run ``text`` with rdflib's engine (undeclared standard prefixes prepended) as a :class:`QueryResult`
    of pyoxigraph terms, so both engines' answers compare directly."""
    check_read_only(text)
    answer = graph.query(with_prefixes(text))
    if answer.type == "ASK":
        return QueryResult("ask", boolean=bool(answer.askAnswer))
    if answer.type == "SELECT":
        variables = tuple(str(v) for v in answer.vars)
        rows = [tuple(_from_rdflib(term) for term in row) for row in answer]
        return QueryResult("select", variables=variables, rows=rows)
    import pyoxigraph as ox

    return QueryResult("graph", triples=[ox.Triple(*(_from_rdflib(t) for t in triple)) for triple in answer])


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
    """``kg query --list``: one line per named query."""
    width = max((len(q.name) for q in queries), default=0) + 1
    return "".join(f"@{q.name:<{width}} {q.question}\n" for q in queries)
