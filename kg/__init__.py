"""cngpu-kg: a knowledge graph of China's GPU and compute industry, built from news articles.

Library entry points (the CLI is a thin layer over these)::

    from kg import build, evaluate
    report = build("seeds", "exports")
"""
from __future__ import annotations

__all__ = ["build", "BuildOptions", "BuildReport", "evaluate"]
__version__ = "0.1.0"


def __getattr__(name: str):  # lazy: importing kg must not load rdflib/spaCy
    if name in ("build", "BuildOptions", "BuildReport"):
        from kg import pipeline as _build_module
        return getattr(_build_module, name)
    if name == "evaluate":
        from kg.evaluate import evaluate
        return evaluate
    raise AttributeError(name)
