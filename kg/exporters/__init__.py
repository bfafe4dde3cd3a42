"""Exporters: one format per module, chosen by name, imported lazily (like rdflib's plugin registry).

Each exporter is ``export(build, directory) -> list[Path]``: it writes its files into ``directory``,
a staging directory. The pipeline moves the staged files over the previous exports only after every
exporter has succeeded, so a failure never leaves a half-written or lost export."""
from __future__ import annotations

import importlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path

#: name -> (module, function), in the order the exports are produced.
REGISTRY: dict[str, tuple[str, str]] = {
    "turtle": ("kg.exporters.rdf_files", "export_turtle"),
    "ntriples": ("kg.exporters.rdf_files", "export_ntriples"),
    "facts": ("kg.exporters.tables", "export_facts_csv"),
    "graphml": ("kg.exporters.tables", "export_graphml"),
    "html": ("kg.exporters.html_bridge", "export_html_views"),
    "report": ("kg.exporters.report", "export_report"),
}


def get(name: str) -> Callable:
    module, function = REGISTRY[name]
    return getattr(importlib.import_module(module), function)


def publish(staging: Path, out_dir: Path) -> list[Path]:
    """Move every staged file/directory into ``out_dir``, replacing what was there, then drop ``staging``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    published = []
    for item in sorted(staging.iterdir()):
        target = out_dir / item.name
        if item.is_dir():
            old = out_dir / f".{item.name}.old"
            if old.exists():
                shutil.rmtree(old)
            if target.exists():
                os.replace(target, old)
            os.replace(item, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(item, target)
        published.append(target)
    shutil.rmtree(staging, ignore_errors=True)
    return published
