"""Speed of the NER model's `find` (kg.mentions.ner), per core, on >= 1 MB of kept article text made from the seeds.

The corpus is the kept articles of the five seed pages (documents stage), repeated, every second copy
converted to Simplified, until it reaches --mb. Reports MB/s (UTF-8 bytes of article text) with one
process and with two, and MB/s per core; checks that both give identical mentions.

usage: python benchmarks/bench_ner.py [--mb 1] [--model models/ner] [--repeat 2]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def corpus(target_mb: float):
    from kg.ingest.documents import read_document
    from kg.normalize import converter

    t2s = converter("t2s")
    kept = [a for p in sorted((ROOT / "seeds").glob("*.txt")) for a in read_document(p).kept]
    out, size, copy = [], 0, 0
    while size < target_mb * 1e6:
        for a in kept:
            text = t2s.convert(a.text) if copy % 2 else a.text
            out.append(replace(a, text=text, index=a.index + 1000 * copy))
            size += len(text.encode("utf-8"))
        copy += 1
    return out, size / 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=1.0)
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--repeat", type=int, default=2, help="best of N runs")
    args = ap.parse_args()
    from kg.mentions.ner import NerModel

    articles, mb = corpus(args.mb)
    rows, results = [], {}
    for processes in (1, 2):
        model = NerModel.load(args.model, processes=processes)
        best = float("inf")
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            results[processes] = model.find(articles)
            best = min(best, time.perf_counter() - t0)
        rows.append((processes, best, mb / best, mb / best / processes))
    same = results[1] == results[2]
    n = sum(map(len, results[1]))
    print(f"\nNER `find` on {mb:.2f} MB of kept article text ({len(articles)} articles, {n} mentions); "
          f"machine: {os.cpu_count()} cores; identical results 1 vs 2 processes: {same}\n")
    print("| processes | seconds | MB/s | MB/s per core |")
    print("|---:|---:|---:|---:|")
    for p, s, r, rc in rows:
        print(f"| {p} | {s:.2f} | {r:.3f} | {rc:.3f} |")
    if not same:
        sys.exit("results differ between 1 and 2 processes")


if __name__ == "__main__":
    main()
