"""Held-out evaluation of the NER model: leave-one-article-out (LOAO) over the seed articles.

For each seed article A: train on the annotations of the other articles (templates stay, but every
name occurring in A leaves the name pools and the lexicon), run the model on A's kept articles and
score its mentions against A's gold `a` rows. Optionally (``relations=True``) also build A's graph with
the restricted lexicon, rules only and rules + fold model, and score the relations with the shared
scorer, so the table shows what the model adds on names the lexicon cannot know.

    from kg.ner_eval import loao
    report = loao(epochs=8)
    print(report.markdown())
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

from kg.model import is_a
from kg.ner import MIN_CONFIDENCE
from kg.train import DATA_DIR, DEFAULT_LEXICON, LABELS, ROOT, TrainConfig, load_seed_examples, name_key, train

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
    from kg.documents import read_document

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
    import csv

    keys: set[str] = set()
    if not Path(lexicon_path).is_file():
        return keys
    with Path(lexicon_path).open(encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if row and not row[0].startswith("#") and row[0] != "id":
                row = row + [""] * 6
                keys.update(name_key(n) for n in (row[2], row[3], row[4], *row[5].split("|")) if n.strip())
    return keys


def restricted_lexicon(held_out_text: str, out_path: Path, lexicon_path: Path = DEFAULT_LEXICON) -> Path:
    """Write the lexicon without every row one of whose names occurs in ``held_out_text``."""
    hay = name_key(held_out_text)
    lines = Path(lexicon_path).read_text(encoding="utf-8").splitlines(keepends=True)
    kept = []
    for line in lines:
        row = line.rstrip("\n").split("\t") + [""] * 6
        if line.startswith("#") or row[0] == "id" or not line.strip():
            kept.append(line)
            continue
        names = [n for n in (row[2], row[3], row[4], *row[5].split("|")) if n.strip()]
        if not any(name_key(n) and name_key(n) in hay for n in names):
            kept.append(line)
    out_path.write_text("".join(kept), encoding="utf-8")
    return out_path


def run_fold(doc: str, workdir: Path, config: TrainConfig, seed: int = 0, relations: bool = False,
             gold: dict[str, list[GoldEntity]] | None = None, min_confidence: float | None = None) -> FoldResult:
    from kg.ner import NerModel

    gold = gold or read_gold()
    page = (SEEDS / doc).read_text(encoding="utf-8")
    flat = re.sub(r"[\r\n]+", "", page)
    model_dir = workdir / f"model-{doc.split('_')[0]}"
    t0 = time.perf_counter()
    train(model_dir, seed=seed, config=config, exclude_docs=[doc], held_out_text=flat)
    seconds = time.perf_counter() - t0
    model = NerModel.load(model_dir, processes=1, min_confidence=0.0)
    everything = [(m.text, m.cls, m.confidence) for found in model.find(kept_articles(SEEDS / doc)) for m in found]
    threshold = MIN_CONFIDENCE if min_confidence is None else min_confidence
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
    from kg.train import fit_calibration

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
