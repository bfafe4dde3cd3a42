"""Plain data passed between pipeline stages. No behaviour beyond small helpers.

documents ─► Article ─► mentions ─► Mention ─► relations ─► Claim ─► resolve ─► Entity ─► ontology ─► graph
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

#: Entity classes of the core vocabulary (local names in the kg: namespace), superclasses included.
ENTITY_CLASSES = (
    "Organization", "Company", "GovernmentAgency", "ResearchInstitution", "Exchange", "Fund",
    "Product", "Chip", "Architecture", "SoftwarePlatform", "System",
    "ProcessNode", "Market", "Technology", "Policy", "Place",
)

#: class -> its direct superclass (only for classes that have one).
SUPERCLASS = {
    "Company": "Organization", "GovernmentAgency": "Organization", "ResearchInstitution": "Organization",
    "Exchange": "Organization", "Fund": "Organization",
    "Chip": "Product", "Architecture": "Product", "SoftwarePlatform": "Product", "System": "Product",
}


def _ancestors(cls: str) -> frozenset[str]:
    out = []
    while cls:
        out.append(cls)
        cls = SUPERCLASS.get(cls, "")
    return frozenset(out)


#: class -> itself and its superclasses (hot path of the relation rules).
ANCESTORS = {cls: _ancestors(cls) for cls in ENTITY_CLASSES}


def is_a(cls: str, ancestor: str) -> bool:
    """True when ``cls`` is ``ancestor`` or one of its subclasses."""
    return ancestor in ANCESTORS.get(cls, (cls,))


class OffsetMap:
    """Maps offsets in a cleaned text back to offsets in the original decoded file.

    Cleaning only deletes characters (hard line breaks inside words), so the map is a sorted list of
    ``(clean_start, original_start)`` anchors: each anchor starts a run copied verbatim.
    """

    __slots__ = ("_clean", "_orig")

    def __init__(self, anchors: list[tuple[int, int]] | None = None):
        anchors = anchors or [(0, 0)]
        self._clean = [a for a, _ in anchors]
        self._orig = [b for _, b in anchors]

    @classmethod
    def identity(cls, base: int = 0) -> "OffsetMap":
        return cls([(0, base)])

    def to_original(self, clean_offset: int) -> int:
        i = bisect.bisect_right(self._clean, clean_offset) - 1
        return self._orig[i] + (clean_offset - self._clean[i])

    def to_original_span(self, start: int, end: int) -> tuple[int, int]:
        """Original span of ``[start, end)``; the end is the character after the last one kept."""
        if end <= start:
            o = self.to_original(start)
            return o, o
        return self.to_original(start), self.to_original(end - 1) + 1

    @property
    def anchors(self) -> list[tuple[int, int]]:
        return list(zip(self._clean, self._orig))


@dataclass(frozen=True)
class Article:
    """One article cut out of a page. ``text`` is cleaned; ``offsets`` maps it back to the file."""

    doc_name: str                 # file name of the page, e.g. "000_01e9f8b696474cfd.txt"
    index: int                    # position of the article on its page, from 0
    title: str | None
    text: str
    offsets: OffsetMap = field(repr=False, compare=False)
    relevant: bool                # about GPUs / compute?
    relevance: float              # the score the decision was made on
    reason: str = ""              # why it was kept or dropped, for the build report


@dataclass(frozen=True)
class Document:
    """A decoded input file and the articles found on it."""

    path: Path
    name: str                     # file name, the document's identity in the graph
    encoding: str                 # the detected encoding, e.g. "utf-8", "gb18030", "big5", "utf-16"
    text: str                     # the decoded original text (offsets refer to this)
    date: date | None
    articles: tuple[Article, ...]
    repairs: tuple[str, ...] = ()  # what decoding had to repair (stray bytes), for the build report

    @property
    def kept(self) -> tuple[Article, ...]:
        return tuple(a for a in self.articles if a.relevant)


@dataclass(frozen=True)
class Sentence:
    """A sentence of an article: its text and where it sits in the article's cleaned text."""

    article: Article = field(repr=False, compare=False)
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Mention:
    """A typed span of an article's cleaned text.

    ``key`` is the lexicon id when the lexicon knows the name, else None (resolution derives one).
    ``source`` is "lexicon", "pattern:<name>" or "model:<name>".
    """

    start: int
    end: int
    text: str
    cls: str
    key: str | None
    source: str
    confidence: float = 1.0
    value: float | None = None    # numeric value carried by the mention (nanometres of a process node)


@dataclass(frozen=True)
class Claim:
    """A relation or figure read from one sentence, before resolution and ontology checks.

    ``obj`` is a Mention for object properties and a float for datatype properties.
    """

    subject: Mention
    predicate: str                # local name in the kg: namespace
    obj: "Mention | float"
    sentence: Sentence
    rule: str                     # extractor id, e.g. "rule:acquired.list"
    confidence: float
