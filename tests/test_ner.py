"""kg.ner (inference), kg.train (data, augmentation, reproducibility) and kg.ner_eval (held-out scores)."""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from kg import ner as ner_module
from kg.errors import ConfigError
from kg.model import Article, OffsetMap
from kg.ner import DEFAULT_MODEL_DIR, NerModel, split_chunks
from kg.train import (LABELS, Augmenter, Example, TrainConfig, char_norm, convert_example, load_name_pools,
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


def test_char_norm_unifies_scripts():
    assert char_norm("輝達") == char_norm("辉达") and char_norm("Ｈ") == "h"


@pytest.mark.slow
def test_train_is_reproducible(tmp_path):
    from kg.train import train

    config = TrainConfig(epochs=1, seed_variants=1, template_fills=1, negatives=10, real_variants=0,
                         real_negatives=10, silver=50)
    a = train(tmp_path / "a", seed=3, config=config)
    b = train(tmp_path / "b", seed=3, config=config)
    for part in ("tok2vec/model", "tagger/model", "kg-ner.json"):
        assert (tmp_path / "a" / part).read_bytes() == (tmp_path / "b" / part).read_bytes(), part
    assert a.dev_scores == b.dev_scores


# ---------------------------------------------------------------------------------- held-out quality

#: held by the leave-one-article-out evaluation (README, NER model section): ner-zh-v1 reached P 0.70, R 0.55,
#: unseen names R 0.41; the v2 recipe P 0.72, R 0.76, seed-unseen names R 0.63 (12 epochs). The floors leave
#: room for run-to-run noise of a different machine, not for regressions
LOAO_MIN = {"precision": 0.65, "recall": 0.65, "unseen_recall": 0.50}


@pytest.mark.slow
def test_loao_held_out_quality():
    from kg.ner_eval import loao

    report = loao(epochs=LOAO_EPOCHS).to_dict()
    assert report["micro"]["precision"] >= LOAO_MIN["precision"], report["micro"]
    assert report["micro"]["recall"] >= LOAO_MIN["recall"], report["micro"]
    assert report["unseen_recall"] >= LOAO_MIN["unseen_recall"], report


LOAO_EPOCHS = 12  # as in the README; about 20 minutes on 2 cores with the v2 recipe


# ------------------------------------------------------------------------- junk filter, v2 features

def test_junk_filter_drops_litter_people_dates_generic_words_and_fragments():
    from kg.ner import clean_spans

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
    from kg.ner import clean_spans
    from kg.ner_eval import DEV_GOLD, GOLD, read_gold

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
    from kg.ner_features import char_class, context_cues, word_positions

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
#: fold 0 measured mention P 0.857 and entity-type gain +0.616 (issue 9 targets: P >= 0.75, gain >= 0.10)
KFOLD_MIN = {"precision": 0.80, "entity_type_gain": 0.55}


@pytest.mark.slow
def test_kfold_fold_reproduces_and_holds_the_targets(tmp_path):
    import json
    import subprocess
    import sys

    from kg.ner_eval import DEV_GOLD

    results = Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "ner_kfold.json"
    if not DEV_GOLD.is_file():
        pytest.skip("no ../shared/eval/dev")
    committed = json.loads(results.read_text(encoding="utf-8"))
    ref = next(f for f in committed["folds"] if f["fold"] == KFOLD_FOLD)
    out = tmp_path / "fold.json"
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "eval_ner_kfold.py"
    subprocess.run([sys.executable, str(script), "--folds", str(KFOLD_FOLD), "--processes", "1", "--out", str(out)],
                   check=True, capture_output=True, text=True)
    (fold,) = json.loads(out.read_text(encoding="utf-8"))["folds"]
    m, r = fold["mentions"], fold["rebuild"]
    gain = r["lexicon+model"]["entity_type_recall"] - r["lexicon"]["entity_type_recall"]
    ref_gain = ref["rebuild"]["lexicon+model"]["entity_type_recall"] - ref["rebuild"]["lexicon"]["entity_type_recall"]
    for got, want in ((m["precision"], ref["mentions"]["precision"]), (m["recall"], ref["mentions"]["recall"]),
                      (gain, ref_gain)):
        assert abs(got - want) <= KFOLD_TOLERANCE, (got, want, fold["mentions"], fold["rebuild"])
    assert m["precision"] >= KFOLD_MIN["precision"], m
    assert gain >= KFOLD_MIN["entity_type_gain"], r
