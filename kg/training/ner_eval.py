"""Held-out evaluation of the NER model: leave-one-article-out (LOAO) over the seed articles.

For each seed article A: train on the annotations of the other articles (templates stay, but every
name occurring in A leaves the name pools and the lexicon), run the model on A's kept articles and
score its mentions against A's gold `a` rows. Optionally (``relations=True``) also build A's graph with
the restricted lexicon, rules only and rules + fold model, and score the relations with the shared
scorer, so the table shows what the model adds on names the lexicon cannot know.

    from kg.training.ner_eval import loao
    report = loao(epochs=8)
    print(report.markdown())

``kfold`` (benchmarks/eval_ner_kfold.py) is the same idea over the 33 real dev articles in 5 folds:
mention scores per class and on names unseen in training, and entity-type recall of a rebuild of the
held-out fold with the restricted lexicon, lexicon only vs lexicon + the fold's model.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from kg.mentions.ner import MIN_CONFIDENCE, TARGET_PRECISION
from kg.model import is_a
from kg.training.train import (DATA_DIR, DEFAULT_LEXICON, LABELS, ROOT, TrainConfig, lexicon_forms, load_seed_examples,
                               name_key, train)

GOLD = ROOT / "tests" / "data" / "seeds-gold.tsv"
SEEDS = ROOT / "seeds"
SCORER = Path(os.environ.get("KG_SCORER", ROOT.parent / "shared" / "eval" / "score.py"))
#: gold classes scored per row of the table (Product's one required row is scored with the product classes)
SCORED_CLASSES = LABELS + ("Product",)


@dataclass(frozen=True)
class GoldEntity:
    forms: tuple[str, ...]
    cls: str
    status: str

    @property
    def keys(self) -> set[str]:
        return {name_key(f) for f in self.forms}


def read_gold(path: Path = GOLD) -> dict[str, list[GoldEntity]]:
    out: dict[str, list[GoldEntity]] = defaultdict(list)
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) < 5 or line.startswith("#") or parts[0] == "doc" or parts[2] != "a":
            continue
        out[parts[0]].append(GoldEntity(tuple(parts[1].split("|")), parts[3], parts[4]))
    return dict(out)


def kept_articles(path: Path):
    """What the pipeline gives the model: the page's kept articles (documents stage)."""
    from kg.ingest.documents import read_document

    return read_document(path).kept


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    found: int = 0      # gold required entities found
    total: int = 0      # gold required entities

    def add(self, other: "Counts") -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.found += other.found
        self.total += other.total

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.found / self.total if self.total else 0.0


def _compatible(pred: str, gold: str) -> bool:
    return is_a(pred, gold)


def score_mentions(predicted: Sequence[tuple[str, str]], gold: Sequence[GoldEntity], seen: set[str] | None = None
                   ) -> tuple[dict[str, Counts], Counts, list[str]]:
    """Entity-level scores of distinct (text, label) predictions against one article's gold rows.

    A prediction is right when its key equals a surface form of a required/optional gold entity of a
    compatible class (the same or a superclass in gold); anything else, a forbidden entity included,
    is wrong. Recall is over required gold entities of the model's classes. ``seen`` holds the keys of
    names known beforehand (met in training, or in a lexicon): the second return value is the recall on
    the gold entities none of whose surface forms is among them.
    """
    by_class: dict[str, Counts] = defaultdict(Counts)
    unseen_counts = Counts()
    errors = []
    scored_gold = [g for g in gold if g.cls in SCORED_CLASSES]
    pred_set = sorted(set(predicted))
    for text, label in pred_set:
        k = name_key(text)
        match = [g for g in gold if k in g.keys]
        ok = any(g.status != "forbidden" and _compatible(label, g.cls) for g in match)
        by_class[label].tp += ok
        by_class[label].fp += not ok
        if not ok:
            errors.append(f"{text}/{label}" + (f" (gold {match[0].cls})" if match else ""))
    pred_keys = {(name_key(t), lab) for t, lab in pred_set}
    for g in scored_gold:
        if g.status != "required":
            continue
        hit = any(k in g.keys and _compatible(lab, g.cls) for k, lab in pred_keys)
        by_class[g.cls].total += 1
        by_class[g.cls].found += hit
        if seen is not None and not (g.keys & seen):
            unseen_counts.total += 1
            unseen_counts.found += hit
    return dict(by_class), unseen_counts, errors


@dataclass
class FoldResult:
    doc: str
    by_class: dict[str, Counts]
    unseen: Counts
    lexicon_unknown: Counts
    errors: list[str]
    train_seconds: float
    predictions: list[tuple[str, str, float]] = field(default_factory=list)  # every (text, class, confidence)
    relations: dict[str, dict] = field(default_factory=dict)   # "rules" / "rules+model" -> scorer JSON


def seen_keys(exclude_doc: str) -> set[str]:
    """Keys of every name the fold's model met as an annotated span in the seed sentences."""
    return {name_key(ex.text[s:e]) for ex in load_seed_examples(exclude_docs=[exclude_doc]) for s, e, _ in ex.spans}


def lexicon_keys(lexicon_path: Path = DEFAULT_LEXICON) -> set[str]:
    return {name_key(n) for names in lexicon_forms(lexicon_path).values() for n in names}


def restricted_lexicon(held_out_text: str, out_path: Path, lexicon_path: Path = DEFAULT_LEXICON) -> Path:
    """Write the lexicon without every row one of whose names occurs in ``held_out_text``."""
    hay = name_key(held_out_text)
    dropped = {ident for ident, names in lexicon_forms(lexicon_path).items()
               if any(name_key(n) and name_key(n) in hay for n in names)}
    lines = Path(lexicon_path).read_text(encoding="utf-8").splitlines(keepends=True)
    kept = []
    for line in lines:   # the file's own lines, comments and layout kept; a row goes by its id (first column)
        if line.startswith("#") or not line.strip() or line.split("\t", 1)[0].strip() not in dropped:
            kept.append(line)
    out_path.write_text("".join(kept), encoding="utf-8")
    return out_path


def run_fold(doc: str, workdir: Path, config: TrainConfig, seed: int = 0, relations: bool = False,
             gold: dict[str, list[GoldEntity]] | None = None, min_confidence: float | None = None) -> FoldResult:
    from kg.mentions.ner import NerModel

    gold = gold or read_gold()
    page = (SEEDS / doc).read_text(encoding="utf-8")
    flat = re.sub(r"[\r\n]+", "", page)
    model_dir = workdir / f"model-{doc.split('_')[0]}"
    t0 = time.perf_counter()
    train(model_dir, seed=seed, config=config, exclude_docs=[doc], held_out_text=flat)
    seconds = time.perf_counter() - t0
    model = NerModel.load(model_dir, processes=1, min_confidence=0.0)
    everything = [(m.text, m.cls, m.confidence) for found in model.find(kept_articles(SEEDS / doc)) for m in found]
    # the threshold the model ships with (chosen on the dev k-fold, data/ner/calibration.json) unless given
    threshold = NerModel.load(model_dir, processes=1).min_confidence if min_confidence is None else min_confidence
    result = score_fold(doc, everything, threshold, gold[doc])
    result.train_seconds = seconds
    if relations:
        result.relations = fold_relations(doc, flat, model_dir, workdir)
    return result


def score_fold(doc: str, predictions: list[tuple[str, str, float]], threshold: float, gold: list[GoldEntity]
               ) -> FoldResult:
    """Score a fold's predictions kept at ``threshold`` (re-run cheaply to sweep the threshold)."""
    predicted = [(t, c) for t, c, conf in predictions if conf >= threshold]
    by_class, unseen_counts, errors = score_mentions(predicted, gold, seen=seen_keys(doc))
    _, lex_unknown, _ = score_mentions(predicted, gold, seen=lexicon_keys())
    return FoldResult(doc, by_class, unseen_counts, lex_unknown, errors, 0.0, predictions)


def judge(predictions: list[tuple[str, str, float]], gold: list[GoldEntity]) -> list[tuple[float, bool]]:
    """(confidence, right?) for each distinct (text, class) prediction, as ``score_mentions`` judges it."""
    best: dict[tuple[str, str], float] = {}
    for text, cls, conf in predictions:
        best[(text, cls)] = max(conf, best.get((text, cls), 0.0))
    out = []
    for (text, cls), conf in sorted(best.items()):
        k = name_key(text)
        out.append((conf, any(k in g.keys and g.status != "forbidden" and _compatible(cls, g.cls) for g in gold)))
    return out


def fit_held_out_calibration(report: dict, gold: dict[str, list[GoldEntity]] | None = None) -> list[list[float]]:
    """Isotonic map from the folds' confidences to how often such mentions were right on held-out articles.

    Written to `data/ner/calibration.json` by `benchmarks/eval_ner_loao.py --write-calibration`; `kg train`
    stores it with the model, so the shipped confidences mean what they say on real articles.
    """
    from kg.training.train import fit_calibration

    gold = gold or read_gold()
    scored = [pair for f in report["folds"] for pair in judge([tuple(p) for p in f["predictions"]], gold[f["doc"]])]
    return fit_calibration(scored, bins=12)


def fold_relations(doc: str, flat: str, model_dir: Path, workdir: Path) -> dict[str, dict]:
    """Build the held-out article with the restricted lexicon, without and with the fold's model; score."""
    from kg.pipeline import BuildOptions, build

    seeds = workdir / f"seeds-{doc.split('_')[0]}"
    seeds.mkdir(exist_ok=True)
    (seeds / doc).write_bytes((SEEDS / doc).read_bytes())
    lexicon = restricted_lexicon(flat, workdir / f"lexicon-{doc.split('_')[0]}.tsv")
    out = {}
    for tag, use_model in (("rules", False), ("rules+model", True)):
        exports = workdir / f"exports-{doc.split('_')[0]}-{tag}"
        build(seeds, exports, BuildOptions(use_model=use_model, lexicon_path=lexicon, model_dir=model_dir))
        out[tag] = score_graph(exports / "graph.ttl", docs=[doc])
    return out


def score_graph(graph: Path, docs: Sequence[str] = (), gold: Path = GOLD) -> dict:
    """The shared scorer's JSON for ``graph`` (restricted to ``docs`` when given)."""
    cmd = [sys.executable, str(SCORER), str(graph), "--gold", str(gold), "--json"]
    if docs:
        cmd += ["--docs", ",".join(docs)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def _fold_worker(args):
    doc, workdir, config, seed, relations = args
    return run_fold(doc, Path(workdir), config, seed, relations)


@dataclass
class LoaoReport:
    folds: list[FoldResult]
    seconds: float
    epochs: int

    def total(self) -> tuple[dict[str, Counts], Counts, Counts]:
        by_class: dict[str, Counts] = defaultdict(Counts)
        unseen, lex = Counts(), Counts()
        for f in self.folds:
            for c, n in f.by_class.items():
                by_class[c].add(n)
            unseen.add(f.unseen)
            lex.add(f.lexicon_unknown)
        return dict(by_class), unseen, lex

    def micro(self) -> Counts:
        out = Counts()
        for n in self.total()[0].values():
            out.add(n)
        return out

    def relation_totals(self, tag: str) -> dict[str, float]:
        """Micro-averaged relation precision/recall over the folds (from the scorer's counts)."""
        found = required = 0
        correct = judged = 0.0
        for f in self.folds:
            r = f.relations.get(tag)
            if not r:
                continue
            found += r.get("relations_found", 0)
            required += r.get("relations_required", 0)
            judged += r.get("judged_triples", 0)
            correct += r.get("relation_precision", 0) * r.get("judged_triples", 0)
        return {"precision": correct / judged if judged else 0.0, "recall": found / required if required else 0.0}

    def to_dict(self) -> dict:
        by_class, unseen, lex = self.total()
        m = self.micro()
        return {
            "epochs": self.epochs, "seconds": round(self.seconds, 1),
            "micro": {"precision": round(m.precision, 3), "recall": round(m.recall, 3)},
            "unseen_recall": round(unseen.recall, 3), "unseen_total": unseen.total,
            "lexicon_unknown_recall": round(lex.recall, 3), "lexicon_unknown_total": lex.total,
            "by_class": {c: {"tp": n.tp, "fp": n.fp, "found": n.found, "total": n.total,
                             "precision": round(n.precision, 3), "recall": round(n.recall, 3)}
                         for c, n in sorted(by_class.items())},
            "relations": {t: self.relation_totals(t) for t in ("rules", "rules+model")} if any(f.relations for f in self.folds) else {},
            "folds": [{"doc": f.doc, "train_seconds": round(f.train_seconds, 1), "errors": f.errors,
                       "predictions": f.predictions,
                       "unseen": [f.unseen.found, f.unseen.total], "relations": f.relations} for f in self.folds],
        }

    def markdown(self) -> str:
        by_class, unseen, lex = self.total()
        lines = ["| class | predicted | correct | precision | gold (required) | found | recall |",
                 "|---|---:|---:|---:|---:|---:|---:|"]
        for c in SCORED_CLASSES:
            n = by_class.get(c)
            if n and (n.tp + n.fp + n.total):
                lines.append(f"| {c} | {n.tp + n.fp} | {n.tp} | {n.precision:.2f} | {n.total} | {n.found} | {n.recall:.2f} |")
        m = self.micro()
        lines.append(f"| **all** | {m.tp + m.fp} | {m.tp} | **{m.precision:.2f}** | {m.total} | {m.found} | **{m.recall:.2f}** |")
        lines += ["", "| names | gold (required) | found | recall |", "|---|---:|---:|---:|",
                  f"| never seen in training (not in any other article, pool or lexicon) | {unseen.total} | {unseen.found} | {unseen.recall:.2f} |",
                  f"| absent from the shipped lexicon | {lex.total} | {lex.found} | {lex.recall:.2f} |"]
        rel = [f for f in self.folds if f.relations]
        if rel:
            lines += ["", "| held-out article (restricted lexicon) | rules P | rules R | rules+model P | rules+model R | entity types R: rules → +model |",
                      "|---|---:|---:|---:|---:|---:|"]
            for f in rel:
                a, b = f.relations["rules"], f.relations["rules+model"]
                lines.append(f"| {f.doc} | {_pr(a, 'relation_precision')} | {_pr(a, 'relation_recall')} | "
                             f"{_pr(b, 'relation_precision')} | {_pr(b, 'relation_recall')} | "
                             f"{_pr(a, 'entity_type_recall')} → {_pr(b, 'entity_type_recall')} |")
            for tag in ("rules", "rules+model"):
                t = self.relation_totals(tag)
                lines.append(f"| **all five ({tag})** | {t['precision']:.2f} | {t['recall']:.2f} | | | |" if tag == "rules" else
                             f"| **all five ({tag})** | | | {t['precision']:.2f} | {t['recall']:.2f} | |")
        return "\n".join(lines)


def _pr(scores: dict, key: str) -> str:
    v = scores.get(key)
    return f"{v:.2f}" if isinstance(v, (int, float)) else "–"


def loao(epochs: int = 8, seed: int = 0, processes: int = 2, relations: bool = False, workdir: Path | None = None,
         docs: Sequence[str] | None = None, progress: Callable[[str], None] | None = None) -> LoaoReport:
    """Leave-one-article-out over the seed articles, ``processes`` folds at a time."""
    import multiprocessing as mp

    say = progress or (lambda msg: None)
    docs = list(docs or sorted(read_gold()))
    config = TrainConfig(epochs=epochs)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kg-loao-") as tmp:
        work = Path(workdir or tmp)
        work.mkdir(parents=True, exist_ok=True)
        args = [(d, str(work), config, seed, relations) for d in docs]
        if processes > 1:
            with mp.get_context("fork").Pool(processes, maxtasksperchild=1) as pool:
                folds = []
                for r in pool.imap(_fold_worker, args):
                    say(f"fold {r.doc}: {r.train_seconds:.0f}s")
                    folds.append(r)
        else:
            folds = [_fold_worker(a) for a in args]
    return LoaoReport(folds, time.perf_counter() - t0, epochs)


# ------------------------------------------------------------------------------- k-fold over dev articles
#: the development articles and their gold (../shared/eval/dev): the k-fold evaluation's held-out text
DEV_DIR = Path(os.environ.get("KG_DEV_DIR", ROOT.parent / "shared" / "eval" / "dev"))
DEV_GOLD = DEV_DIR / "gold.tsv"
JUNK_REASONS = ("litter", "number", "generic", "person", "source", "fragment")


def dev_articles() -> list[str]:
    return sorted(p.name for p in DEV_DIR.glob("*.txt"))


def make_folds(names: Sequence[str], k: int = 5, seed: int = 0) -> list[list[str]]:
    """K folds of the articles by a seeded shuffle (the same split as benchmarks/eval_relation_kfold.py)."""
    import random

    order = sorted(names)
    random.Random(seed).shuffle(order)
    return [sorted(order[i::k]) for i in range(k)]


def fold_text(docs: Sequence[str], directory: Path = DEV_DIR) -> str:
    return "\n".join(re.sub(r"[\r\n]+", "", (directory / d).read_text(encoding="utf-8")) for d in docs)


def training_keys(held_out_text: str, exclude_docs: Sequence[str], config: TrainConfig) -> set[str]:
    """Keys of every name a fold's model can have met in training: annotated spans of the seeds and the
    other folds' dev articles, silver spans learnt as written, and the (restricted) name pools."""
    from kg.training.train import load_name_pools, load_real_examples, load_silver, restrict_pools

    keys = {name_key(ex.text[s:e]) for ex in load_seed_examples() for s, e, _ in ex.spans}
    if config.real_gold:
        keys |= {name_key(ex.text[s:e]) for ex in load_real_examples(exclude_docs=exclude_docs)[0] for s, e, _ in ex.spans}
    if config.silver:
        keys |= {name_key(ex.text[s:e]) for ex in load_silver(banned_text=held_out_text)
                 for s, e, _ in ex.spans if (s, e) not in ex.force}
    pools = restrict_pools(load_name_pools(), held_out_text)
    keys |= {name_key(n) for names in pools.values() for n in names}
    return keys


def kfold_train_fold(index: int, docs: Sequence[str], workdir: Path, config: TrainConfig, seed: int = 0,
                     reuse: bool = False) -> dict:
    """Train fold ``index``'s model (without ``docs``, their names out of pools and silver) and collect its
    raw predictions on the held-out articles: (doc, text, class, dev-calibrated confidence, junk reason).
    ``reuse``: a model already in the work directory, trained with the same config, is used as it is
    (to re-score a change of the junk filter or the calibration without retraining)."""
    from kg.mentions.ner import NerModel, clean_spans

    flat = fold_text(docs)
    model_dir = workdir / f"model-{index}"
    timing = workdir / f"model-{index}.seconds"
    meta_path = model_dir / "kg-ner.json"
    if reuse and meta_path.is_file() and timing.is_file() and \
            json.loads(meta_path.read_text(encoding="utf-8"))["config"] == config.__dict__:
        seconds = float(timing.read_text())
    else:
        t0 = time.perf_counter()
        train(model_dir, seed=seed, config=config, exclude_docs=list(docs), held_out_text=flat)
        seconds = time.perf_counter() - t0
        timing.write_text(f"{seconds:.1f}\n")
    model = NerModel.load(model_dir, processes=1, min_confidence=0.0)
    model._held_x, model._held_y = [], []          # stage 2 is fitted on these very predictions afterwards
    predictions = []
    for doc in docs:
        articles = kept_articles(DEV_DIR / doc)
        for article, found in zip(articles, model.predict_raw([a.text for a in articles])):
            for s, e, label, score, reason in clean_spans(article.text, found):
                predictions.append([doc, article.text[s:e], label, model.calibrate(score), reason])
    size = sum(p.stat().st_size for p in model_dir.rglob("*") if p.is_file())
    return {"fold": index, "docs": list(docs), "train_seconds": round(seconds, 1), "model_bytes": size,
            "model_dir": str(model_dir), "predictions": predictions}


def _kfold_worker(args):
    index, docs, workdir, config, seed, reuse = args
    return kfold_train_fold(index, docs, Path(workdir), config, seed, reuse)


def score_kfold_fold(fold: dict, gold: dict[str, list[GoldEntity]], threshold: float, calibration: list[list[float]],
                     seen: set[str], junk_filter: bool = True) -> dict:
    """Mention scores of one fold at ``threshold`` on the stage-2 calibrated confidence."""
    from kg.mentions.ner import calibration_step

    by_class: dict[str, Counts] = defaultdict(Counts)
    unseen = Counts()
    errors: list[str] = []
    xs, ys = [c[0] for c in calibration], [c[1] for c in calibration]
    for doc in fold["docs"]:
        predicted = [(t, c) for d, t, c, conf, reason in fold["predictions"]
                     if d == doc and (reason is None or not junk_filter) and (calibration_step(xs, ys, conf) if xs else conf) >= threshold]
        bc, un, err = score_mentions(predicted, gold.get(doc, []), seen=seen)
        for c, n in bc.items():
            by_class[c].add(n)
        unseen.add(un)
        errors += [f"{doc}: {e}" for e in err]
    return {"by_class": dict(by_class), "unseen": unseen, "errors": errors}


def kfold_judged(folds: list[dict], gold: dict[str, list[GoldEntity]]) -> list[tuple[float, bool]]:
    """(dev-calibrated confidence, right?) of the folds' distinct held-out mentions (junk filtered)."""
    scored = []
    for f in folds:
        for doc in f["docs"]:
            preds = [(t, c, conf) for d, t, c, conf, reason in f["predictions"] if d == doc and reason is None]
            scored += judge(preds, gold.get(doc, []))
    return scored


def kfold_calibration(folds: list[dict], gold: dict[str, list[GoldEntity]]) -> list[list[float]]:
    """Stage 2: isotonic map from the fold models' dev-calibrated confidence to held-out precision (junk filtered)."""
    from kg.training.train import fit_calibration

    return fit_calibration(kfold_judged(folds, gold), bins=12)


def choose_threshold(pairs: list[tuple[float, bool]], target: float = TARGET_PRECISION,
                     floor: float = MIN_CONFIDENCE) -> float:
    """The lowest confidence threshold (>= ``floor``; one of the calibrated values) at which the mentions
    of ``pairs`` ((stage-2 calibrated confidence, right?)) are right at least ``target`` of the time; the
    highest value when none is."""
    candidates = sorted({round(floor, 4), *(round(c, 4) for c, _ in pairs if c >= floor)})
    for t in candidates:
        kept = [ok for c, ok in pairs if c >= t]
        if kept and sum(kept) / len(kept) >= target:
            return t
    return candidates[-1]


def cross_fitted(folds: list[dict], gold: dict[str, list[GoldEntity]]) -> list[tuple[float, bool]]:
    """(calibrated confidence, right?) of every fold's held-out mentions, each fold calibrated by the map
    fitted on the other ``folds`` only: out-of-sample, as the maps will be used."""
    from kg.mentions.ner import calibration_step

    pairs = []
    for f in folds:
        others = [g for g in folds if g is not f]
        steps = kfold_calibration(others, gold) if others else []
        xs, ys = [c[0] for c in steps], [c[1] for c in steps]
        pairs += [(calibration_step(xs, ys, conf) if xs else conf, ok) for conf, ok in kfold_judged([f], gold)]
    return pairs


def kfold_rebuild(index: int, docs: Sequence[str], model_dir: Path | None, workdir: Path) -> dict[str, dict]:
    """Build the held-out articles with the restricted lexicon: lexicon only, and lexicon + the fold's model
    (relation model off in both); the shared scorer's JSON for each."""
    import shutil

    from kg.pipeline import BuildOptions, build

    seeds = workdir / f"articles-{index}"
    seeds.mkdir(parents=True, exist_ok=True)
    for d in docs:
        shutil.copyfile(DEV_DIR / d, seeds / d)
    lexicon = restricted_lexicon(fold_text(docs), workdir / f"lexicon-{index}.tsv")
    out = {}
    runs = [("lexicon", False)] + ([("lexicon+model", True)] if model_dir else [])
    for tag, use_model in runs:
        exports = workdir / f"exports-{index}-{tag}"
        build(seeds, exports, BuildOptions(use_model=use_model, lexicon_path=lexicon, model_dir=model_dir,
                                           use_relation_model=False, formats=("turtle", "report")))
        out[tag] = score_graph(exports / "graph.ttl", docs=list(docs), gold=DEV_GOLD)
    return out


def _counts_dict(by_class: dict[str, Counts], unseen: Counts) -> dict:
    m = Counts()
    for n in by_class.values():
        m.add(n)
    return {"precision": round(m.precision, 4), "recall": round(m.recall, 4), "predicted": m.tp + m.fp, "correct": m.tp,
            "gold": m.total, "found": m.found, "unseen_recall": round(unseen.recall, 4), "unseen_gold": unseen.total,
            "unseen_found": unseen.found,
            "by_class": {c: {"predicted": n.tp + n.fp, "correct": n.tp, "precision": round(n.precision, 4),
                             "gold": n.total, "found": n.found, "recall": round(n.recall, 4)}
                         for c, n in sorted(by_class.items()) if n.tp + n.fp + n.total}}


def kfold(config: TrainConfig, k: int = 5, seed: int = 0, fold_seed: int = 0, processes: int = 2,
          only: Sequence[int] | None = None, calibration: dict[int, list[list[float]]] | None = None, rebuild: bool = True,
          threshold: float = MIN_CONFIDENCE, workdir: Path | None = None, reuse: bool = False,
          progress: Callable[[str], None] | None = None) -> dict:
    """K-fold evaluation of the NER recipe ``config`` over the dev articles (benchmarks/eval_ner_kfold.py).

    Each fold's model is trained on the seeds + the other folds (+ silver), with every name of the held-out
    fold out of the pools and the silver labels; its mentions on the held-out articles are scored against
    their gold `a` rows, and the held-out articles are rebuilt with the restricted lexicon, lexicon only vs
    lexicon + model.

    Stage 2 of the calibration (confidence -> held-out precision, on which ``threshold`` applies) is
    cross-fitted: fold i's map is fitted on the other folds' predictions only, never on fold i's own
    gold, so neither the map nor the threshold ever sees the held-out fold. ``calibration`` gives the
    maps by fold (a re-run of ``only`` some folds uses the committed ones). The result's top-level
    ``calibration`` is the map fitted on all folds: the one `kg train` ships (data/ner/calibration.json)."""
    import multiprocessing as mp
    import tempfile

    say = progress or (lambda msg: None)
    gold = read_gold(DEV_GOLD)
    folds_docs = make_folds(dev_articles(), k, fold_seed)
    indices = list(only) if only is not None else list(range(k))
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kg-nerkfold-") as tmp:
        work = Path(workdir or tmp)
        work.mkdir(parents=True, exist_ok=True)
        args = [(i, folds_docs[i], str(work), config, seed, reuse) for i in indices]
        if processes > 1 and len(args) > 1:
            with mp.get_context("fork").Pool(min(processes, len(args)), maxtasksperchild=1) as pool:
                folds = []
                for r in pool.imap(_kfold_worker, args):
                    say(f"fold {r['fold']}: trained in {r['train_seconds']:.0f}s")
                    folds.append(r)
        else:
            folds = []
            for a in args:
                folds.append(_kfold_worker(a))
                say(f"fold {a[0]}: trained in {folds[-1]['train_seconds']:.0f}s")
        steps = kfold_calibration(folds, gold) if calibration is None else []
        # the threshold is chosen by cross-validation: on out-of-sample calibrated mentions (each fold by a
        # map it took no part in); the shipped one over all folds, fold i's over the other folds only
        shipped = choose_threshold(cross_fitted(folds, gold)) if calibration is None else None
        for f in folds:
            if calibration is not None:         # a re-run: the committed fold's map and threshold
                f["calibration"], f["threshold"] = calibration[f["fold"]]
            else:                               # fitted and chosen on the other folds only
                others = [g for g in folds if g is not f]
                f["calibration"] = kfold_calibration(others, gold) if others else []
                f["threshold"] = choose_threshold(cross_fitted(others, gold)) if len(others) > 1 else threshold
            meta_path = Path(f["model_dir"]) / "kg-ner.json"
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            meta["held_out_calibration"] = f["calibration"]
            meta["min_confidence"] = f["threshold"]
            meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
            seen = training_keys(fold_text(f["docs"]), f["docs"], config)
            on = score_kfold_fold(f, gold, f["threshold"], f["calibration"], seen, junk_filter=True)
            off = score_kfold_fold(f, gold, f["threshold"], f["calibration"], seen, junk_filter=False)
            f["mentions"] = _counts_dict(on["by_class"], on["unseen"])
            f["mentions_without_junk_filter"] = _counts_dict(off["by_class"], off["unseen"])
            f["errors"] = on["errors"]
            f["junk_dropped"] = _junk_summary(f, gold, f["threshold"], f["calibration"])
            f["sweep"] = {str(t): _counts_dict(*_pick(score_kfold_fold(f, gold, t, f["calibration"], seen)))
                          for t in (0.0, 0.3, 0.4, 0.5, 0.6, 0.7)}
            if rebuild:
                f["rebuild"] = {tag: {key: r.get(key) for key in ("entity_type_recall", "relation_precision",
                                                                   "relation_recall", "relations_found", "relations_required",
                                                                   "judged_triples")}
                                for tag, r in kfold_rebuild(f["fold"], f["docs"], Path(f["model_dir"]), work).items()}
                say(f"fold {f['fold']}: entity-type recall {f['rebuild']['lexicon']['entity_type_recall']:.3f} -> "
                    f"{f['rebuild']['lexicon+model']['entity_type_recall']:.3f}; mentions P {f['mentions']['precision']:.3f} "
                    f"R {f['mentions']['recall']:.3f}")
            del f["model_dir"]
    return {"k": k, "fold_seed": fold_seed, "seed": seed, "threshold_floor": threshold, "target_precision": TARGET_PRECISION,
            "threshold": shipped, "config": config.__dict__, "calibration": steps, "seconds": round(time.perf_counter() - t0, 1), "folds": folds,
            "summary": kfold_summary(folds)}


def _pick(scored: dict) -> tuple:
    return scored["by_class"], scored["unseen"]


def _junk_summary(fold: dict, gold: dict[str, list[GoldEntity]], threshold: float, steps) -> dict:
    """What the junk filter dropped (distinct mentions above the threshold), and how many of them were right."""
    from kg.mentions.ner import calibration_step

    xs, ys = [c[0] for c in steps], [c[1] for c in steps]
    out: dict[str, dict] = {}
    seen = set()
    for doc, text, cls, conf, reason in fold["predictions"]:
        if reason is None or calibration_step(xs, ys, conf) < threshold or (doc, text, cls) in seen:
            continue
        seen.add((doc, text, cls))
        ok = judge([(text, cls, 1.0)], gold.get(doc, []))[0][1]
        r = out.setdefault(reason, {"dropped": 0, "right": 0, "examples": []})
        r["dropped"] += 1
        r["right"] += ok
        if len(r["examples"]) < 12:
            r["examples"].append(f"{text}/{cls}" + (" (right)" if ok else ""))
    return out


def kfold_summary(folds: list[dict]) -> dict:
    """Mean (and sample sd) over folds and pooled counts of the mention scores and the rebuild recalls."""
    import statistics

    def stats(values):
        values = [v for v in values if v is not None]
        if not values:
            return None
        return {"mean": round(statistics.mean(values), 4),
                "sd": round(statistics.stdev(values), 4) if len(values) > 1 else 0.0}

    out: dict = {}
    for key in ("mentions", "mentions_without_junk_filter"):
        out[key] = {m: stats([f[key][m] for f in folds]) for m in ("precision", "recall", "unseen_recall")}
        pooled_c = {name: sum(f[key][name] for f in folds) for name in ("predicted", "correct", "gold", "found",
                                                                        "unseen_gold", "unseen_found")}
        pooled_c["precision"] = round(pooled_c["correct"] / pooled_c["predicted"], 4) if pooled_c["predicted"] else 0.0
        pooled_c["recall"] = round(pooled_c["found"] / pooled_c["gold"], 4) if pooled_c["gold"] else 0.0
        pooled_c["unseen_recall"] = round(pooled_c["unseen_found"] / pooled_c["unseen_gold"], 4) if pooled_c["unseen_gold"] else 0.0
        by_class: dict[str, dict] = {}
        for f in folds:
            for c, n in f[key]["by_class"].items():
                b = by_class.setdefault(c, {"predicted": 0, "correct": 0, "gold": 0, "found": 0})
                for name in b:
                    b[name] += n[name]
        for b in by_class.values():
            b["precision"] = round(b["correct"] / b["predicted"], 4) if b["predicted"] else None
            b["recall"] = round(b["found"] / b["gold"], 4) if b["gold"] else None
        pooled_c["by_class"] = dict(sorted(by_class.items()))
        out[key]["pooled"] = pooled_c
    if all("rebuild" in f for f in folds):
        lex = [f["rebuild"]["lexicon"]["entity_type_recall"] for f in folds]
        mod = [f["rebuild"]["lexicon+model"]["entity_type_recall"] for f in folds]
        out["entity_type_recall"] = {"lexicon": stats(lex), "lexicon+model": stats(mod),
                                     "gain": stats([b - a for a, b in zip(lex, mod)])}
        for tag in ("lexicon", "lexicon+model"):   # relations pooled over folds (precision over judged triples)
            rb = [f["rebuild"][tag] for f in folds]
            judged = sum(r.get("judged_triples") or 0 for r in rb)
            out.setdefault("relations_pooled", {})[tag] = {
                "found": sum(r["relations_found"] for r in rb), "required": sum(r["relations_required"] for r in rb),
                "recall": round(sum(r["relations_found"] for r in rb) / max(1, sum(r["relations_required"] for r in rb)), 4),
                "judged": judged,
                "precision": round(sum((r.get("relation_precision") or 0) * (r.get("judged_triples") or 0) for r in rb) / judged, 4)
                if judged else None}
    out["sweep"] = {}
    for t in folds[0].get("sweep", {}):
        pc = {name: sum(f["sweep"][t][name] for f in folds) for name in ("predicted", "correct", "gold", "found",
                                                                          "unseen_gold", "unseen_found")}
        out["sweep"][t] = {"precision": round(pc["correct"] / pc["predicted"], 4) if pc["predicted"] else 0.0,
                           "recall": round(pc["found"] / pc["gold"], 4) if pc["gold"] else 0.0,
                           "unseen_recall": round(pc["unseen_found"] / pc["unseen_gold"], 4) if pc["unseen_gold"] else 0.0}
    out["train_seconds"] = stats([f["train_seconds"] for f in folds])
    out["model_bytes"] = max(f["model_bytes"] for f in folds)
    return out
