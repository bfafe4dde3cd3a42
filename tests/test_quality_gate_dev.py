"""The real development articles (../shared/eval/dev/: 33 mainland, Taiwan and Hong Kong pages nobody tuned
the rules on, with hand-made gold) as a quality gate, scored by the independent scorer ../shared/eval/score.py.

The graph is a plain `kg rebuild` of the dev articles (rules + the shipped models). Thresholds are the
measured level (P 0.968, R 0.697, type R 0.982) less a small margin and only go up; issue 8's recall
target (R ≥ 0.70) is not met yet.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "eval" / "dev"
SHARED_SCORER = ROOT.parent / "shared" / "eval" / "score.py"

MIN_RELATION_PRECISION = 0.95
MIN_RELATION_RECALL = 0.70
MIN_ENTITY_TYPE_RECALL = 0.97
MAX_FORBIDDEN_HITS = 2

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (DEV / "gold.tsv").exists() or not SHARED_SCORER.exists(),
                                 reason="../shared/eval/dev or score.py not beside the repo")]


@pytest.fixture(scope="module")
def dev_scores(tmp_path_factory) -> dict:
    from kg.pipeline import BuildOptions, build

    out = tmp_path_factory.mktemp("dev-exports")
    build(DEV, out, BuildOptions())
    run = subprocess.run([sys.executable, str(SHARED_SCORER), str(out / "graph.ttl"), "--gold", str(DEV / "gold.tsv"),
                          "--json"], capture_output=True, text=True, check=True)
    return json.loads(run.stdout.splitlines()[0])


def test_dev_relation_precision(dev_scores):
    assert dev_scores["relation_precision"] >= MIN_RELATION_PRECISION, dev_scores


def test_dev_relation_recall(dev_scores):
    assert dev_scores["relation_recall"] >= MIN_RELATION_RECALL, dev_scores


def test_dev_entity_type_recall(dev_scores):
    assert dev_scores["entity_type_recall"] >= MIN_ENTITY_TYPE_RECALL, dev_scores


def test_dev_forbidden_hits(dev_scores):
    assert dev_scores["forbidden_hits"] <= MAX_FORBIDDEN_HITS, dev_scores
