"""cngpu-kg: a knowledge graph of China's GPU and compute industry, built from news articles.

The public library API is :data:`__all__`: what the CLI (``kg/cli.py``) calls, one name per job, and the
exceptions it maps to exit codes. Everything else is internal and may change. Library entry points (the
CLI is a thin layer over these)::

    from kg import build, evaluate, run_query
    report = build("seeds", "exports")
    print(run_query("exports/graph.ttl", "@listings"))

Names are loaded on first use, so ``import kg`` loads neither rdflib nor spaCy.
"""
from __future__ import annotations

from importlib import import_module

__version__ = "0.1.0"

#: public name -> (module, name there). The candidates functions get names of their own here because
#: ``kg.candidates`` is the module (and ``train_model`` because ``kg.training.train`` is one).
_API: dict[str, tuple[str, str]] = {
    # kg rebuild
    "build": ("kg.pipeline", "build"),
    "BuildOptions": ("kg.pipeline", "BuildOptions"),
    "BuildReport": ("kg.report", "BuildReport"),
    "check_out_dir": ("kg.exporters", "check_out_dir"),
    # kg eval
    "evaluate": ("kg.scoring", "evaluate"),
    "default_index": ("kg.scoring", "default_index"),
    # kg query
    "run_query": ("kg.query", "run_query"),
    "Limits": ("kg.query", "Limits"),
    "named_queries": ("kg.query", "named_queries"),
    "describe_library": ("kg.query", "describe_library"),
    "parse_params": ("kg.query", "parse_params"),
    "parse_size": ("kg.query", "parse_size"),
    # kg serve
    "serve_forever": ("kg.serve", "serve_forever"),
    "ServeOptions": ("kg.serve", "ServeOptions"),
    # kg view, kg path
    "find_entity_page": ("kg.exporters.html", "find_entity_page"),
    "find_paths": ("kg.paths", "find_paths"),
    "format_paths": ("kg.paths", "format_paths"),
    # kg train
    "train_model": ("kg.training.train", "train"),
    "train_relations": ("kg.training.train", "train_relations"),
    "TrainConfig": ("kg.training.train", "TrainConfig"),
    # kg candidates
    "list_candidates": ("kg.candidates", "candidates"),
    "promote_candidate": ("kg.candidates", "promote"),
    "candidates_table": ("kg.candidates", "table"),
    # errors (kg/errors.py): the CLI turns each into one line and an exit code
    **{name: ("kg.errors", name) for name in (
        "KgError", "ConfigError", "InputError", "DecodeError", "QueryError", "QuerySyntaxError", "QueryRefused",
        "ResultTooLarge", "QueryTimeout", "QueryTooHeavy", "QueryOutOfMemory", "ServerBusy", "ValidationError",
        "OutputError", "ClusterError")},
}

__all__ = list(_API)


def __getattr__(name: str):  # lazy: importing kg must not load rdflib/spaCy
    try:
        module, attribute = _API[name]
    except KeyError:
        raise AttributeError(f"module 'kg' has no attribute {name!r}") from None
    value = getattr(import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
