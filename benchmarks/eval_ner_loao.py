"""Leave-one-article-out evaluation of the NER model over the five seed articles (kg.training.ner_eval.loao).

For each seed article a model is trained with `kg train`'s recipe (TrainConfig defaults, ``--epochs``)
without that article's sentences, every name occurring in it out of the name pools and the lexicon;
its mentions on the article's kept text (confidence >= the threshold) are scored against the article's
gold `a` rows (tests/data/seeds-gold.tsv): precision and recall per class, recall on names absent from
the other seed articles' annotations ("unseen"), and on names absent from the shipped lexicon.

A full run writes benchmarks/results/ner_loao.json: the config, a hash of the inputs (`inputs`: the
kg modules the run imported, data/ner/, the lexicon, the seed articles and their gold), per fold the
counts, P/R and every raw prediction, and the counts pooled over the folds. The slow test
tests/test_ner.py::test_loao_fold_reproduces_and_pooled_holds_the_floors re-runs one fold
(``--docs <article> --out``) and compares it with the committed fold.

usage: python benchmarks/eval_ner_loao.py                      # all five folds -> benchmarks/results/ner_loao.json
       python benchmarks/eval_ner_loao.py --docs 001_9a1a79ad6dcf0176.txt --check
                                              # re-run one fold, compare with the results file (exit 1 if not equal)
       python benchmarks/eval_ner_loao.py --relations --no-write  # + relation P/R per held-out article (printed)
       python benchmarks/eval_ner_loao.py --write-calibration data/ner/calibration.json
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results" / "ner_loao.json"
#: the epochs of the committed run (the README's; `kg train` uses the TrainConfig default)
EPOCHS = 12
#: the counts compared by --check (and the test) per fold
COUNTS = ("predicted", "correct", "gold", "found", "unseen_gold", "unseen_found", "lexicon_unknown_gold",
          "lexicon_unknown_found")


def code_files() -> list[Path]:
    """The kg modules this process has imported (main imports every one the folds use before they fork)."""
    return sorted({Path(m.__file__).resolve() for name, m in list(sys.modules.items())
                   if (name == "kg" or name.startswith("kg.")) and getattr(m, "__file__", None)})


def data_files() -> list[Path]:
    """The data the folds read while they run: data/ner/, the lexicon, the seed articles and their gold."""
    files = sorted(p for p in (ROOT / "data" / "ner").rglob("*") if p.is_file())
    files += [ROOT / "ontology" / "lexicon.tsv", ROOT / "tests" / "data" / "seeds-gold.tsv"]
    return files + sorted((ROOT / "seeds").iterdir())


def fingerprint(files: list[Path] | None = None) -> str:
    """Hash of what the numbers depend on (default: the imported kg modules and the data files)."""
    h = hashlib.sha256()
    for path in files if files is not None else code_files() + data_files():
        if path.is_file():
            h.update(str(path.resolve().relative_to(ROOT)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def libraries() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("spacy", "thinc", "numpy", "jieba", "opencc"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            pass
    return out


def counts(by_class: dict, unseen, lexicon_unknown) -> dict:
    """Counts and rates of one fold (or of the pool): distinct (name, class) predictions, required gold."""
    tp = sum(n.tp for n in by_class.values())
    fp = sum(n.fp for n in by_class.values())
    gold = sum(n.total for n in by_class.values())
    found = sum(n.found for n in by_class.values())
    return {"predicted": tp + fp, "correct": tp, "gold": gold, "found": found,
            "unseen_gold": unseen.total, "unseen_found": unseen.found,
            "lexicon_unknown_gold": lexicon_unknown.total, "lexicon_unknown_found": lexicon_unknown.found,
            **rates(tp, tp + fp, found, gold, unseen.found, unseen.total),
            "by_class": {c: {"predicted": n.tp + n.fp, "correct": n.tp, "gold": n.total, "found": n.found}
                         for c, n in sorted(by_class.items()) if n.tp + n.fp + n.total}}


def rates(correct: int, predicted: int, found: int, gold: int, unseen_found: int, unseen_gold: int) -> dict:
    return {"precision": round(correct / predicted, 4) if predicted else 0.0,
            "recall": round(found / gold, 4) if gold else 0.0,
            "unseen_recall": round(unseen_found / unseen_gold, 4) if unseen_gold else 0.0}


def pool(folds: list[dict]) -> dict:
    """The counts of ``folds`` added up and the rates recomputed (the test re-derives them the same way)."""
    total = {k: sum(f["mentions"][k] for f in folds) for k in COUNTS}
    by_class: dict[str, dict] = {}
    for f in folds:
        for c, n in f["mentions"]["by_class"].items():
            b = by_class.setdefault(c, {"predicted": 0, "correct": 0, "gold": 0, "found": 0})
            for k in b:
                b[k] += n[k]
    return {**total, **rates(total["correct"], total["predicted"], total["found"], total["gold"],
                             total["unseen_found"], total["unseen_gold"]),
            "lexicon_unknown_recall": round(total["lexicon_unknown_found"] / total["lexicon_unknown_gold"], 4)
            if total["lexicon_unknown_gold"] else 0.0,
            "by_class": dict(sorted(by_class.items()))}


def result_of(report, config, threshold: float, inputs: str) -> dict:
    folds = []
    for f in report.folds:
        folds.append({"doc": f.doc, "train_seconds": round(f.train_seconds, 1),
                      "mentions": counts(f.by_class, f.unseen, f.lexicon_unknown),
                      "errors": f.errors, "predictions": [list(p) for p in f.predictions],
                      **({"relations": f.relations} if f.relations else {})})
    return {"what": "leave-one-article-out over the seed articles (benchmarks/eval_ner_loao.py); per fold "
                    "distinct (name, class) mentions at confidence >= threshold against the article's gold "
                    "`a` rows; unseen = required names in no other seed article's annotations",
            "epochs": report.epochs, "seed": 0, "threshold": threshold, "config": config.__dict__,
            "inputs": inputs, "libraries": libraries(), "seconds": round(report.seconds, 1),
            "folds": folds, "pooled": pool(folds)}


def compare(result: dict, committed: dict) -> list[str]:
    """Differences of the re-run folds from the committed ones (counts, per class, and the predictions)."""
    old = {f["doc"]: f for f in committed["folds"]}
    bad = []
    if result["config"] != committed["config"]:
        bad.append(f"config: {result['config']} != committed {committed['config']}")
    for f in result["folds"]:
        ref = old.get(f["doc"])
        if ref is None:
            bad.append(f"{f['doc']}: not in the committed results")
            continue
        for key in COUNTS + ("by_class",):
            if f["mentions"][key] != ref["mentions"][key]:
                bad.append(f"{f['doc']} {key}: {f['mentions'][key]} != committed {ref['mentions'][key]}")
        if f["predictions"] != ref["predictions"]:
            bad.append(f"{f['doc']}: raw predictions differ from the committed ones")
    return bad


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=EPOCHS)
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--docs", nargs="+", default=None, help="only these held-out seed articles (file names)")
    ap.add_argument("--relations", action="store_true", help="also build each held-out article and score relations")
    ap.add_argument("--out", type=Path, default=None,
                    help=f"write the JSON here (default {RESULTS.relative_to(ROOT)} for a full run)")
    ap.add_argument("--no-write", action="store_true", help="do not write the results file")
    ap.add_argument("--check", action="store_true", help="compare the re-run folds with --against (exit 1 on a difference)")
    ap.add_argument("--against", type=Path, default=RESULTS)
    ap.add_argument("--workdir", type=Path, default=None, help="keep the fold models here (default: a temporary directory)")
    ap.add_argument("--write-calibration", type=Path, metavar="PATH",
                    help="fit the held-out confidence calibration and write it (data/ner/calibration.json)")
    args = ap.parse_args()
    # one BLAS thread (set before numpy loads): the folds are reproducible and two processes share two cores
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from kg.mentions.ner import MIN_CONFIDENCE
    from kg.training.ner_eval import fit_held_out_calibration, loao
    from kg.training.train import TrainConfig
    import kg.ingest.documents  # noqa: F401  (the folds load these lazily: loaded here, the forked folds share them)
    import kg.mentions.ner_features  # noqa: F401

    config = TrainConfig(epochs=args.epochs)
    inputs, data = fingerprint(), fingerprint(data_files())   # the code the folds run is loaded now
    report = loao(epochs=args.epochs, processes=min(args.processes, len(args.docs or [0] * 5)),
                  relations=args.relations, workdir=args.workdir, docs=args.docs,
                  progress=lambda m: print(m, file=sys.stderr, flush=True))
    # the folds keep what the shipped recipe keeps: the threshold of data/ner/calibration.json (see kg train)
    from kg.training.train import held_out_threshold

    threshold = held_out_threshold()
    result = result_of(report, config, MIN_CONFIDENCE if threshold is None else threshold, inputs)
    if fingerprint(data_files()) != data:
        print("data/ner, the lexicon, the seeds or their gold changed during the run: nothing written; run it again",
              file=sys.stderr)
        return 2
    if fingerprint() != inputs:
        print(f"note: kg code was edited during the run; the folds ran the code loaded at the start (inputs {inputs})",
              file=sys.stderr)
    print(f"LOAO over {len(report.folds)} seed articles, {report.epochs} epochs per fold, {report.seconds:.0f}s; "
          f"inputs {result['inputs']}\n")
    print(report.markdown())
    print("\n| held-out article | predicted | correct | P | gold | found | R | unseen R (n) | train s |\n"
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for f in result["folds"] + [{"doc": "**pooled**", "mentions": result["pooled"], "train_seconds": None}]:
        m = f["mentions"]
        print(f"| {f['doc']} | {m['predicted']} | {m['correct']} | {m['precision']:.3f} | {m['gold']} | {m['found']} | "
              f"{m['recall']:.3f} | {m['unseen_recall']:.3f} ({m['unseen_gold']}) | "
              f"{'' if f['train_seconds'] is None else round(f['train_seconds'])} |")
    out = args.out or (RESULTS if args.docs is None and not args.no_write else None)
    if out and not args.no_write:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if args.write_calibration:
        steps = fit_held_out_calibration(report.to_dict())
        args.write_calibration.write_text(json.dumps({
            "what": "isotonic map: a fold model's confidence -> share of such mentions that were right on the "
                    "held-out seed article (benchmarks/eval_ner_loao.py); `kg train` stores it with the model",
            "epochs": report.epochs, "steps": steps}, indent=1) + "\n", encoding="utf-8")
    if args.check:
        committed = json.loads(args.against.read_text(encoding="utf-8"))
        bad = compare(result, committed)
        if committed.get("inputs") != result["inputs"]:
            print(f"note: inputs {result['inputs']} != committed {committed.get('inputs')}", file=sys.stderr)
        print("\n".join(bad) if bad else "check: the re-run folds equal the committed ones", file=sys.stderr)
        return 1 if bad else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
