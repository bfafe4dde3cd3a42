"""A small, fast, deterministic RDF writer for our own triples.

Terms are plain Python values: an IRI is ``Iri(str)``, a literal is ``Lit``. Output is sorted, so the same
triples give byte-identical N-Triples and Turtle whatever order they were made in. rdflib and
pyoxigraph read both (tests parse them back)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from kg.namespaces import RDF_TYPE
from kg.namespaces import XSD_NS as XSD

_RDF_TYPE_NT = f"<{RDF_TYPE}>"


class Iri(str):
    __slots__ = ()


@dataclass(frozen=True, order=True, slots=True)
class Lit:
    lexical: str
    lang: str = ""
    datatype: str = ""

    @classmethod
    def decimal(cls, value: float) -> "Lit":
        text = format(Decimal(repr(float(value))).normalize(), "f")
        return cls(text if "." in text else text + ".0", datatype=XSD + "decimal")

    @classmethod
    def integer(cls, value: int) -> "Lit":
        return cls(str(int(value)), datatype=XSD + "integer")

    @classmethod
    def date(cls, value) -> "Lit":
        return cls(value.isoformat(), datatype=XSD + "date")


Term = Iri | Lit
Triple = tuple[Iri, Iri, Term]

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


_NEEDS_ESCAPE = re.compile(r'[\\"\x00-\x1f\u2028\u2029\ufffe\uffff\ud800-\udfff]')
_BAD_IRI = re.compile(r'[<>"{}|^`\\\x00-\x20]')


def _escape(text: str) -> str:
    if not _NEEDS_ESCAPE.search(text):
        return text
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ch in "\u2028\u2029\ufffe\uffff" or 0xD800 <= ord(ch) <= 0xDFFF:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return "".join(out)


def _escape_iri(iri: str) -> str:
    if not _BAD_IRI.search(iri):
        return iri
    return "".join(ch if ch not in '<>"{}|^`\\ ' and ord(ch) > 0x20 else f"%{ord(ch):02X}" for ch in iri)


def nt_term(term: Term) -> str:
    if isinstance(term, Lit):
        body = f'"{_escape(term.lexical)}"'
        if term.lang:
            return f"{body}@{term.lang}"
        if term.datatype and term.datatype != XSD + "string":
            return f"{body}^^<{term.datatype}>"
        return body
    return f"<{_escape_iri(term)}>"


def _rendered(triples: set[Triple], render) -> list[tuple[str, str, str]]:
    """Each triple as rendered strings, every distinct term rendered once, sorted (the output order)."""
    cache: dict = {}

    def text(term) -> str:
        out = cache.get(term)
        if out is None:
            out = cache[term] = render(term)
        return out

    return sorted((text(s), text(p), text(o)) for s, p, o in triples)


def to_ntriples(triples: set[Triple]) -> str:
    return "".join(f"{s} {p} {o} .\n" for s, p, o in _rendered(triples, nt_term))


class TurtleWriter:
    """Turtle with prefixes, subjects grouped, predicates and objects sorted (by their N-Triples form)."""

    def __init__(self, prefixes: dict[str, str]):
        # longest namespace first so ev:/doc:/id: win over a shorter base
        self.prefixes = sorted(prefixes.items(), key=lambda kv: (-len(kv[1]), kv[0]))

    def _name(self, iri: str) -> str:
        for prefix, ns in self.prefixes:
            if iri.startswith(ns):
                local = iri[len(ns):]
                if local and _safe_local(local):
                    return f"{prefix}:{local}"
        return f"<{_escape_iri(iri)}>"

    def _term(self, term: Term) -> str:
        if isinstance(term, Lit):
            if term.datatype == XSD + "decimal" or term.datatype == XSD + "integer":
                return term.lexical
            if term.datatype and term.datatype != XSD + "string":
                return f'"{_escape(term.lexical)}"^^{self._name(term.datatype)}'
            return nt_term(term)
        return self._name(term)

    def write(self, triples: set[Triple]) -> str:
        return self.write_rows(_rendered_both(triples, self._term))

    def write_rows(self, rows: list) -> str:
        """Turtle from rows ``((nt_s, s), (nt_p, p), (nt_o, o))`` already sorted on their N-Triples form."""
        lines = [f"@prefix {p}: <{ns}> ." for p, ns in sorted(self.prefixes)]
        lines.append("")
        current = last_p = None
        block: list[str] = []
        for (s_key, s), (p_key, p), (_, o) in rows:
            if p_key == _RDF_TYPE_NT:
                p = "a"   # only in predicate position: rdf:type as an object stays a name
            if s_key != current:
                if block:
                    lines.append(" ;\n".join(block) + " .\n")
                current, last_p = s_key, p_key
                block = [f"{s} {p} {o}"]
            elif p_key == last_p:
                block[-1] += f", {o}"
            else:
                block.append(f"    {p} {o}")
                last_p = p_key
        if block:
            lines.append(" ;\n".join(block) + " .\n")
        return "\n".join(lines)


def _rendered_both(triples: set[Triple], turtle_term) -> list:
    cache: dict = {}

    def both(term):
        out = cache.get(term)
        if out is None:
            out = cache[term] = (nt_term(term), turtle_term(term))
        return out

    return sorted((both(s), both(p), both(o)) for s, p, o in triples)


def serialise(triples: set[Triple], prefixes: dict[str, str]) -> tuple[str, str]:
    """Turtle and N-Triples of the same triples, rendered and sorted once."""
    writer = TurtleWriter(prefixes)
    rows = _rendered_both(triples, writer._term)
    ntriples = "".join(f"{s[0]} {p[0]} {o[0]} .\n" for s, p, o in rows)
    return writer.write_rows(rows), ntriples


def _safe_local(local: str) -> bool:
    """Conservative PN_LOCAL check: ASCII letters/digits/_/- only, not ending in '-' or '.'."""
    return all(c.isascii() and (c.isalnum() or c in "_-") for c in local) and local[-1] != "-"
