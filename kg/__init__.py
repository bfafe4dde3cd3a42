"""cngpu-kg: a knowledge graph of China's GPU and compute industry, built from news articles.

Library entry points (the CLI is a thin layer over these)::

    from kg import build, evaluate, run_query
    report = build("seeds", "exports")
    print(run_query("exports/graph.ttl", "@listings"))
"""
from __future__ import annotations

__all__ = ["build", "BuildOptions", "BuildReport", "evaluate", "run_query"]
__version__ = "0.1.0"


def __getattr__(name: str):  # lazy: importing kg must not load rdflib/spaCy
    if name in ("build", "BuildOptions", "BuildReport"):
        from kg import pipeline as _build_module
        return getattr(_build_module, name)
    if name == "evaluate":
        from kg.scoring import evaluate
        return evaluate
    if name == "run_query":
        from kg.query import run_query
        return run_query
    raise AttributeError(name)
