"""Extraction on Dask (kg/parallel.py): the same exports as a single-process build, byte for byte."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import assert_same_exports
from kg.pipeline import BuildOptions, build

pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "eval" / "dev"


def test_local_cluster_build_equals_single_process_build(tmp_path):
    rules = BuildOptions(use_model=False, cache=False)
    one = build(ROOT / "seeds", tmp_path / "one", rules)
    two = build(ROOT / "seeds", tmp_path / "two", BuildOptions(use_model=False, cache=False, workers=2))
    assert one.exit_code == two.exit_code == 0
    assert_same_exports(tmp_path / "one", tmp_path / "two")


@pytest.mark.slow
@pytest.mark.skipif(not DEV.is_dir(), reason="needs ../shared/eval/dev")
def test_running_cluster_with_the_models_equals_single_process_build(tmp_path):
    """`kg rebuild --scheduler ADDRESS` on a cluster started apart (as on other machines), with the NER and
    relation models, on the 33 dev articles, against the single-process build."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None) as cluster:
        run = subprocess.run([sys.executable, "-m", "kg.cli", "rebuild", "--seeds", str(DEV), "--out",
                              str(tmp_path / "dask"), "--no-cache", "-q", "--scheduler", cluster.scheduler_address],
                             capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    build(DEV, tmp_path / "one", BuildOptions(cache=False))
    assert_same_exports(tmp_path / "one", tmp_path / "dask")


def _kg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kg.cli", "rebuild", *args], capture_output=True, text=True, cwd=ROOT)


@pytest.mark.slow
def test_unreachable_scheduler_is_one_line_and_exit_3(tmp_path):
    run = _kg("--seeds", str(ROOT / "seeds"), "--out", str(tmp_path / "out"), "--no-model", "-q",
              "--scheduler", "tcp://127.0.0.1:9")
    assert run.returncode == 3
    assert run.stderr.startswith("error: cannot reach the Dask scheduler at tcp://127.0.0.1:9") and run.stderr.count("\n") == 1
    assert not (tmp_path / "out" / "graph.ttl").exists()


def test_workers_and_scheduler_together_is_exit_2(tmp_path):
    run = _kg("--seeds", str(ROOT / "seeds"), "--out", str(tmp_path / "out"), "--no-model", "-q",
              "--workers", "2", "--scheduler", "tcp://127.0.0.1:9")
    assert run.returncode == 2 and run.stderr.startswith("error: --workers starts a local cluster")
