"""The public API: every name in kg.__all__ resolves, and importing kg loads no heavy library."""
from __future__ import annotations

import subprocess
import sys

import kg


def test_api_exported_members_resolve():
    for name in kg.__all__:
        assert callable(getattr(kg, name)), name


def test_api_import_is_light():
    code = "import sys, kg; print(any(m in sys.modules for m in ('rdflib', 'spacy', 'pyoxigraph')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_star_import_gives_exactly_all():
    namespace: dict = {}
    exec("from kg import *", namespace)
    assert set(namespace) - {"__builtins__"} == set(kg.__all__)
    assert len(kg.__all__) == len(set(kg.__all__))


def test_every_public_name_is_importable_and_documented():
    """Each name resolves (in a fresh interpreter, name by name) and has a docstring of its own, not the
    signature a dataclass writes or one inherited from a base class."""
    import importlib
    import inspect

    code = "import importlib, sys, kg\nfor n in sys.argv[1:]:\n    exec(f'from kg import {n}')\nprint('ok')"
    out = subprocess.run([sys.executable, "-c", code, *kg.__all__], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr
    undocumented = []
    for name in kg.__all__:
        obj = getattr(kg, name)
        assert inspect.isclass(obj) or inspect.isfunction(obj), name
        assert not inspect.ismodule(obj), name
        doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else obj.__doc__
        if not doc or not doc.strip() or doc.startswith(f"{obj.__name__}("):
            undocumented.append(name)
        assert getattr(importlib.import_module(obj.__module__), obj.__name__) is obj, name
    assert not undocumented, f"public names without a docstring: {undocumented}"


def test_the_cli_uses_only_the_public_api_or_says_so():
    """Every library name kg/cli.py imports is in kg.__all__ (under its own name or the alias listed here)."""
    import ast
    from pathlib import Path

    aliases = {("kg.training.train", "train"): "train_model", ("kg.candidates", "candidates"): "list_candidates"}
    #: what the CLI imports that is not API: constants and modules
    internal = {("kg.exporters", "REGISTRY"), ("kg.training.train", "DEFAULT_MODEL_DIR"), ("kg", "candidates")}
    tree = ast.parse((Path(kg.__file__).parent / "cli.py").read_text(encoding="utf-8"))
    missing = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("kg"):
            for alias in node.names:
                key = (node.module, alias.name)
                if key not in internal and aliases.get(key, alias.name) not in kg.__all__:
                    missing.append(f"{node.module}.{alias.name}")
    assert not missing, f"kg/cli.py uses names missing from kg.__all__: {missing}"
    for (module, name), public in aliases.items():
        import importlib
        assert getattr(kg, public) is getattr(importlib.import_module(module), name)
