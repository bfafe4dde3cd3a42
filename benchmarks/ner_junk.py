"""What the NER model's junk filter (kg.mentions.ner.clean_spans) removes on the unlabelled corpus.

Runs a model over the kept articles of ../shared/corpus (as `kg rebuild` would) with the filter off,
and counts its mentions (calibrated confidence >= the model's threshold) by the filter's verdict:
kept, or dropped as litter / number / person / generic / fragment, with examples. Also counts the
mentions, kept or not, that look like the junk named in issue 9 (person names such as 黃仁勳, dates such
as 8月份, generic words such as 集成電路/服務器 as a Company, litter lines), whatever the filter says.

    python benchmarks/ner_junk.py [--model models/ner] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "corpus"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    from kg.ingest.documents import read_document
    from kg.mentions.ner import NerModel, clean_spans

    model = NerModel.load(args.model, processes=2)
    articles = [a for p in sorted(args.corpus.glob("c*.txt")) for a in read_document(p).kept]
    raw = model.predict_raw([a.text for a in articles])
    verdicts: Counter = Counter()
    examples: dict[str, Counter] = defaultdict(Counter)
    for article, found in zip(articles, raw):
        for s, e, label, score, reason in clean_spans(article.text, found):
            if model.calibrate(score) < model.min_confidence:
                continue
            key = reason or "kept"
            verdicts[key] += 1
            examples[key][f"{article.text[s:e]}/{label}"] += 1
    total = sum(verdicts.values())
    print(f"{model.name}: {len(articles)} kept articles, {total} mentions >= {model.min_confidence}")
    for key, n in verdicts.most_common():
        top = ", ".join(f"{t} ×{c}" if c > 1 else t for t, c in examples[key].most_common(10))
        print(f"  {key:9} {n:5}  {top}")
    if args.json:
        args.json.write_text(json.dumps({"model": model.name, "articles": len(articles), "mentions": total,
                                         "verdicts": dict(verdicts),
                                         "examples": {k: dict(v.most_common(25)) for k, v in examples.items()}},
                                        ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
