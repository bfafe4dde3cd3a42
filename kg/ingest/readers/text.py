"""Plain text (``.txt``, ``.text``, ``.md``): read as decoded, the fallback for every file no other reader detects."""
from __future__ import annotations

__all__ = ["detect", "to_text"]


def detect(text: str) -> bool:
    """Any decoded text can be read as plain text."""
    return True


def to_text(text: str) -> str:
    """The text itself: plain text needs no transformation."""
    return text
