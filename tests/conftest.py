"""Shared fixtures. `seed_exports` builds the seed graph once per test session (rules + model as `kg rebuild`)."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
GOLD = ROOT / "tests" / "data" / "seeds-gold.tsv"


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
