"""Shared fixtures. `seed_exports` builds the seed graph once per test session (rules + model as `kg rebuild`)."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
GOLD = ROOT / "tests" / "data" / "seeds-gold.tsv"
#: the exports whose bytes two builds of the same articles must share (report.md holds timings)
COMPARED_EXPORTS = ("graph.ttl", "graph.nt", "graph.nq", "facts.csv", "graph.graphml", "graph.html")


def assert_same_exports(a: Path, b: Path) -> None:
    """Two export directories hold byte-identical exports and entity pages."""
    for name in COMPARED_EXPORTS:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    pages = sorted(p.name for p in (a / "entities").iterdir())
    assert pages == sorted(p.name for p in (b / "entities").iterdir())
    for page in pages:
        assert (a / "entities" / page).read_bytes() == (b / "entities" / page).read_bytes(), page


@pytest.fixture(scope="session")
def seed_exports(tmp_path_factory) -> Path:
    """Directory holding graph.ttl, graph.nt, graph.html, report.md built from seeds/."""
    from kg.pipeline import BuildOptions, build

    out = tmp_path_factory.mktemp("seed-exports")
    build(SEEDS, out, BuildOptions())
    return out


@pytest.fixture(scope="session")
def seed_graph_path(seed_exports) -> Path:
    return seed_exports / "graph.ttl"
