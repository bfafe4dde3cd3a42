"""Regenerate data/ner/seeds.jsonl: seed-article sentences auto-annotated from the gold `a` rows.

How: each seed page is flattened (hard line breaks removed, as the gold evidence is), cut into
sentences at 。！？; and every surface form of a non-forbidden gold `a` row of that page is matched
longest-first (Latin forms only at word boundaries). Forms listed in REVIEW below were found wrong
in review (a generic word used in another sense) and are not matched; CLASS_MAP folds gold classes
into the model's labels. Sentences without any entity (of the GPU articles, and of the finance and
property columns on the same pages) go to negatives.jsonl unless they hold a `forbidden` name: the
model must also learn that most prose is not a name.

    python data/ner/make_seed_annotations.py [--seeds seeds] [--gold ../shared/eval/seeds-gold.tsv]
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

#: gold class -> model label (None: not a model label; the span stays unlabelled)
CLASS_MAP = {
    "Company": "Company", "Organization": "Organization", "GovernmentAgency": "GovernmentAgency",
    "ResearchInstitution": "ResearchInstitution", "Exchange": "Exchange", "Fund": "Fund",
    "Chip": "Chip", "Product": "Chip", "Architecture": "Architecture", "SoftwarePlatform": "SoftwarePlatform",
    "System": "System", "Market": "Market", "Technology": "Technology", "Policy": "Policy",
    "ProcessNode": None, "Place": None,
}
#: surface forms never matched (reviewed: generic words, or a gold Product that is a description)
REVIEW = {
    "AI",            # mostly inside AI芯片/AI算力, not the market
    "人工智能", "人工智慧",  # idem: 人工智能芯片, 人工智能服務管理 ...
    "消費",          # 消費電子 / 居民消費
    "金融",          # 金融市場 in the stock columns
    "RISC-V架構GPU IP核", "RISC-V架构GPU IP核", "GPU IP核", "RISC-V GPU IP",
    "CAD解決方案", "CAD解决方案",
    "長城", "长城",    # the company only in 長城信創台式機
    "飛騰", "飞腾",    # the company only in 飛騰處理器
    "US", "Fed",
}
SENT_END = re.compile(r"(?<=[。！？；!?])")
LATIN = re.compile(r"[A-Za-z0-9]")


def read_gold(path: Path) -> dict[str, list[tuple[list[str], str]]]:
    rows: dict[str, list[tuple[list[str], str]]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#") or line.startswith("doc\t"):
            continue
        doc, subj, pred, obj, status, *_ = line.split("\t")
        if pred != "a" or status == "forbidden":
            continue
        rows.setdefault(doc, []).append((subj.split("|"), obj))
    return rows


def read_forbidden(path: Path) -> set[str]:
    out = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) > 4 and parts[2] == "a" and parts[4] == "forbidden":
            out.update(parts[1].split("|"))
    return out


def sentences(page: str) -> list[str]:
    flat = re.sub(r"[\r\n]+", "", page)
    out = []
    for s in SENT_END.split(flat):
        s = s.strip()
        if len(s) >= 6:
            out.append(s)
    return out


def annotate(sentence: str, forms: list[tuple[str, str | None]]) -> list[list]:
    """Longest-first, leftmost, non-overlapping matches of (form, label)."""
    taken = [False] * len(sentence)
    spans = []
    for form, label in forms:
        start = 0
        while True:
            i = sentence.find(form, start)
            if i < 0:
                break
            j = i + len(form)
            start = i + 1
            if any(taken[i:j]):
                continue
            if LATIN.match(form[0]) and i > 0 and LATIN.match(sentence[i - 1]):
                continue
            if LATIN.match(form[-1]) and j < len(sentence) and LATIN.match(sentence[j]):
                continue
            for k in range(i, j):
                taken[k] = True
            if label:
                spans.append([i, j, label])
    return sorted(spans)


def refine(sentence: str, spans: list[list], companies: set[str], forms: dict[str, str | None]) -> list[list]:
    """Consistent boundaries: 「X」/《X》 -> X; a company name glued to its product (英偉達H100) -> two spans."""
    out = []
    for s, e, label in spans:
        text = sentence[s:e]
        if text[0] in "「《" and (sentence.find("」", s) if text[0] == "「" else sentence.find("》", s)) < e:
            close = sentence.find("」" if text[0] == "「" else "》", s)
            s, e = s + 1, close if close < e else e
            if close == e - 1:
                e = close
        split = next((c for c in sorted(companies, key=len, reverse=True)
                      if text.startswith(c) and len(c) < len(text) and text[len(c):].strip() in forms), None)
        if split and label != "Company":
            rest = text[len(split):]
            off = len(split) + (len(rest) - len(rest.lstrip()))
            out.append([s, s + len(split), "Company"])
            out.append([s + off, e, label])
            continue
        out.append([s, e, label])
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=Path, default=ROOT / "seeds")
    ap.add_argument("--gold", type=Path, default=ROOT / "tests" / "data" / "seeds-gold.tsv")
    ap.add_argument("--out", type=Path, default=HERE / "seeds.jsonl")
    args = ap.parse_args(argv)
    gold = read_gold(args.gold)
    forbidden = read_forbidden(args.gold)
    negatives: list[str] = []
    n = 0
    with args.out.open("w", encoding="utf-8") as fh:
        for doc in sorted(gold):
            forms = sorted({(f, CLASS_MAP[c]) for fs, c in gold[doc] for f in fs if f not in REVIEW},
                           key=lambda x: (-len(x[0]), x[0]))
            form_label = dict(forms)
            companies = {f for f, c in forms if c == "Company"}
            page = (args.seeds / doc).read_text(encoding="utf-8")
            neg: list[str] = []
            for sent in sentences(page):
                spans = annotate(sent, forms)
                if not spans:
                    if not any(f in sent for f in forbidden):
                        neg.append(json.dumps({"doc": doc, "text": sent, "spans": []}, ensure_ascii=False))
                    continue
                spans = refine(sent, spans, companies, form_label)
                fh.write(json.dumps({"doc": doc, "text": sent, "spans": spans}, ensure_ascii=False) + "\n")
                n += 1
            negatives.extend(neg)
    (HERE / "negatives.jsonl").write_text("".join(x + "\n" for x in negatives), encoding="utf-8")
    print(f"{n} sentences -> {args.out}; {len(negatives)} entity-free sentences -> negatives.jsonl", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
