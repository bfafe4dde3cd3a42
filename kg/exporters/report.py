"""report.md: articles kept/dropped, entities per class, relations per predicate, rejects, timing.

Timing varies run to run, so report.md is the one export that is not byte-identical across runs."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kg.io import atomic_write_text

if TYPE_CHECKING:
    from kg.graph.built import BuiltGraph


def export_report(build: BuiltGraph, directory: Path) -> list[Path]:
    path = directory / "report.md"
    atomic_write_text(path, build.report.markdown())
    return [path]
