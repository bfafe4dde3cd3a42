"""Leave-one-article-out evaluation of the NER model over the five seed articles (kg.ner_eval.loao).

Prints the per-class table, the recall on names the model never saw, and (with --relations, needs the
pipeline) relation precision/recall of each held-out article with the restricted lexicon, rules only
vs rules + the fold's model. --json writes the full result (errors per fold included).

usage: python benchmarks/eval_ner_loao.py [--epochs 8] [--relations] [--json out.json]
                                         [--write-calibration data/ner/calibration.json]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--relations", action="store_true")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--write-calibration", type=Path, metavar="PATH",
                    help="fit the held-out confidence calibration and write it (data/ner/calibration.json)")
    args = ap.parse_args()
    from kg.ner_eval import fit_held_out_calibration, loao

    report = loao(epochs=args.epochs, processes=args.processes, relations=args.relations,
                  progress=lambda m: print(m, file=sys.stderr))
    print(f"LOAO over {len(report.folds)} seed articles, {report.epochs} epochs per fold, {report.seconds:.0f}s\n")
    print(report.markdown())
    if args.json:
        args.json.write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if args.write_calibration:
        steps = fit_held_out_calibration(report.to_dict())
        args.write_calibration.write_text(json.dumps({
            "what": "isotonic map: a fold model's confidence -> share of such mentions that were right on the "
                    "held-out seed article (benchmarks/eval_ner_loao.py); `kg train` stores it with the model",
            "epochs": report.epochs, "steps": steps}, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
