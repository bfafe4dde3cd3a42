"""kg.mentions.ner (inference), kg.training.train (data, augmentation, reproducibility) and kg.training.ner_eval (held-out scores)."""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from kg.errors import ConfigError
from kg.mentions import ner as ner_module
from kg.mentions.ner import DEFAULT_MODEL_DIR, NerModel, split_chunks
from kg.model import Article, OffsetMap
from kg.training.train import (LABELS, Augmenter, Example, TrainConfig, char_norm, convert_example, load_name_pools,
                               load_seed_examples, load_templates, restrict_pools, split_pools, synthetic_name)

needs_model = pytest.mark.skipif(not (DEFAULT_MODEL_DIR / "kg-ner.json").is_file(),
                                 reason="no trained model in models/ner (run `kg train`)")


def article(text: str, index: int = 0) -> Article:
    return Article("t.txt", index, None, text, OffsetMap.identity(), True, 1.0)


@pytest.fixture(scope="module")
def model() -> NerModel:
    return NerModel.load()


# ------------------------------------------------------------------------------------------ inference

def test_load_missing_model_is_config_error_with_train_hint(tmp_path):
    with pytest.raises(ConfigError, match="kg train"):
        NerModel.load(tmp_path)


@needs_model
def test_find_returns_mentions_of_vocabulary_classes_with_offsets(model):
    text = "國產GPU企業芯翼科技近日發布XJ-510芯片，該芯片採用7納米工藝，面向邊緣計算市場。"
    (found,) = model.find([article(text)])
    assert found, "nothing found"
    for m in found:
        assert text[m.start:m.end] == m.text
        assert m.cls in LABELS and m.source == model.name and m.key is None
        assert 0.0 <= m.confidence <= 1.0
    got = {(m.text, m.cls) for m in found}
    assert ("芯翼科技", "Company") in got
    assert ("XJ-510", "Chip") in got


@needs_model
def test_find_unknown_names_of_several_classes(model):
    cases = [
        ("據悉，瀚睿智算已正式登陸上海科創板，成為又一家上市的GPU企業。", ("瀚睿智算", "Company")),
        ("該公司的天璇三號加速卡已與統信UOS實現兼容。", ("天璇三號", "Chip")),
        ("燧明科技宣布收購了芯曜微電子。", ("芯曜微電子", "Company")),
    ]
    found = model.find([article(t, i) for i, (t, _) in enumerate(cases)])
    hits = sum(exp in {(m.text, m.cls) for m in ms} for (_, exp), ms in zip(cases, found))
    assert hits >= 2, found


@needs_model
def test_find_confidence_is_a_score_not_a_constant(model):
    texts = [ex.text for ex in load_seed_examples()[:40]]
    confidences = {m.confidence for ms in model.find([article(t, i) for i, t in enumerate(texts)]) for m in ms}
    assert len(confidences) > 3


@needs_model
def test_find_same_spans_in_both_scripts(model):
    hant = "摩爾線程的MUSA架構已迭代到四代，沐曦的MXN100採用7納米製程。"
    hans = "摩尔线程的MUSA架构已迭代到四代，沐曦的MXN100采用7纳米制程。"
    a, b = model.find([article(hant), article(hans, 1)])
    assert [(m.start, m.end, m.cls) for m in a] == [(m.start, m.end, m.cls) for m in b]


@needs_model
def test_find_deterministic_and_independent_of_processes(model, monkeypatch):
    texts = [ex.text for ex in load_seed_examples()] * 3
    articles = [article(t, i) for i, t in enumerate(texts)]
    one = NerModel.load(processes=1).find(articles)
    monkeypatch.setattr(ner_module, "PARALLEL_MIN_CHARS", 0)
    two = NerModel.load(processes=2).find(articles)
    assert one == two == NerModel.load(processes=1).find(articles)


@needs_model
def test_find_empty_and_blank_articles(model):
    assert model.find([]) == []
    assert model.find([article(""), article("   \n")]) == [[], []]


def test_split_chunks_cover_text_at_sentence_ends():
    text = ("第一句話。" * 30) + ("無標點" * 200)
    chunks = split_chunks(text, size=50)
    assert chunks[0][0] == 0 and chunks[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in zip(chunks, chunks[1:]))
    assert all(e - s <= 50 for s, e in chunks)
    assert text[chunks[0][1] - 1] == "。"


# --------------------------------------------------------------------------------------- training data

def test_seed_annotations_are_clean():
    examples = load_seed_examples()
    assert len(examples) >= 100
    for ex in examples:
        for s, e, label in ex.spans:
            span = ex.text[s:e]
            assert label in LABELS and span == span.strip() and span
            assert span[0] not in "「《" and span[-1] not in "」》"


def test_convert_example_keeps_spans_on_the_same_names():
    ex = Example("英偉達的H100芯片採用台積電4納米工藝，內存帶寬很高。", [(0, 3, "Company"), (4, 8, "Chip"), (12, 15, "Company")])
    for config in ("t2s", "s2twp"):
        out = convert_example(ex, config)
        assert [out.text[s:e] for s, e, _ in out.spans][1] == "H100"
    simp = convert_example(ex, "t2s")
    assert [simp.text[s:e] for s, e, _ in simp.spans] == ["英伟达", "H100", "台积电"]


def test_augmenter_replaces_mentions_with_same_class_names():
    pools = {label: [f"名{label}"] for label in LABELS}
    aug = Augmenter(pools, load_templates(), TrainConfig(synthetic_share=0.0))
    ex = Example("摩爾線程推出MTT S4000。", [(0, 4, "Company"), (6, 15, "Chip")])
    out = aug.replace(ex, random.Random(0), p=1.0)
    assert [out.text[s:e] for s, e, _ in out.spans] == ["名Company", "名Chip"]
    filled = aug.fill("{Company}收購{Company#2}，{Company}表示。", random.Random(1))
    assert [filled.text[s:e] for s, e, _ in filled.spans] == ["名Company"] * 3


def test_synthetic_names_have_shape():
    rng = random.Random(0)
    for label in LABELS:
        names = {synthetic_name(label, rng) for _ in range(50)}
        assert len(names) > 20 and all(n.strip() for n in names)


def test_restricted_pools_drop_names_of_held_out_text():
    pools = load_name_pools()
    restricted = restrict_pools(pools, "摩爾線程的MUSA架構已迭代到四代，英伟达")
    flat = {n for names in restricted.values() for n in names}
    assert "摩爾線程" not in flat and "英偉達" not in flat and "MUSA" not in flat
    assert "壁仞科技" in flat


def test_lexicon_dropout_split_is_disjoint_and_seeded():
    pools = load_name_pools()
    train_a, dev_a = split_pools(pools, 0.15, 0)
    train_b, dev_b = split_pools(pools, 0.15, 0)
    assert dev_a == dev_b
    for label in LABELS:
        assert not set(train_a[label]) & set(dev_a[label])



def test_training_draws_do_not_depend_on_unrelated_names():
    """Adding a name to a pool (a new lexicon entry) moves no other name across the dropout split and
    changes only the draws that pick the new name: every draw is keyed by what it is about, not taken
    from one stream consumed in lexicon order."""
    from kg.training.train import NamePicker, stable_sample

    pools = load_name_pools()
    grown = {label: names + (["新加的名字X9"] if label == "Chip" else []) for label, names in pools.items()}
    train_a, dev_a = split_pools(pools, 0.15, 0)
    train_b, dev_b = split_pools(grown, 0.15, 0)
    for label in LABELS:
        assert set(dev_b[label]) - {"新加的名字X9"} == set(dev_a[label]), label
    assert split_pools({k: list(reversed(v)) for k, v in pools.items()}, 0.15, 0) == (train_a, dev_a)
    a, b = NamePicker(pools["Chip"], "Chip"), NamePicker(grown["Chip"], "Chip")
    draws = [i / 5000 for i in range(5000)]
    changed = [u for u in draws if a.pick(u) != b.pick(u)]
    assert all(b.pick(u) == "新加的名字X9" for u in changed)
    assert len(changed) < 5 * len(draws) / len(grown["Chip"])     # about 1/n of the draws, not all of them
    # an epoch's items: the same sentences give the same copies whatever else the data holds
    seeds = load_seed_examples()
    aug_a = Augmenter(train_a, load_templates()[:5], TrainConfig(template_fills=2, seed_variants=2), 0)
    aug_b = Augmenter(train_b, load_templates()[:5], TrainConfig(template_fills=2, seed_variants=2), 0)
    ep_a = aug_a.epoch(seeds[:40], [], "0:1")
    ep_b = aug_b.epoch(seeds[:40], [], "0:1")
    assert sum(x.text == y.text for x, y in zip(ep_a, ep_b)) >= 0.95 * len(ep_a)
    assert [e.text for e in aug_a.epoch(seeds[:40], [], "0:1")] == [e.text for e in ep_a]
    sample = {e.text for e in stable_sample(seeds, 10, "k")}
    assert {e.text for e in stable_sample(list(reversed(seeds)), 10, "k")} == sample
    assert len(sample - {e.text for e in stable_sample(seeds + [Example("新句子。", [])], 10, "k")}) <= 1


def test_char_norm_unifies_scripts():
    assert char_norm("輝達") == char_norm("辉达") and char_norm("Ｈ") == "h"


@pytest.mark.slow
def test_train_is_reproducible(tmp_path):
    from kg.training.train import train

    config = TrainConfig(epochs=1, seed_variants=1, template_fills=1, negatives=10, real_variants=0,
                         real_negatives=10, silver=50)
    a = train(tmp_path / "a", seed=3, config=config)
    b = train(tmp_path / "b", seed=3, config=config)
    for part in ("tok2vec/model", "tagger/model", "kg-ner.json"):
        assert (tmp_path / "a" / part).read_bytes() == (tmp_path / "b" / part).read_bytes(), part
    assert a.dev_scores == b.dev_scores


# ---------------------------------------------------------------------------------- held-out quality

ROOT = Path(__file__).resolve().parents[1]
LOAO_RESULTS = ROOT / "benchmarks" / "results" / "ner_loao.json"
KFOLD_RESULTS = ROOT / "benchmarks" / "results" / "ner_kfold.json"

#: held by the pooled leave-one-article-out evaluation (benchmarks/eval_ner_loao.py, committed in
#: benchmarks/results/ner_loao.json; README, NER model section): ner-zh-v1 reached P 0.70, R 0.55, unseen
#: names R 0.41; the v2 recipe with order-free draws and threshold 0.535 (committed file) P 0.876, R 0.659,
#: seed-unseen names R 0.506 (12 epochs; before: P 0.766, R 0.748, unseen 0.639 at threshold 0.4)
LOAO_MIN = {"precision": 0.65, "recall": 0.65, "unseen_recall": 0.50}
LOAO_EPOCHS = 12  # as in the README and the committed results
#: the fold re-run by the slow test: the article with the most gold names (and the smallest training set)
LOAO_FOLD = "001_9a1a79ad6dcf0176.txt"
#: how far each count of the re-run fold (predicted, correct, found, unseen found) may be from the committed
#: fold's: one mention, for the float noise of another CPU; on the machine that wrote the file it is exact
LOAO_COUNT_SLACK = 1


class _Rerun:
    """One eval script re-run in a child process, its output in files (no pipe to fill up)."""

    def __init__(self, name: str, cmd: list[str], out: Path):
        import os
        import subprocess

        self.name, self.out = name, out
        self.log = out.with_suffix(".log")
        with self.log.open("w", encoding="utf-8") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                                         env={**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"})

    def result(self) -> dict:
        import json

        code = self.proc.wait()
        assert code == 0, f"{self.name} exited {code}:\n" + self.log.read_text(encoding="utf-8")[-3000:]
        return json.loads(self.out.read_text(encoding="utf-8"))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def eval_reruns(request, tmp_path_factory):
    """The fold re-runs of the two slow eval tests below, started together when the first of them needs
    them: each is one process with one BLAS thread, so on two cores they take the time of the longer one.
    Only the re-runs of the selected tests are started."""
    import sys

    from kg.training.ner_eval import DEV_GOLD

    selected = {getattr(item, "originalname", item.name) for item in request.session.items}
    work = tmp_path_factory.mktemp("ner-eval-reruns")
    runs = {}
    if "test_loao_fold_reproduces_and_pooled_holds_the_floors" in selected:
        out = work / "loao.json"
        runs["loao"] = _Rerun("eval_ner_loao.py", [sys.executable, str(ROOT / "benchmarks" / "eval_ner_loao.py"),
                                                   "--docs", LOAO_FOLD, "--epochs", str(LOAO_EPOCHS),
                                                   "--processes", "1", "--out", str(out)], out)
    if "test_kfold_fold_reproduces_and_holds_the_targets" in selected and DEV_GOLD.is_file():
        out = work / "kfold.json"
        runs["kfold"] = _Rerun("eval_ner_kfold.py", [sys.executable, str(ROOT / "benchmarks" / "eval_ner_kfold.py"),
                                                     "--folds", str(KFOLD_FOLD), "--processes", "1", "--out", str(out)], out)
    yield runs
    for run in runs.values():
        run.stop()


def test_loao_results_file_is_complete_and_holds_the_floors():
    """The committed LOAO results: all five seed articles, the pooled counts are the folds' sums, and the
    pooled P, R and unseen-name R hold the floors."""
    import json

    from kg.training.ner_eval import read_gold

    committed = json.loads(LOAO_RESULTS.read_text(encoding="utf-8"))
    assert committed["epochs"] == LOAO_EPOCHS
    assert committed["config"] == TrainConfig(epochs=LOAO_EPOCHS).__dict__, \
        "the recipe changed since ner_loao.json was written: re-run `python benchmarks/eval_ner_loao.py`"
    folds = committed["folds"]
    assert [f["doc"] for f in folds] == sorted(read_gold())
    pooled = committed["pooled"]
    assert set(pooled["by_class"]) == {c for f in folds for c in f["mentions"]["by_class"]}
    for key in ("predicted", "correct", "gold", "found", "unseen_gold", "unseen_found"):
        assert pooled[key] == sum(f["mentions"][key] for f in folds), key
    for c, n in pooled["by_class"].items():
        for key, v in n.items():
            assert v == sum(f["mentions"]["by_class"].get(c, {}).get(key, 0) for f in folds), (c, key)
    assert pooled["precision"] == round(pooled["correct"] / pooled["predicted"], 4)
    assert pooled["recall"] == round(pooled["found"] / pooled["gold"], 4)
    assert pooled["unseen_recall"] == round(pooled["unseen_found"] / pooled["unseen_gold"], 4)
    for key, floor in LOAO_MIN.items():
        assert pooled[key] >= floor, (key, pooled[key], floor)


@pytest.mark.slow
def test_loao_fold_reproduces_and_pooled_holds_the_floors(eval_reruns):
    """Re-runs fold LOAO_FOLD (`eval_ner_loao.py --docs`, 12 epochs, seed 0) and compares it with the
    committed fold: gold counts exactly, predicted/correct/found/unseen-found within LOAO_COUNT_SLACK."""
    import json

    committed = json.loads(LOAO_RESULTS.read_text(encoding="utf-8"))
    ref = next(f for f in committed["folds"] if f["doc"] == LOAO_FOLD)["mentions"]
    run = eval_reruns["loao"].result()
    (fold,) = run["folds"]
    got = fold["mentions"]
    stale = ("" if run["inputs"] == committed["inputs"] else
             f" (inputs {run['inputs']} != committed {committed['inputs']}: code or data changed since "
             "ner_loao.json was written; re-run `python benchmarks/eval_ner_loao.py` and commit it)")
    assert run["config"] == committed["config"], stale
    for key in ("gold", "unseen_gold", "lexicon_unknown_gold"):
        assert got[key] == ref[key], (key, got[key], ref[key], stale)
    for key in ("predicted", "correct", "found", "unseen_found"):
        assert abs(got[key] - ref[key]) <= LOAO_COUNT_SLACK, (key, got, ref, stale)
    for key, floor in LOAO_MIN.items():     # the committed pooled numbers hold (the file check above too)
        assert committed["pooled"][key] >= floor, (key, committed["pooled"])


# ------------------------------------------------------------------------- junk filter, v2 features

def test_junk_filter_drops_litter_people_dates_generic_words_and_fragments():
    from kg.mentions.ner import clean_spans

    text = ("来源:新浪科技 编辑:张三\n打开网易新闻 查看精彩图片\n黃仁勳表示，8月份百度公司的集成电路業務增長。"
            "中科曙光營收增長，「摩爾線程」,發布新品。")
    def reason(name, label="Company", nth=0):
        i = -1
        for _ in range(nth + 1):
            i = text.find(name, i + 1)
        (got,) = clean_spans(text, [(i, i + len(name), label, 0.9)])
        return text[got[0]:got[1]], got[4]
    assert reason("新浪科技") == ("新浪科技", "litter")
    assert reason("网易新闻") == ("网易新闻", "litter")
    assert reason("黃仁勳") == ("黃仁勳", "person")
    assert reason("8月份", "Chip") == ("8月份", "number")
    assert reason("集成电路") == ("集成电路", "generic")
    assert reason("百度公") == ("百度公", "fragment")
    assert reason("中科曙光") == ("中科曙光", None)             # 營收 is no dictionary word: not a fragment test
    assert reason("「摩爾線程」,") == ("摩爾線程", None)          # edge quotes and commas are trimmed
    assert reason("百度") == ("百度", None)


def test_junk_filter_keeps_gold_names():
    """No required/optional gold name of the seeds or the dev set (model classes) is junk by its form alone."""
    from kg.mentions.ner import clean_spans
    from kg.training.ner_eval import DEV_GOLD, GOLD, read_gold

    bad = []
    for path in (GOLD, DEV_GOLD):
        if not path.is_file():
            continue
        for doc, rows in read_gold(path).items():
            for g in rows:
                if g.status == "forbidden" or g.cls in ("Place", "ProcessNode"):
                    continue
                for form in g.forms:
                    text = f"據報道，{form}在會上亮相。"
                    (got,) = clean_spans(text, [(4, 4 + len(form), g.cls if g.cls != "Product" else "Chip", 0.9)])
                    if got[4] in ("number", "generic", "person", "litter"):
                        bad.append((doc, form, g.cls, got[4]))
    assert not bad, bad


def test_v2_features_mark_words_quotes_and_heads():
    from kg.mentions.ner_features import char_class, context_cues, word_positions

    norm = "摩尔线程发布「花港」架构芯片"
    words = word_positions(norm)
    assert len(words) == len(norm) and words[0][0] == "B" and words[3][0] == "E"
    cues = context_cues(norm)
    assert "Q=i" in cues[norm.index("花")] and "Q=o" in cues[0]
    assert "H=arch" in cues[norm.index("港")] and "T=launch" in cues[norm.index("花")]
    assert [char_class(c) for c in "摩M s4,"] == ["H", "X", "_", "x", "d", ","]


@needs_model
def test_shipped_model_filters_junk(model):
    text = "來源：網易新聞 編輯：李明\n打開網易新聞 查看精彩圖片\n黃仁勳表示，8月份集成電路企業營收增長。"
    (found,) = model.find([article(text)])
    assert not found, found


# ------------------------------------------------------------------------------ k-fold over dev articles

#: reached by benchmarks/eval_ner_kfold.py (benchmarks/results/ner_kfold.json, README "k-fold" table);
#: the floors are what was measured on the re-run fold (fold 0) minus a small margin for another machine
KFOLD_FOLD = 0
KFOLD_TOLERANCE = 0.03
#: fold 0 measured mention P 0.828 and entity-type gain +0.616 (2026-12-02, order-free training draws,
#: cross-fitted calibration and threshold; issue 9 targets: P >= 0.75, gain >= 0.10)
KFOLD_MIN = {"precision": 0.80, "entity_type_gain": 0.58}


@pytest.mark.slow
def test_kfold_fold_reproduces_and_holds_the_targets(eval_reruns):
    """Re-runs fold KFOLD_FOLD (`eval_ner_kfold.py --folds 0`, full recipe, the fold's committed calibration and
    threshold, both fitted on the other folds; started with the LOAO re-run by `eval_reruns`) and compares it
    with the committed fold."""
    import json

    from kg.training.ner_eval import DEV_GOLD

    if not DEV_GOLD.is_file():
        pytest.skip("no ../shared/eval/dev")
    committed = json.loads(KFOLD_RESULTS.read_text(encoding="utf-8"))
    ref = next(f for f in committed["folds"] if f["fold"] == KFOLD_FOLD)
    (fold,) = eval_reruns["kfold"].result()["folds"]
    m, r = fold["mentions"], fold["rebuild"]
    gain = r["lexicon+model"]["entity_type_recall"] - r["lexicon"]["entity_type_recall"]
    ref_gain = ref["rebuild"]["lexicon+model"]["entity_type_recall"] - ref["rebuild"]["lexicon"]["entity_type_recall"]
    for got, want in ((m["precision"], ref["mentions"]["precision"]), (m["recall"], ref["mentions"]["recall"]),
                      (gain, ref_gain)):
        assert abs(got - want) <= KFOLD_TOLERANCE, (got, want, fold["mentions"], fold["rebuild"])
    assert m["precision"] >= KFOLD_MIN["precision"], m
    assert gain >= KFOLD_MIN["entity_type_gain"], r


def test_threshold_is_chosen_from_the_scored_mentions_it_is_given():
    """choose_threshold: the lowest calibrated value (>= the floor) whose kept mentions reach the target
    precision; in the k-fold it is fed out-of-sample calibrated mentions of the other folds only."""
    from kg.training.ner_eval import choose_threshold

    pairs = [(0.2, False)] * 4 + [(0.5, True), (0.5, False)] * 3 + [(0.7, True)] * 7 + [(0.7, False)] * 3 + [(0.95, True)] * 9 + [(0.95, False)]
    assert choose_threshold(pairs, target=0.6) == 0.4          # the floor already keeps P >= 0.6
    assert choose_threshold(pairs, target=0.8) == 0.7          # 0.4 and 0.5 keep 19 of 26 right, 0.7 16 of 20
    assert choose_threshold(pairs, target=0.99) == 0.95        # never reached: the top value


def test_kfold_results_file_is_cross_fitted_and_holds_the_issue_targets():
    """The committed k-fold results: the current recipe, a stage-2 map and a threshold per fold (fitted on
    the other folds), and issue 9's targets on the mean (mention P >= 0.75, entity-type gain >= 0.10)."""
    import json

    from kg.mentions.ner import MIN_CONFIDENCE

    committed = json.loads(KFOLD_RESULTS.read_text(encoding="utf-8"))
    assert committed["config"] == TrainConfig().__dict__, \
        "the recipe changed since ner_kfold.json was written: re-run `python benchmarks/eval_ner_kfold.py`"
    assert [f["fold"] for f in committed["folds"]] == list(range(committed["k"]))
    for f in committed["folds"]:
        assert f["calibration"] and f["threshold"] >= MIN_CONFIDENCE, f["fold"]
    s = committed["summary"]
    assert s["mentions"]["precision"]["mean"] >= 0.75 and s["mentions"]["pooled"]["precision"] >= 0.75, s["mentions"]
    assert s["entity_type_recall"]["gain"]["mean"] >= 0.10 and \
        min(f["rebuild"]["lexicon+model"]["entity_type_recall"] - f["rebuild"]["lexicon"]["entity_type_recall"]
            for f in committed["folds"]) >= 0.10
