"""Input readers: one module per input format, one row per format in :data:`REGISTRY`.

A reader turns the decoded text of a file (``kg.ingest.decode``) into the text the documents stage analyses,
**of the same length**: every offset found on the analysed text is an offset in the file, so the evidence
points at the original. A reader module has two functions::

    detect(text: str) -> bool     does the decoded text look like this format?
    to_text(text: str) -> str     the text to analyse, same length as ``text``

Which reader reads a file is decided by its content, in registry order (the first row whose ``detect``
accepts the text; plain text, the last row, accepts everything): a page saved as HTML under a ``.txt``
name is still read as HTML. The suffixes of a row name the files that are inputs; a file with another
suffix is still tried (as whatever its content is) with a note in the report, and a file whose suffix is
in :data:`NOT_TEXT_SUFFIXES` is skipped unread.

A new format is a module in this package with ``detect`` and ``to_text`` and one row of ``REGISTRY``
(before ``text``).
"""
from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from kg.ingest.readers import html, text

__all__ = ["Reader", "REGISTRY", "INPUT_SUFFIXES", "NOT_TEXT_SUFFIXES", "reader_for_text", "reader_for_suffix",
           "formats_named"]


@dataclass(frozen=True)
class Reader:
    """One input format: its name, how the report names it, the file suffixes it owns and its module."""

    format: str
    label: str
    suffixes: tuple[str, ...]
    module: ModuleType

    def detect(self, decoded: str) -> bool:
        """Whether ``decoded`` (a file's decoded text) looks like this format."""
        return bool(self.module.detect(decoded))

    def to_text(self, decoded: str) -> str:
        """The text to analyse: ``decoded`` transformed without changing its length."""
        return self.module.to_text(decoded)


#: detection order: the first reader whose ``detect`` accepts a file's text reads it; ``text`` comes last
REGISTRY: tuple[Reader, ...] = (
    Reader("html", "HTML", (".htm", ".html"), html),
    Reader("text", "text", (".txt", ".text", ".md"), text),
)

#: file suffixes that are inputs (any other suffix is tried as text, with a note)
INPUT_SUFFIXES: frozenset[str] = frozenset(suffix for reader in REGISTRY for suffix in reader.suffixes)

#: types that are never text: skipped by their suffix, with a note (any other suffix is tried as text)
NOT_TEXT_SUFFIXES: frozenset[str] = frozenset({
    ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".odt", ".rtf", ".epub", ".png",
    ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff", ".svg", ".mp3", ".mp4", ".zip",
    ".gz", ".bz2", ".xz", ".7z", ".rar", ".tar", ".exe", ".so", ".bin", ".pyc", ".db", ".sqlite",
    # data and code beside the articles (a gold.tsv, an index.csv) are text but not articles
    ".tsv", ".csv", ".json", ".jsonl", ".xml", ".yaml", ".yml", ".ttl", ".nt", ".rq", ".py",
    ".js", ".css", ".log"})


def reader_for_text(decoded: str) -> Reader:
    """The reader of a file whose decoded text is ``decoded``: the first row of the registry that detects it."""
    for reader in REGISTRY:
        if reader.detect(decoded):
            return reader
    return REGISTRY[-1]


def reader_for_suffix(suffix: str) -> Reader | None:
    """The reader that owns the file suffix ``suffix`` (``".html"``, any case), or None."""
    suffix = suffix.lower()
    for reader in REGISTRY:
        if suffix in reader.suffixes:
            return reader
    return None


def formats_named(conjunction: str = "and") -> str:
    """The formats as messages name them: ``"text and HTML"``, ``formats_named("or")`` ``"text or HTML"``
    (plain text first, then registry order)."""
    labels = [r.label for r in REGISTRY if r.format == "text"] + [r.label for r in REGISTRY if r.format != "text"]
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} {conjunction} {labels[-1]}"
