"""A wheel of the project, installed (not editable) into a fresh venv, builds the seeds from outside the
checkout with KG_HOME unset: the resources come from the wheel (package data and ``share/cngpu-kg``), and
the graph is the one the checkout builds (issue 12, item 4).

The wheel is built from a copy of the checkout (so no ``build/`` or ``*.egg-info`` is written into it),
without build isolation when this venv's setuptools can build wheels on its own (>= 70.1, pyproject asks
for >= 68), else with it (pip fetches setuptools; skipped when the index cannot be reached). The fresh
venv sees this venv's dependencies through a ``.pth`` line, so nothing else is installed.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: what a wheel is not built from: VCS, venvs, outputs, caches
IGNORED = shutil.ignore_patterns(".git", ".venv", ".pytest_cache", "exports", "build", "dist", "*.egg-info",
                                 "__pycache__", "out")
NO_INDEX = ("Could not find a version that satisfies", "No matching distribution", "Failed to establish",
            "Network is unreachable", "Temporary failure in name resolution", "ConnectionError")

pytestmark = pytest.mark.slow


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KG_HOME", "PYTHONPATH", "VIRTUAL_ENV")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _run(args: list, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=cwd, env=_env(), capture_output=True, text=True,
                          timeout=timeout)


def _can_build_without_isolation() -> bool:
    try:
        import setuptools
    except ImportError:
        return False
    version = tuple(int(p) for p in setuptools.__version__.split(".")[:2] if p.isdigit())
    return version >= (70, 1)   # bdist_wheel in setuptools itself, no `wheel` package needed


def _build_wheel(source: Path, dist: Path) -> Path:
    args = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, source]
    if _can_build_without_isolation():
        args.insert(5, "--no-build-isolation")
    result = _run(args, cwd=source.parent, timeout=180)
    if result.returncode != 0 and any(sign in result.stderr + result.stdout for sign in NO_INDEX):
        pytest.skip(f"cannot fetch the build backend for an isolated build: {result.stderr.strip()[-300:]}")
    assert result.returncode == 0, result.stdout + result.stderr
    wheels = sorted(dist.glob("cngpu_kg-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def _fresh_venv(where: Path) -> Path:
    """A venv without pip whose ``.pth`` makes this venv's installed dependencies importable."""
    result = _run([sys.executable, "-m", "venv", "--without-pip", where], cwd=where.parent)
    assert result.returncode == 0, result.stderr
    python = where / ("Scripts" if os.name == "nt" else "bin") / "python"
    purelib = _run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], cwd=where).stdout.strip()
    ours = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (Path(purelib) / "kg-test-deps.pth").write_text("\n".join(sorted(ours)) + "\n", encoding="utf-8")
    return python


def test_wheel_installs_and_builds_the_seeds_like_the_checkout(tmp_path):
    # the checkout's own build, from the files the wheel is then made of
    repo_out = tmp_path / "repo-exports"
    result = _run([sys.executable, "-c", "from kg.cli import main; main()", "rebuild", "--seeds", ROOT / "seeds",
                   "--out", repo_out], cwd=ROOT)
    assert result.returncode == 0, result.stderr
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=IGNORED, symlinks=True)

    wheel = _build_wheel(source, tmp_path / "dist")
    venv = tmp_path / "venv"
    python = _fresh_venv(venv)
    result = _run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", wheel], cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr

    elsewhere = tmp_path / "elsewhere"   # not the checkout, not the venv: nothing found by the working directory
    elsewhere.mkdir()
    where = _run([python, "-c", "import kg, kg.resources as r; print(kg.__file__); print(r.home())"], cwd=elsewhere)
    assert where.returncode == 0, where.stderr
    package, home = where.stdout.split()
    assert Path(package).is_relative_to(venv), f"kg was imported from {package}, not from the wheel"
    assert Path(home) == venv / "share" / "cngpu-kg", home

    kg = python.parent / ("kg.exe" if os.name == "nt" else "kg")
    out = tmp_path / "wheel-exports"
    result = _run([kg, "rebuild", "--seeds", ROOT / "seeds", "--out", out], cwd=elsewhere)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SHACL: conforms" in result.stdout
    graph = (out / "graph.ttl").read_bytes()
    assert graph.strip(), "empty graph.ttl from the installed wheel"
    assert graph == (repo_out / "graph.ttl").read_bytes(), "the wheel builds another graph than the checkout"
    assert (out / "graph.html").stat().st_size > 0 and any((out / "entities").iterdir())
