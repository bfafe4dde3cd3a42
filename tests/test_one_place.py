"""One idea, one implementation: the name key, the OpenCC converters, the lexicon reader and the namespace
IRIs each live in one module, and the others use it."""
from __future__ import annotations

import re
from pathlib import Path

from kg.normalize import converter, default_normalizer, name_key

KG_DIR = Path(__file__).resolve().parents[1] / "kg"


def _sources():
    for path in sorted(KG_DIR.rglob("*.py")):
        yield f"kg/{path.relative_to(KG_DIR).as_posix()}", path.read_text(encoding="utf-8")


def test_opencc_converters_are_built_in_kg_normalize_only():
    builders = [rel for rel, text in _sources() if re.search(r"\bOpenCC\(", text) and rel != "kg/normalize.py"]
    assert not builders, f"build OpenCC converters with kg.normalize.converter(config): {builders}"
    assert converter("t2s") is converter("t2s")


def test_namespace_iris_are_written_in_kg_namespaces_only():
    allowed = {"kg/namespaces.py"}
    # the SPARQL results XML namespace of query.py is a format, not a vocabulary
    found = [rel for rel, text in _sources() if rel not in allowed
             and re.search(r"w3id\.org/cngpu-kg|http://www\.w3\.org/(?!2005/sparql-results#)", text)]
    assert not found, f"take IRIs from kg.namespaces: {found}"


def test_lexicon_tsv_is_parsed_in_kg_lexicon_only():
    found = [rel for rel, text in _sources() if rel != "kg/mentions/lexicon.py"
             and re.search(r"lexicon.{0,40}csv\.reader|csv\.reader.{0,200}row\[5\]\.split", text, re.S)]
    assert not found, f"read the lexicon with kg.mentions.lexicon.Lexicon.load: {found}"


def test_one_name_key():
    key = default_normalizer().key
    assert key("《芯片法案》") == key("芯片法案") == name_key("芯片 法案")
    assert key("Moore Threads") == key("moore-threads") == key("ＭＯＯＲＥ·threads")
    assert key("摩爾線程") == key("摩尔线程")
    # the scorer's variant (../shared/eval/score.py) folds the same way and strips spaces/hyphens/dots only
    score = default_normalizer().score_key
    assert score("Moore Threads") == key("Moore Threads") and score("《芯片法案》") == "《芯片法案》"
    # no second implementation: no module but kg.normalize strips characters for a name key itself
    found = [rel for rel, text in _sources() if rel != "kg/normalize.py"
             and re.search(r're\.(?:sub|compile)\(r"\[\\s\\-·', text)]
    assert not found, f"use kg.normalize.Normalizer.key: {found}"


def test_train_and_html_use_the_name_key():
    import kg.training.train as train

    assert train.name_key is name_key
    from kg.exporters.html import find_entity_page  # noqa: F401  (its lookup uses Normalizer.key)
    source = (KG_DIR / "exporters" / "html.py").read_text(encoding="utf-8")
    assert "default_normalizer().key" in source


def test_exceptions_are_defined_in_kg_errors():
    import ast

    found = []
    for rel, text in _sources():
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef) and rel != "kg/errors.py" and any(
                    isinstance(b, ast.Name) and (b.id.endswith(("Error", "Exception")) or b.id in {"QueryError", "KgError"})
                    for b in node.bases):
                found.append(f"{rel}: {node.name}")
    assert not found, f"define exceptions in kg/errors.py: {found}"


def test_no_module_but_kg_errors_defines_an_exception_class():
    """The same, by importing every module of kg (in a fresh interpreter) and asking each class it defines:
    catches a subclass of any exception, whatever its base is called."""
    import subprocess
    import sys

    code = """
import importlib, inspect, pkgutil, kg
for info in pkgutil.walk_packages(kg.__path__, "kg."):
    module = importlib.import_module(info.name)
    for name, obj in vars(module).items():
        if inspect.isclass(obj) and issubclass(obj, BaseException) and obj.__module__ == info.name != "kg.errors":
            print(f"{info.name}.{name}")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert not out.stdout.split(), f"define exceptions in kg/errors.py: {out.stdout.split()}"


def test_moved_exceptions_are_the_ones_in_kg_errors():
    from kg import errors, query, serve

    assert serve.QueryTimeout is query.QueryTimeout is errors.QueryTimeout
    assert serve.ServerBusy is errors.ServerBusy and serve.QueryOutOfMemory is errors.QueryOutOfMemory
    assert all(issubclass(c, errors.QueryError) for c in (errors.ServerBusy, errors.QueryOutOfMemory))
