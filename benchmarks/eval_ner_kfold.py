"""K-fold evaluation of the NER model over the 33 dev articles (issue 9, part 4; kg.training.ner_eval.kfold).

The dev articles (../shared/eval/dev) are split into k = 5 folds by a seeded shuffle (the split of
benchmarks/eval_relation_kfold.py). Per fold a model is trained with `kg train`'s recipe on the seeds,
the other folds' dev articles and the silver corpus, with every name occurring in the held-out fold
taken out of the name pools and the silver labels; then

* its mentions on the held-out articles (kept text, confidence >= the threshold) are scored against
  their gold `a` rows as distinct (name, class) pairs: precision and recall per class, and recall on
  the gold names the fold's training never contained (annotations, silver spans or name pools);
* the held-out articles are rebuilt (kg.pipeline.build) with the lexicon restricted to the entries
  none of whose names occur in the fold (kg.training.ner_eval.restricted_lexicon), lexicon only vs lexicon +
  the fold's model (relation model off), and scored with ../shared/eval/score.py --docs <fold> --json:
  its `entity_type_recall`.

The second calibration stage (confidence -> held-out precision; the threshold applies to it) is
cross-fitted: fold i's map is fitted on the other folds' predictions, never on fold i's gold. The map
fitted on all folds is the shipped one (--write-calibration stores it in data/ner/calibration.json,
which `kg train` puts in the model).

    python benchmarks/eval_ner_kfold.py                         # all folds -> benchmarks/results/ner_kfold.json
    python benchmarks/eval_ner_kfold.py --recipe v1 --out benchmarks/results/ner_kfold_v1.json   # the old recipe
    python benchmarks/eval_ner_kfold.py --folds 0 --check       # re-run fold 0 with the committed calibration
                                                                # and compare with the results file (exit 1 if not equal)
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results" / "ner_kfold.json"

#: the recipes compared: v2 = `kg train` now; v1 = the model shipped before issue 9 (seeds + templates,
#: character form and shape only)
RECIPES = {"v2": {}, "v1": {"features": "v1", "real_gold": False, "silver": 0}}


def recipe(name: str, epochs: int | None):
    from kg.training.train import TrainConfig

    fields = dict(RECIPES[name])
    if epochs:
        fields["epochs"] = epochs
    return TrainConfig(**fields)


def markdown(result: dict) -> str:
    s = result["summary"]
    lines = ["| fold | articles | threshold | mentions P | mentions R | unseen-name R (n) | entity-type R: lexicon → + model | gain | train s |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for f in result["folds"]:
        m = f["mentions"]
        rb = f.get("rebuild")
        et = (f"{rb['lexicon']['entity_type_recall']:.3f} → {rb['lexicon+model']['entity_type_recall']:.3f} | "
              f"{rb['lexicon+model']['entity_type_recall'] - rb['lexicon']['entity_type_recall']:+.3f}") if rb else "– | –"
        lines.append(f"| {f['fold']} | {len(f['docs'])} | {f.get('threshold', result['threshold'])} | {m['precision']:.3f} | {m['recall']:.3f} | "
                     f"{m['unseen_recall']:.3f} ({m['unseen_gold']}) | {et} | {f['train_seconds']:.0f} |")
    mm = s["mentions"]
    et = s.get("entity_type_recall")
    lines.append(f"| **mean** | | | **{mm['precision']['mean']:.3f}** | **{mm['recall']['mean']:.3f}** | "
                 f"**{mm['unseen_recall']['mean']:.3f}** | " +
                 (f"{et['lexicon']['mean']:.3f} → {et['lexicon+model']['mean']:.3f} | **{et['gain']['mean']:+.3f}** |"
                  if et else "– | – |") + f" {s['train_seconds']['mean']:.0f} |")
    p = mm["pooled"]
    lines += ["", "| class (pooled over folds) | predicted | correct | precision | gold (required) | found | recall |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    for c, n in p["by_class"].items():
        lines.append(f"| {c} | {n['predicted']} | {n['correct']} | {_f(n['precision'])} | {n['gold']} | {n['found']} | {_f(n['recall'])} |")
    lines.append(f"| **all** | {p['predicted']} | {p['correct']} | **{p['precision']:.3f}** | {p['gold']} | {p['found']} | **{p['recall']:.3f}** |")
    lines.append(f"| never seen in training | | | | {p['unseen_gold']} | {p['unseen_found']} | {p['unseen_recall']:.3f} |")
    off = s["mentions_without_junk_filter"]["pooled"]
    lines += ["", f"without the junk filter: P {off['precision']:.3f} R {off['recall']:.3f} "
                  f"unseen R {off['unseen_recall']:.3f} ({off['predicted']} predicted, {off['correct']} right)"]
    drops: dict[str, list[int]] = {}
    for f in result["folds"]:
        for reason, d in f.get("junk_dropped", {}).items():
            drops.setdefault(reason, [0, 0])
            drops[reason][0] += d["dropped"]
            drops[reason][1] += d["right"]
    if drops:
        lines.append("junk filter dropped (distinct mentions, of them right): " +
                     ", ".join(f"{r} {d[0]} ({d[1]})" for r, d in sorted(drops.items())))
    lines += ["", "| keep confidence ≥ | " + " | ".join(s["sweep"]) + " |", "|---|" + "---:|" * len(s["sweep"])]
    for key in ("precision", "recall", "unseen_recall"):
        lines.append(f"| {key} | " + " | ".join(f"{v[key]:.3f}" for v in s["sweep"].values()) + " |")
    return "\n".join(lines)


def _f(v):
    return "–" if v is None else f"{v:.3f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipe", choices=sorted(RECIPES), default="v2")
    ap.add_argument("--epochs", type=int, default=None, help="training epochs per fold (default: the recipe's)")
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--folds", type=int, nargs="*", default=None, help="only these folds (uses the committed calibration)")
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--no-rebuild", action="store_true")
    ap.add_argument("--out", type=Path, default=None, help=f"write the JSON here (default {RESULTS.relative_to(ROOT)} for a full run)")
    ap.add_argument("--check", action="store_true", help="compare the re-run folds with --against (exit 1 on a difference)")
    ap.add_argument("--against", type=Path, default=RESULTS)
    ap.add_argument("--write-calibration", type=Path, default=None, metavar="PATH")
    ap.add_argument("--workdir", type=Path, default=None, help="keep the fold models here (default: a temporary directory)")
    ap.add_argument("--reuse", action="store_true", help="use the fold models already in --workdir (same config) instead of training")
    args = ap.parse_args()
    from kg.training.ner_eval import kfold

    config = recipe(args.recipe, args.epochs)
    calibration = None
    if args.folds is not None and args.against.is_file() and args.against.stat().st_size:
        committed = json.loads(args.against.read_text(encoding="utf-8"))
        # each fold's own cross-fitted stage-2 map (fitted on the other folds); older files had one for all
        calibration = {f["fold"]: (f.get("calibration", committed["calibration"]), f.get("threshold", committed["threshold"]))
                       for f in committed["folds"]}
    result = kfold(config, k=args.k, seed=args.seed, processes=args.processes, only=args.folds,
                   calibration=calibration, rebuild=not args.no_rebuild, workdir=args.workdir, reuse=args.reuse,
                   progress=lambda m: print(m, file=sys.stderr, flush=True))
    result["recipe"] = args.recipe
    print(f"NER k-fold over the dev articles: recipe {args.recipe}, k={args.k}, {config.epochs} epochs, "
          f"{result['seconds']:.0f}s\n")
    print(markdown(result))
    out = args.out or (RESULTS if args.folds is None else None)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if args.write_calibration:
        args.write_calibration.write_text(json.dumps({
            "what": "isotonic map: a fold model's (dev-calibrated) confidence -> share of such mentions that were right "
                    "on the held-out dev articles (benchmarks/eval_ner_kfold.py); `kg train` stores it with the model",
            "recipe": args.recipe, "epochs": config.epochs, "steps": result["calibration"],
            "threshold": result["threshold"], "target_precision": result["target_precision"],
            "threshold_rule": "the lowest confidence >= the floor at which the held-out mentions of all folds were "
                              "right at least target_precision of the time (kg.training.ner_eval.choose_threshold)"}, indent=1) + "\n",
            encoding="utf-8")
    if args.check:
        committed = json.loads(args.against.read_text(encoding="utf-8"))
        old = {f["fold"]: f for f in committed["folds"]}
        bad = []
        for f in result["folds"]:
            ref = old[f["fold"]]
            for key in ("mentions", "rebuild"):
                if key in f and f[key] != ref.get(key):
                    bad.append(f"fold {f['fold']} {key}: {json.dumps(f[key])[:300]} != {json.dumps(ref.get(key))[:300]}")
        print("\n".join(bad) if bad else "check: the re-run folds equal the committed ones", file=sys.stderr)
        return 1 if bad else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
