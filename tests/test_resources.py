"""Resources are found through kg.resources: the checkout, ``$KG_HOME``, or a wheel's share directory."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from kg import resources

ROOT = Path(__file__).resolve().parents[1]
#: modules that still find a resource next to their own file; what to change
KNOWN: dict[str, str] = {}


def test_checkout_is_the_home_here():
    assert resources.checkout() == ROOT
    if not os.environ.get(resources.ENV_HOME):
        assert resources.home() == ROOT
    assert (resources.ontology_dir() / "kg.ttl").is_file() and resources.rules_path().is_file()
    assert (resources.assets_dir() / "kg-view.js").is_file()


def test_no_module_finds_resources_by_its_own_path():
    found = []
    for path in sorted((ROOT / "kg").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel != "kg/resources.py" and rel not in KNOWN and re.search(r"__file__\)\.resolve\(\)\.parents", path.read_text("utf-8")):
            found.append(rel)
    assert not found, f"find resources through kg.resources: {found}"


def test_kg_home_overrides(tmp_path):
    (tmp_path / "ontology").mkdir()
    code = ("from kg import ontology, query, resources; from kg.mentions import lexicon, ner; "
            "print(ontology.DEFAULT_DIR, lexicon.DEFAULT_PATH, ner.DEFAULT_MODEL_DIR, query.default_queries_dir(), sep='|')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, resources.ENV_HOME: str(tmp_path)}).stdout.strip().split("|")
    home = tmp_path.resolve()
    assert out == [str(home / "ontology"), str(home / "ontology" / "lexicon.tsv"), str(home / "models" / "ner"),
                   str(home / "queries")]


def test_wheel_installs_what_a_build_reads():
    """pyproject.toml's data-files cover every resource file a build, a query or the models read."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    patterns = re.findall(r'^"share/cngpu-kg/[^"]*" = \[([^\]]*)\]', text, re.M)
    globs = [g for line in patterns for g in re.findall(r'"([^"]+)"', line)]
    tracked = subprocess.run(["git", "ls-files", "ontology", "queries", "models"], cwd=ROOT, capture_output=True,
                             text=True).stdout.split()
    if not tracked:
        return   # not a git checkout
    missing = [f for f in tracked if not any(Path(f).match(g) and Path(f).parent == Path(g).parent for g in globs)]
    assert not missing, f"add to [tool.setuptools.data-files]: {missing}"
