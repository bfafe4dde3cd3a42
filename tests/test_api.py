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
