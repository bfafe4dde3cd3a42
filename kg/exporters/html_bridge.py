"""Hands the finished graph to the HTML views exporter (kg.exporters.html) as an rdflib Graph holding
every entity and fact but only a few evidence sentences per fact (graph.ttl has them all)."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kg.graph.built import BuiltGraph


def export_html_views(build: BuiltGraph, directory: Path) -> list[Path]:
    from kg.exporters.html import export_html

    return export_html(build.view_graph(), directory)
