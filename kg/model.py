"""Plain data passed between pipeline stages. No behaviour beyond small helpers.

ingest ─► Document, Article ─► (ArticleView) ─► mentions ─► Mention ─► claims ─► Claim ─► resolve ─► Entity
       ─► check ─► Fact ─► graph
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

# The class names of the vocabulary live in ontology/kg.ttl, read by kg.vocabulary. These module names are
# kept for the stages that import them (the relation rules' hot path reads ANCESTORS); they are derived from
# kg.ttl on first use and cached, never typed here:
#   ENTITY_CLASSES  entity classes in the project's order      SUPERCLASS  class -> its direct superclass
#   ANCESTORS       class -> itself and its superclasses
_FROM_VOCABULARY = {"ENTITY_CLASSES": "entity_classes", "SUPERCLASS": "superclass", "ANCESTORS": "ancestors"}


def __getattr__(name: str):
    if name in _FROM_VOCABULARY:
        from kg.vocabulary import vocabulary

        value = getattr(vocabulary(), _FROM_VOCABULARY[name])
        globals()[name] = value          # cached: later lookups do not come here
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def is_a(cls: str, ancestor: str) -> bool:
    """True when ``cls`` is ``ancestor`` or one of its subclasses."""
    from kg.vocabulary import vocabulary

    return ancestor in vocabulary().ancestors.get(cls, (cls,))


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


@dataclass(frozen=True)
class ArticleView:
    """An article with what every later stage reads: its normalised text and its sentences."""

    article: Article
    norm: str
    sentences: list[Sentence]


@dataclass(frozen=True)
class Fact:
    """A checked claim between resolved entities (``obj`` an entity id, or a number for figures)."""

    subject: str
    predicate: str
    obj: "str | float"
    doc_name: str
    sentence: str
    start: int                 # sentence offsets in the decoded file
    end: int
    extractor: str
    confidence: float

    @property
    def is_figure(self) -> bool:
        return not isinstance(self.obj, str)
