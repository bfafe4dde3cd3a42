"""Web pages saved as HTML (``.htm``, ``.html``, or any file that looks like one): blank out the markup
without moving any character.

Tags, comments, scripts and styles become spaces (block-level tags a line break), character references
become their character padded with spaces. The text keeps its length, so every offset found on the
blanked text is an offset in the original file, and the evidence still points at the page."""
from __future__ import annotations

import html
import re

__all__ = ["detect", "to_text"]

_HTML_HINT = re.compile(r"<!doctype\s+html|<html[\s>]|<body[\s>]|<(?:p|div|br|span|a|li|td|h[1-6])(?:\s[^>]*)?/?>", re.I)
_MARKUP = re.compile(
    r"<!--.*?(?:-->|$)"                                            # comments
    r"|<(script|style|noscript|template|svg)\b.*?(?:</\1\s*>|$)"  # code and drawings, contents included
    r"|<!?/?([a-zA-Z][a-zA-Z0-9]*)?[^<>]*>"                       # any other tag or doctype
    r"|&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});",  # character references
    re.S,
)
_BLOCK = {"p", "div", "br", "li", "ul", "ol", "tr", "td", "th", "table", "title", "section", "article", "header",
          "footer", "nav", "aside", "blockquote", "pre", "figure", "figcaption", "dd", "dt", "hr", "main",
          "h1", "h2", "h3", "h4", "h5", "h6", "head", "body", "html", "form", "dl", "caption"}


def detect(text: str) -> bool:
    """Several tags near the top (a doctype or <html> alone is enough)."""
    head = text[:20000]
    hits = _HTML_HINT.findall(head)
    return len(hits) >= 3 or bool(re.search(r"<!doctype\s+html|<html[\s>]", head[:2000], re.I))


def to_text(text: str) -> str:
    """``text`` with its markup replaced by whitespace of the same length (see module docstring)."""
    return _MARKUP.sub(_blank, text)


def _blank(match: re.Match) -> str:
    raw = match.group()
    if raw.startswith("&"):
        char = html.unescape(raw)
        if len(char) == 1 and char not in "\u00a0\u200b":
            return char + " " * (len(raw) - 1)
        return " " * len(raw)
    keep_lines = "".join("\n" if ch == "\n" else " " for ch in raw)   # line numbers stay where they were
    name = (match.group(1) or match.group(2) or "").lower()
    if name in _BLOCK or match.group(1):
        return "\n" + keep_lines[1:]
    return keep_lines
