"""Benchmark `kg rebuild` end to end (decode → exports), in a fresh process each time.

Corpora:
  seeds   the five seed pages (82 KB), wall time including interpreter start-up;
  large   >= 10 MB made from the seeds: N copies of each page, every second copy converted to Simplified
          (OpenCC t2s) and every fifth one re-encoded as GB18030 (Simplified) or Big5 (Traditional), so
          decoding, both scripts and the article splitter are all exercised. Made deterministically in
          benchmarks/out/corpus-large/ (not committed).

Reports wall seconds, MB/s of input and peak resident memory of the `kg` process.
usage: python benchmarks/bench_rebuild.py [--mb 10] [--model] [--skip-seeds]
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
KG = [sys.executable, "-m", "kg.cli"]


def make_large_corpus(target_mb: float) -> Path:
    from kg.normalize import converter

    corpus = OUT / f"corpus-large-{target_mb:g}mb"
    if corpus.exists() and sum(p.stat().st_size for p in corpus.iterdir()) >= target_mb * 1e6:
        return corpus
    corpus.mkdir(parents=True, exist_ok=True)
    t2s = converter("t2s")
    seeds = sorted((ROOT / "seeds").glob("*.txt"))
    size, copy = 0, 0
    while size < target_mb * 1e6:
        for seed in seeds:
            text = seed.read_text(encoding="utf-8")
            simplified = copy % 2 == 1
            if simplified:
                text = t2s.convert(text)
            encoding = "utf-8"
            if copy % 5 == 4:
                encoding = "gb18030" if simplified else "big5"
            data = text.encode(encoding, errors="replace" if encoding == "big5" else "strict")
            path = corpus / f"{copy:04d}_{seed.stem}.txt"
            path.write_bytes(data)
            size += len(data)
        copy += 1
    return corpus


def run(seeds: Path, label: str, model: bool) -> dict:
    out = OUT / f"exports-{label}"
    # --no-cache: every article is extracted, as on a first build (a warm cache would skip that work)
    args = KG + ["rebuild", "--seeds", str(seeds), "--out", str(out), "-q", "--no-cache"] + ([] if model else ["--no-model"])
    size = sum(p.stat().st_size for p in seeds.iterdir() if p.is_file())
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    wall = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode != 0:
        sys.exit(f"kg rebuild failed on {label}:\n{proc.stderr}{proc.stdout}")
    return {"corpus": label, "files": len(list(seeds.iterdir())), "MB": size / 1e6, "seconds": wall,
            "MB/s": size / 1e6 / wall, "peak MB": max(peak_kb, before) / 1024, "summary": proc.stdout.strip()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=10.0)
    parser.add_argument("--model", action="store_true", help="run with the NER model (default: rules only)")
    parser.add_argument("--skip-seeds", action="store_true")
    args = parser.parse_args()
    rows = []
    if not args.skip_seeds:
        rows.append(run(ROOT / "seeds", "seeds" + ("-model" if args.model else ""), args.model))
    corpus = make_large_corpus(args.mb)
    rows.append(run(corpus, f"large-{args.mb:g}mb" + ("-model" if args.model else ""), args.model))
    print(f"\nmodel: {'on (the NER model forks up to 2 worker processes)' if args.model else 'off (rules only, one process)'}; machine: {os.cpu_count()} cores\n")
    print("| corpus | files | MB | wall s | MB/s | peak RSS MB |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['corpus']} | {r['files']} | {r['MB']:.2f} | {r['seconds']:.2f} | {r['MB/s']:.2f} | {r['peak MB']:.0f} |")
    for r in rows:
        print(f"\n{r['corpus']}:\n{r['summary']}")


if __name__ == "__main__":
    main()
