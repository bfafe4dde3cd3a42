"""K-fold evaluation by article of the relation model over the dev set (issue 8, part 5).

The 33 dev articles (../shared/eval/dev) are split into K folds (default 5) by a seeded shuffle. For
each fold a relation model is trained on the seed articles + the other folds' dev articles + the rule
cases (kg/training/relation_training.py: the same training as `kg train`, internal CV for calibration and
threshold included, so the held-out fold is never seen), and the held-out articles are rebuilt twice:
rules only, and rules + that fold's relation model. The NER model is off in both builds, so the
difference is the relation model's alone (it is trained on rule mentions too). Each build is scored
with the independent scorer (../shared/eval/score.py --docs <held-out files>) against the dev gold.

Writes benchmarks/results/relation_kfold.json: per fold the articles and, for both systems, relation
P, R, F1, forbidden hits, unjudged and judged triples; then mean and sample standard deviation over
the folds, and the pooled (micro) P/R/F1 over all held-out articles.

    python benchmarks/eval_relation_kfold.py              # all folds, writes the results file
    python benchmarks/eval_relation_kfold.py --fold 0     # re-run fold 0, compare with the results file
                                                          # (exit 1 on a mismatch; the file is not written)
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kg.training.relation_training import (CASES, DEV_DIR, DEV_GOLD, SEEDS_DIR, SEEDS_GOLD, TrainingConfig,  # noqa: E402
                                           prepare, train_relation_model)

RESULTS = ROOT / "benchmarks" / "results" / "relation_kfold.json"
SCORER = ROOT.parent / "shared" / "eval" / "score.py"
METRICS = ("relation_precision", "relation_recall", "relation_f1", "forbidden_hits", "unjudged_triples",
           "judged_triples", "relations_found", "relations_required")
SHORT = {"relation_precision": "P", "relation_recall": "R", "relation_f1": "F1", "forbidden_hits": "forbidden",
         "unjudged_triples": "unjudged", "judged_triples": "judged", "relations_found": "found",
         "relations_required": "required"}


def dev_articles() -> list[str]:
    return sorted(p.name for p in DEV_DIR.glob("*.txt"))


def make_folds(names: list[str], k: int, seed: int) -> list[list[str]]:
    order = sorted(names)
    random.Random(seed).shuffle(order)
    return [sorted(order[i::k]) for i in range(k)]


#: code the numbers cannot depend on (the NER model is off here; serving, querying, the CLI are not run)
NOT_USED = {"ner.py", "ner_eval.py", "ner_features.py", "train.py", "serve.py", "query.py", "candidates.py",
            "scoring.py", "cli.py", "html.py", "markup.py"}


def fingerprint() -> str:
    """Hash of everything the numbers depend on: the build code, the ontology and lexicon, the articles, the gold."""
    h = hashlib.sha256()
    code = [p for p in sorted((ROOT / "kg").rglob("*.py")) if p.name not in NOT_USED]
    files = code + sorted((ROOT / "ontology").glob("*")) + [CASES, SEEDS_GOLD, DEV_GOLD]
    files += sorted(SEEDS_DIR.iterdir()) + sorted(DEV_DIR.glob("*.txt"))
    for path in files:
        if path.is_file():
            h.update(str(path.relative_to(path.parents[1])).encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def score(graph: Path, docs: list[str]) -> dict:
    out = subprocess.run([sys.executable, str(SCORER), str(graph), "--gold", str(DEV_GOLD), "--docs", ",".join(docs),
                          "--json"], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return {SHORT[m]: result[m] for m in METRICS}


def run_fold(k: int, articles: list[str], docs, cases, config: TrainingConfig, seed: int, work: Path) -> dict:
    from kg.pipeline import BuildOptions, build

    t0 = time.perf_counter()
    held = set(articles)
    train_docs = [d for d in docs if d.name not in held]
    model_dir = work / f"fold{k}" / "model"
    model, _ = train_relation_model(train_docs, cases, model_dir, config, seed=seed)
    seconds_train = time.perf_counter() - t0
    source = work / f"fold{k}" / "articles"
    source.mkdir(parents=True)
    for name in articles:
        shutil.copy(DEV_DIR / name, source / name)
    entry = {"fold": k, "articles": articles, "threshold": model.threshold}
    for system, use in (("rules", False), ("rules+model", True)):
        out = work / f"fold{k}" / system
        report = build(source, out, BuildOptions(use_model=False, use_relation_model=use,
                                                 relation_model_dir=model_dir if use else None,
                                                 formats=("turtle",), validate=False))
        entry[system] = score(out / "graph.ttl", articles)
        if use:
            entry["model_claims"] = report.model_claims
    entry["_seconds"] = {"train": round(seconds_train, 1), "total": round(time.perf_counter() - t0, 1)}
    return entry


def summarise(folds: list[dict]) -> dict:
    out = {}
    for system in ("rules", "rules+model"):
        stats = {}
        for metric in ("P", "R", "F1", "forbidden", "unjudged"):
            values = [f[system][metric] for f in folds]
            stats[metric] = {"mean": round(statistics.fmean(values), 3),
                             "std": round(statistics.stdev(values), 3) if len(values) > 1 else 0.0}
        correct = sum(round(f[system]["P"] * f[system]["judged"]) for f in folds)
        judged = sum(f[system]["judged"] for f in folds)
        found = sum(f[system]["found"] for f in folds)
        required = sum(f[system]["required"] for f in folds)
        p, r = (correct / judged if judged else 0.0), (found / required if required else 0.0)
        stats["pooled"] = {"P": round(p, 3), "R": round(r, 3), "F1": round(2 * p * r / (p + r) if p + r else 0.0, 3),
                           "correct": correct, "judged": judged, "found": found, "required": required,
                           "forbidden": sum(f[system]["forbidden"] for f in folds),
                           "unjudged": sum(f[system]["unjudged"] for f in folds)}
        out[system] = stats
    return out


def table(result: dict) -> str:
    lines = [f"{'fold':>4}  {'articles':>8}  {'threshold':>9}  {'claims':>6}   rules P/R/F1 (forb, unj)        "
             "rules+model P/R/F1 (forb, unj)"]
    for f in result["folds"]:
        r, m = f["rules"], f["rules+model"]
        lines.append(f"{f['fold']:>4}  {len(f['articles']):>8}  {f['threshold']:>9.3f}  {f['model_claims']:>6}   "
                     f"{r['P']:.3f} {r['R']:.3f} {r['F1']:.3f} ({r['forbidden']}, {r['unjudged']:>2})        "
                     f"{m['P']:.3f} {m['R']:.3f} {m['F1']:.3f} ({m['forbidden']}, {m['unjudged']:>2})")
    if "summary" in result:
        for system, s in result["summary"].items():
            lines.append(f"{system:>12}: mean±std P {s['P']['mean']:.3f}±{s['P']['std']:.3f}  R {s['R']['mean']:.3f}±"
                         f"{s['R']['std']:.3f}  F1 {s['F1']['mean']:.3f}±{s['F1']['std']:.3f}  forbidden "
                         f"{s['forbidden']['mean']:.1f}  unjudged {s['unjudged']['mean']:.1f};  pooled P "
                         f"{s['pooled']['P']:.3f} R {s['pooled']['R']:.3f} F1 {s['pooled']['F1']:.3f}")
    return "\n".join(lines)


def comparable(entry: dict) -> dict:
    return {k: v for k, v in entry.items() if not k.startswith("_")}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0, help="seed of the fold split and of training")
    ap.add_argument("--fold", type=int, default=None, help="re-run one fold and compare with --results")
    ap.add_argument("--results", type=Path, default=RESULTS)
    ap.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                    help="override a TrainingConfig field for an experiment (e.g. max_precision_drop=0.02)")
    args = ap.parse_args()
    if not DEV_GOLD.is_file() or not SCORER.is_file():
        print(f"error: needs {DEV_GOLD} and {SCORER}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    inputs = fingerprint()   # before anything runs: the state the numbers come from
    config = TrainingConfig()
    for assignment in args.set:
        from dataclasses import replace
        name, value = assignment.split("=", 1)
        kind = type(getattr(config, name))
        config = replace(config, **{name: value.lower() in ("1", "true", "yes") if kind is bool else kind(value)})
    folds = make_folds(dev_articles(), args.folds, args.seed)
    committed = json.loads(args.results.read_text(encoding="utf-8")) if args.fold is not None else None
    docs, cases = prepare([(SEEDS_DIR, SEEDS_GOLD), (DEV_DIR, DEV_GOLD)], script_copy=config.script_copy)
    wanted = range(args.folds) if args.fold is None else [args.fold]
    entries = []
    with tempfile.TemporaryDirectory(prefix="kg-rel-kfold-") as tmp:
        for k in wanted:
            entry = run_fold(k, folds[k], docs, cases, config, args.seed, Path(tmp))
            entries.append(entry)
            print(f"fold {k}: {len(folds[k])} articles, {entry['_seconds']['total']:.0f}s", file=sys.stderr)
    if args.fold is not None:
        mine = comparable(entries[0])
        theirs = comparable(next((f for f in committed["folds"] if f["fold"] == args.fold), {}))
        print(table({"folds": entries}))
        if committed.get("inputs") != inputs:
            print(f"note: the inputs (code, lexicon, articles, gold) changed since {args.results.name} was written "
                  f"({committed.get('inputs')} -> {inputs}); re-run without --fold to refresh it", file=sys.stderr)
        if mine != theirs:
            print(f"MISMATCH with {args.results}:\n  committed {json.dumps(theirs, ensure_ascii=False)}\n"
                  f"  now       {json.dumps(mine, ensure_ascii=False)}", file=sys.stderr)
            return 1
        print(f"fold {args.fold} matches {args.results}")
        return 0
    result = {
        "what": "k-fold by article over the dev set: per fold a relation model trained on seeds + the other folds "
                "+ rule cases; held-out articles rebuilt rules-only and rules+model (NER model off in both), "
                "scored by ../shared/eval/score.py --docs; std is the sample standard deviation over folds",
        "folds_k": args.folds, "seed": args.seed, "inputs": inputs,
        "training": {"fit": config.fit.__dict__, **{k: v for k, v in config.__dict__.items() if k != "fit"}},
        "folds": entries,
    }
    result["summary"] = summarise(entries)
    result["_seconds"] = round(time.perf_counter() - t0, 1)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(table(result))
    print(f"wrote {args.results} in {result['_seconds']:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
