"""graph.ttl and graph.nt from the builder's sorted triples (byte-identical for the same input)."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kg.io import atomic_write_text

if TYPE_CHECKING:
    from kg.graph.built import BuiltGraph


def export_turtle(build: BuiltGraph, directory: Path) -> list[Path]:
    path = directory / "graph.ttl"
    atomic_write_text(path, build.turtle)
    return [path]


def export_ntriples(build: BuiltGraph, directory: Path) -> list[Path]:
    path = directory / "graph.nt"
    atomic_write_text(path, build.ntriples)
    return [path]
