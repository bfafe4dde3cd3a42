"""Web pages saved as HTML (``.htm``, ``.html``, or any file that looks like one): the markup is blanked in
place by :mod:`kg.markup`, so offsets on the analysed text are offsets in the file."""
from __future__ import annotations

from kg.markup import blank_markup, looks_like_html

__all__ = ["detect", "to_text"]


def detect(text: str) -> bool:
    """Several tags near the top, or a doctype / ``<html>`` (:func:`kg.markup.looks_like_html`)."""
    return looks_like_html(text)


def to_text(text: str) -> str:
    """``text`` with tags, comments, scripts and character references blanked to the same length."""
    return blank_markup(text)
