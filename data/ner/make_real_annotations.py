"""Regenerate the NER training data read off real text: dev_gold.jsonl, silver.jsonl and litter.jsonl.

* ``dev_gold.jsonl``: sentences of the 33 dev articles (``../shared/eval/dev/``) auto-annotated with the
  surface forms of their gold ``a`` rows, exactly as make_seed_annotations.py does for the seeds
  (longest first, Latin forms only at word boundaries, the REVIEW forms never, quotation marks
  outside, a company glued to its product split; forbidden forms stay unlabelled, so 路透社 or
  网易新闻 as a Company is a hard negative). Sentences without a gold name are kept with no spans
  (``"spans": []``): navigation, bylines and captions of real pages. The held-out evaluation
  (benchmarks/eval_ner_kfold.py) drops the held-out fold's articles from training.
* ``silver.jsonl``: sentences of the kept articles of the unlabelled corpus (``../shared/corpus/``;
  pages the relevance screen drops are skipped) with the curated lexicon's matches
  (kg.mentions.finder.MentionFinder: lexicon names and product codes) as silver spans
  ``[start, end, label, lexicon id or ""]``. Only sentences with at least one span. The lexicon id
  lets kg/training/train.py apply lexicon dropout and the held-out restriction (those spans are always
  swapped for other names, never learnt as written).
* ``litter.jsonl``: entity-free lines of the same kept articles that are page litter (bylines,
  sources, share buttons, image placeholders, menus): hard negatives.

    python data/ner/make_real_annotations.py [--dev ../shared/eval/dev] [--corpus ../shared/corpus]
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from make_seed_annotations import CLASS_MAP, REVIEW, annotate, read_forbidden, refine  # noqa: E402

SHARED = ROOT.parent / "shared"
#: sentence ends and hard line breaks; long runs are cut again at clause marks
_END = re.compile(r"[。！？；!?]+|\n+")
_CLAUSE = re.compile(r"[，,、：:]")
MAX_SENT = 160
MIN_SENT = 4
from kg.mentions.ner import LITTER_STRONG, LITTER_WEAK  # noqa: E402  (one definition of litter: the model's junk filter)


def is_litter(line: str) -> bool:
    return bool(LITTER_STRONG.search(line) or (len(line) <= 30 and LITTER_WEAK.search(line)))


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of sentence-sized pieces of ``text``: cut at sentence ends and line breaks, and a
    piece longer than MAX_SENT again at its clause marks."""
    pieces, pos = [], 0
    for m in _END.finditer(text):
        pieces.append((pos, m.end()))
        pos = m.end()
    pieces.append((pos, len(text)))
    out = []
    for s, e in pieces:
        if e - s <= MAX_SENT:
            out.append((s, e))
            continue
        start = s
        last = s
        for m in _CLAUSE.finditer(text, s, e):
            if m.end() - start > MAX_SENT and last > start:
                out.append((start, last))
                start = last
            last = m.end()
        out.append((start, e))
    clean = []
    for s, e in out:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e - s >= MIN_SENT:
            clean.append((s, e))
    return clean


# ------------------------------------------------------------------------------------------ dev gold

def read_dev_gold(path: Path) -> dict[str, list[tuple[list[str], str, str]]]:
    rows: dict[str, list[tuple[list[str], str, str]]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#") or line.startswith("doc\t"):
            continue
        parts = line.split("\t")
        if len(parts) < 5 or parts[2] != "a" or parts[4] == "forbidden":
            continue
        rows.setdefault(parts[0], []).append((parts[1].split("|"), parts[3], parts[4]))
    return rows


def dev_gold(dev_dir: Path) -> list[dict]:
    gold = read_dev_gold(dev_dir / "gold.tsv")
    forbidden = read_forbidden(dev_dir / "gold.tsv")
    out = []
    for doc in sorted(gold):
        best: dict[str, tuple[int, str | None]] = {}   # form -> (rank, label): required beats optional
        for forms, cls, status in gold[doc]:
            label = CLASS_MAP.get(cls)
            rank = 0 if status == "required" else 1
            for f in forms:
                f = f.strip()
                if not f or f in REVIEW:
                    continue
                if f not in best or (rank, str(label)) < (best[f][0], str(best[f][1])):
                    best[f] = (rank, label)
        forms = sorted(((f, lab) for f, (_, lab) in best.items()), key=lambda x: (-len(x[0]), x[0]))
        form_label = dict(forms)
        companies = {f for f, c in forms if c == "Company"}
        text = (dev_dir / doc).read_text(encoding="utf-8")
        for s, e in sentences(text):
            sent = text[s:e]
            spans = annotate(sent, forms)
            if spans:
                spans = refine(sent, spans, companies, form_label)
            elif any(f in sent for f in forbidden if len(f) > 1) and not is_litter(sent):
                continue   # a forbidden name in plain prose: neither a clean positive nor a clean negative
            out.append({"doc": doc, "text": sent, "spans": spans})
    return out


# ------------------------------------------------------------------------------------------- silver

def silver(corpus_dir: Path) -> tuple[list[dict], list[dict], dict]:
    from kg.ingest.documents import read_document
    from kg.mentions.lexicon import Lexicon
    from kg.mentions.finder import MentionFinder
    from kg.normalize import Normalizer
    from kg.training.train import LABELS, name_key

    normalizer = Normalizer()
    finder = MentionFinder(Lexicon.load(), normalizer)
    review = {name_key(f) for f in REVIEW}
    positives, litter = [], []
    stats = {"pages": 0, "kept_pages": 0, "articles": 0}
    for path in sorted(corpus_dir.glob("c*.txt")):
        stats["pages"] += 1
        doc = read_document(path)
        if doc.kept:
            stats["kept_pages"] += 1
        for article in doc.kept:
            stats["articles"] += 1
            text = article.text
            mentions = [m for m in finder.find(text, normalizer.normalize(text))
                        if m.cls in LABELS and (m.source == "lexicon" or m.source == "pattern:product-code")]
            for s, e in sentences(text):
                inside = [m for m in mentions if s <= m.start and m.end <= e]
                crossing = [m for m in mentions if m.start < e and m.end > s and m not in inside]
                if crossing:
                    continue
                spans = []
                for m in inside:
                    if name_key(m.text) in review:
                        continue
                    spans.append([m.start - s, m.end - s, m.cls, m.key or ""])
                sent = text[s:e]
                if spans:
                    positives.append({"doc": path.name, "text": sent, "spans": sorted(spans)})
                elif is_litter(sent) and not inside:
                    litter.append({"doc": path.name, "text": sent, "spans": []})
    return positives, litter, stats


def _write(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dev", type=Path, default=SHARED / "eval" / "dev")
    ap.add_argument("--corpus", type=Path, default=SHARED / "corpus")
    args = ap.parse_args(argv)
    rows = dev_gold(args.dev)
    _write(HERE / "dev_gold.jsonl", rows)
    n_pos = sum(1 for r in rows if r["spans"])
    print(f"dev_gold.jsonl: {len(rows)} sentences of {len({r['doc'] for r in rows})} dev articles, "
          f"{n_pos} with gold names", file=sys.stderr)
    positives, litter, stats = silver(args.corpus)
    _write(HERE / "silver.jsonl", positives)
    _write(HERE / "litter.jsonl", litter)
    print(f"silver.jsonl: {len(positives)} sentences, {sum(len(r['spans']) for r in positives)} spans "
          f"({stats['kept_pages']} of {stats['pages']} corpus pages kept, {stats['articles']} articles); "
          f"litter.jsonl: {len(litter)} lines", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
