"""report.md: articles kept/dropped, entities per class, relations per predicate, rejects, timing.

Timing varies run to run, so report.md is the one export that is not byte-identical across runs."""
from __future__ import annotations

from pathlib import Path

from kg.io import atomic_write_text


def export_report(build, directory: Path) -> list[Path]:
    path = directory / "report.md"
    atomic_write_text(path, build.report.markdown())
    return [path]
