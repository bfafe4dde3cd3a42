"""The relation model (kg/claims/relation_model.py, kg/training/relation_training.py) on made-up sentences: features never
read a name, training is deterministic, labels that do not fit domain/range get no probability, the
rules win where both speak, bad model directories fail clearly; plus the k-fold benchmark's fold 0."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kg.claims.relation_model import (EXTRACTOR, NONE, PREDICATES, FitConfig, RelationModel, calibrated, candidates,
                                      features, fit, fit_platt)
from kg.errors import ConfigError
from kg.mentions.finder import MentionFinder
from kg.mentions.lexicon import Lexicon
from kg.model import Article, Mention, OffsetMap, Sentence
from kg.normalize import Normalizer
from kg.ontology import Ontology
from kg.claims.relations import extract_claims
from kg.claims.sentence_view import SentenceView

ROOT = Path(__file__).resolve().parents[1]
KFOLD = ROOT / "benchmarks" / "eval_relation_kfold.py"
RESULTS = ROOT / "benchmarks" / "results" / "relation_kfold.json"


@pytest.fixture(scope="module")
def ontology():
    return Ontology.load()


@pytest.fixture(scope="module")
def normalizer():
    return Normalizer()


def made_up_view(normalizer, text: str, names: list[tuple[str, str]]) -> SentenceView:
    """A sentence whose mentions are the given (surface, class) names (invented, not in the lexicon)."""
    norm = normalizer.normalize(text)
    mentions, pos = [], 0
    for surface, cls in names:
        start = text.index(surface, pos)
        mentions.append(Mention(start, start + len(surface), surface, cls, None, "lexicon"))
        pos = start + len(surface)
    article = Article("made-up.txt", 0, None, text, OffsetMap(), True, 1.0)
    return SentenceView(Sentence(article, 0, len(text), text), norm, mentions)


def lexicon_view(finder, normalizer, text: str) -> tuple[SentenceView, list]:
    norm = normalizer.normalize(text)
    mentions = finder.find(text, norm)
    article = Article("made-up.txt", 0, None, text, OffsetMap(), True, 1.0)
    sentence = Sentence(article, 0, len(text), text)
    return SentenceView(sentence, norm, mentions), extract_claims(sentence, norm, mentions)


# ------------------------------------------------------------------------------------------- features

def test_features_carry_no_surface_text(ontology, normalizer):
    names = [("琥珀星辰", "Company"), ("琉璃Q9", "Chip"), ("邀月雲", "Market")]
    view = made_up_view(normalizer, "琥珀星辰推出了琉璃Q9，主要面向邀月雲领域的客户。", names)
    cands = candidates(view, ontology, normalizer)
    assert cands, "a Company, a Chip and a Market must give candidate pairs"
    name_chars = {ch for surface, _ in names for ch in normalizer.normalize(surface).lower()}
    for cand in cands:
        for feature in features(view, cand.subject, cand.obj):
            assert not name_chars & set(feature.split(":", 1)[-1]), (feature, cand)


def test_features_mask_names_between_the_pair(ontology, normalizer):
    view = made_up_view(normalizer, "琥珀星辰与翡翠微合作推出琉璃Q9。",
                        [("琥珀星辰", "Company"), ("翡翠微", "Company"), ("琉璃Q9", "Chip")])
    a, _, c = view.items
    feats = features(view, a, c)
    assert "names-between:1" in feats
    assert not any("翡" in f or "翠" in f for f in feats)
    assert any(f.startswith("inb:") and "合作" in f for f in feats)


def test_candidates_fit_domain_and_range_and_skip_same_entity(ontology, normalizer):
    view = made_up_view(normalizer, "琥珀星辰的琉璃Q9采用5纳米工艺，琥珀星辰表示满意。",
                        [("琥珀星辰", "Company"), ("琉璃Q9", "Chip"), ("5纳米", "ProcessNode"), ("琥珀星辰", "Company")])
    pairs = {(c.subject.index, c.obj.index): c.fits for c in candidates(view, ontology, normalizer)}
    assert (0, 3) not in pairs and (3, 0) not in pairs          # the same entity twice
    assert pairs[(1, 2)] == ("usesProcessNode",)                 # Chip -> ProcessNode
    assert "develops" in pairs[(0, 1)] and "acquired" not in pairs[(0, 1)]
    assert (2, 1) not in pairs                                   # nothing has a ProcessNode as subject
    for fits in pairs.values():
        assert set(fits) <= set(PREDICATES)


# ------------------------------------------------------------------------------------- masking, rules win

def biased_model(label: str, others: float = 0.0) -> RelationModel:
    """A model with no features whose bias makes ``label`` overwhelmingly likely wherever it may apply."""
    labels = (NONE, *PREDICATES)
    bias = np.full(len(labels), others, dtype=np.float32)
    bias[labels.index(label)] = 20.0
    return RelationModel(labels, [], np.zeros((0, len(labels)), dtype=np.float32), bias, threshold=0.5)


def test_labels_outside_domain_and_range_get_no_probability(ontology, normalizer):
    model = biased_model("acquired")                              # only Company -> Company may be acquired
    view = made_up_view(normalizer, "琉璃Q9采用5纳米工艺。", [("琉璃Q9", "Chip"), ("5纳米", "ProcessNode")])
    (cand,) = candidates(view, ontology, normalizer)
    probs = model.probabilities([model.encode([])], np.array([model.label_mask(cand.fits)]))[0]
    allowed = {model.labels.index(NONE), model.labels.index("usesProcessNode")}
    assert all(p == 0.0 for i, p in enumerate(probs) if i not in allowed)
    assert probs.sum() == pytest.approx(1.0)
    ((_, label, raw, _),) = model.predict(view, ontology, normalizer)
    assert label == "usesProcessNode" and 0.0 < raw < 1.0


def test_model_claims_only_pairs_the_rules_left_alone(ontology, normalizer):
    finder = MentionFinder(Lexicon.load(), normalizer)
    view, rule_claims = lexicon_view(finder, normalizer, "英偉達的H100採用4納米工藝，台積電和超威半導體也在現場。")
    ruled = {frozenset((c.subject.key, c.obj.key)) for c in rule_claims if isinstance(c.obj, Mention)}
    assert ruled, "the rules must claim something here"
    claims = biased_model("partnerOf", others=5.0).claims(view, rule_claims, ontology, normalizer, threshold=0.0)
    assert claims
    for claim in claims:
        assert claim.rule == EXTRACTOR
        assert frozenset((claim.subject.key, claim.obj.key)) not in ruled
        assert ontology.check(claim.predicate, claim.subject.cls, claim.obj.cls) is None
    pairs = [frozenset((c.subject.key, c.obj.key)) for c in claims]
    assert len(pairs) == len(set(pairs))                          # one relation per pair of entities
    assert biased_model("partnerOf").claims(view, rule_claims, ontology, normalizer, threshold=1.01) == []


def test_platt_calibration_is_monotone_and_per_predicate():
    scored = [(0.9, "develops", True)] * 40 + [(0.9, "develops", False)] * 10 + \
             [(0.9, "partnerOf", True)] * 10 + [(0.9, "partnerOf", False)] * 40 + \
             [(0.2, "develops", False)] * 40 + [(0.2, "partnerOf", False)] * 40
    cal = fit_platt(scored, PREDICATES)
    assert calibrated(cal, 0.9, "develops") > calibrated(cal, 0.9, "partnerOf")
    assert calibrated(cal, 0.2, "develops") < calibrated(cal, 0.9, "develops")
    assert fit_platt(scored, PREDICATES) == cal
    assert calibrated({}, 0.37, "develops") == 0.37


# ---------------------------------------------------------------------------------------- determinism

MADE_UP_ARTICLES = {
    "a1.txt": "國產GPU芯片近況\n英偉達發布了H100芯片，這款GPU採用4納米工藝，由台積電代工。沐曦與華為在算力領域合作。"
              "摩爾線程推出MTT S80顯卡，面向數據中心市場。GPU算力需求持續上升。\n",
    "a2.txt": "AI芯片與GPU市場\n華為推出新的AI芯片，採用7納米工藝。英偉達收購了Mellanox公司。沐曦的MXN100面向推理市場，"
              "摩爾線程與沐曦在GPU生態上展開合作。GPU芯片國產化加速。\n",
}
MADE_UP_GOLD = """doc\tsubject\tpredicate\tobject\tstatus\tevidence
a1.txt\t英偉達\tdevelops\tH100\trequired\t英偉達發布了H100芯片
a1.txt\tH100\tusesProcessNode\t4納米\trequired\t採用4納米工藝
a1.txt\tH100\tmanufacturedBy\t台積電\trequired\t由台積電代工
a1.txt\t沐曦\tpartnerOf\t華為\trequired\t沐曦與華為在算力領域合作
a1.txt\t摩爾線程\tdevelops\tMTT S80\trequired\t摩爾線程推出MTT S80顯卡
a1.txt\tMTT S80\ttargetsMarket\t數據中心\trequired\t面向數據中心市場
a1.txt\t台積電\tdevelops\tH100\tforbidden\t由台積電代工
a2.txt\t英偉達\tacquired\tMellanox\trequired\t英偉達收購了Mellanox公司
a2.txt\t沐曦\tdevelops\tMXN100\trequired\t沐曦的MXN100
a2.txt\tMXN100\ttargetsMarket\t推理\trequired\t面向推理市場
a2.txt\t摩爾線程\tpartnerOf\t沐曦\trequired\t摩爾線程與沐曦在GPU生態上展開合作
"""


@pytest.fixture(scope="module")
def made_up_corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("rel-corpus")
    for name, text in MADE_UP_ARTICLES.items():
        (root / name).write_text(text, encoding="utf-8")
    (root / "gold.tsv").write_text(MADE_UP_GOLD, encoding="utf-8")
    return root


def test_training_data_labels_from_gold(made_up_corpus):
    from kg.training.relation_training import prepare

    docs, cases = prepare([(made_up_corpus, made_up_corpus / "gold.tsv")], include_cases=False)
    assert cases is None and [d.name for d in docs] == ["a1.txt", "a2.txt"]
    examples = [e for d in docs for e in d.examples if not e.copy]
    positives = {(e.doc, e.subject_key, p, e.object_key) for e in examples for p in e.target}
    assert ("a1.txt", "Nvidia", "develops", "H100") in positives
    assert ("a1.txt", "H100", "manufacturedBy", "TSMC") in positives
    assert ("a2.txt", "Nvidia", "acquired", "Mellanox") in positives
    # symmetric predicates are positive in both directions
    assert ("a2.txt", "MooreThreads", "partnerOf", "MetaX") in positives
    assert ("a2.txt", "MetaX", "partnerOf", "MooreThreads") in positives
    # a forbidden row is a hard negative (NONE, double weight)
    hard = [e for e in examples if e.subject_key == "TSMC" and e.object_key == "H100"]
    assert hard and all(not e.target and e.weight == 2.0 for e in hard)
    assert any(e.copy for d in docs for e in d.examples)          # the other-script reading


def test_training_is_deterministic(made_up_corpus, tmp_path):
    from kg.training.relation_training import TrainingConfig, prepare, train_relation_model

    config = TrainingConfig(fit=FitConfig(epochs=3, min_count=1), inner_folds=2)
    outputs = []
    for run in range(2):
        docs, cases = prepare([(made_up_corpus, made_up_corpus / "gold.tsv")])
        out = tmp_path / f"run{run}"
        train_relation_model(docs, cases, out, config, seed=3)
        outputs.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    assert sorted(outputs[0]) == ["model.json", "weights.npy"]
    assert outputs[0] == outputs[1]
    model = RelationModel.load(tmp_path / "run0")
    assert model.feature_names and model.weights.dtype == np.float32
    assert not any("英偉達" in f or "h100" in f for f in model.feature_names)


def test_fit_is_seeded():
    rows = [(["cls:Company>Chip", f"inb:{w}", f"dist:{i % 5}"], ("develops",), {"develops": 1.0} if i % 3 else {}, 1.0)
            for i, w in enumerate(["推出", "发布", "推出", "采购", "推出", "对标"] * 10)]
    a, b, c = (fit(rows, FitConfig(epochs=3, min_count=1, batch=4), seed=s) for s in (1, 1, 2))
    assert a.weights.tobytes() == b.weights.tobytes() and a.feature_names == b.feature_names
    assert a.weights.tobytes() != c.weights.tobytes()


# ------------------------------------------------------------------------------------------ loading

def test_load_errors_are_clear(tmp_path):
    with pytest.raises(ConfigError, match="relation model not found.*kg train --relations-only"):
        RelationModel.load(tmp_path / "nothing")
    model = biased_model("develops")
    model.save(tmp_path / "ok")
    assert RelationModel.load(tmp_path / "ok").labels == model.labels
    broken = tmp_path / "broken"
    model.save(broken)
    (broken / "model.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="damaged"):
        RelationModel.load(broken)
    shape = tmp_path / "shape"
    model.save(shape)
    np.save(shape / "weights.npy", np.zeros((3, 2), dtype=np.float32))
    with pytest.raises(ConfigError, match="damaged.*shape"):
        RelationModel.load(shape)


def test_pipeline_options(tmp_path):
    from kg.pipeline import BuildOptions, Pipeline

    assert Pipeline(BuildOptions(use_model=False)).relation_model is None          # --no-model: both off
    with pytest.raises(ConfigError, match="relation model not found"):
        Pipeline(BuildOptions(use_model=False, use_relation_model=True, relation_model_dir=tmp_path / "none"))
    biased_model("develops").save(tmp_path / "rel")
    pipeline = Pipeline(BuildOptions(use_model=False, use_relation_model=True, relation_model_dir=tmp_path / "rel"))
    assert pipeline.relation_model is not None and pipeline.relation_note.startswith(EXTRACTOR)


@pytest.mark.skipif(not (ROOT / "models" / "rel" / "model.json").is_file(), reason="no trained relation model")
def test_shipped_model_loads_and_is_small():
    model = RelationModel.load()
    assert model.name == EXTRACTOR
    assert 0.0 < model.threshold <= 1.01
    size = sum(p.stat().st_size for p in (ROOT / "models" / "rel").iterdir())
    assert size < 10_000_000


# ----------------------------------------------------------------------------------------- k-fold

@pytest.mark.slow
@pytest.mark.skipif(not RESULTS.is_file() or not (ROOT.parent / "shared" / "eval" / "dev" / "gold.tsv").is_file(),
                    reason="needs benchmarks/results/relation_kfold.json and ../shared/eval/dev")
def test_kfold_fold0_matches_committed_results():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import eval_relation_kfold as kfold
    finally:
        sys.path.pop(0)
    committed = json.loads(RESULTS.read_text(encoding="utf-8"))
    if committed.get("inputs") != kfold.fingerprint():
        pytest.skip("code, lexicon, articles or gold changed since relation_kfold.json was written: "
                    "re-run `python benchmarks/eval_relation_kfold.py` to refresh it")
    run = subprocess.run([sys.executable, str(KFOLD), "--fold", "0"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
