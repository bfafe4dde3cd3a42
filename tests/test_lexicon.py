"""Validation of the curated lexicon `ontology/lexicon.tsv` (names, aliases, classes; never relations).

Checks the file on its own (header, ids, classes, labels, alias collisions) and against the hand-made
gold of the seed articles (`../shared/eval/seeds-gold.tsv`): every required/optional entity is known
under a compatible class, and nothing the gold forbids is in the lexicon.
"""
from __future__ import annotations

import csv
import re
import unicodedata
from collections import defaultdict
from pathlib import Path

import opencc
import pytest

from kg.vocabulary import vocabulary

ROOT = Path(__file__).resolve().parents[1]
LEXICON = ROOT / "ontology" / "lexicon.tsv"
GOLD = Path(__file__).parents[1] / ".." / "shared" / "eval" / "seeds-gold.tsv"

HEADER = ["id", "class", "en", "zh_hant", "zh_hans", "aliases"]
# The classes a lexicon row may have, and the subclass test a gold row's class is checked with: kg.ttl's
# (through the vocabulary), so an InstructionSet entry fits a gold Architecture or Technology row.
CLASSES = set(vocabulary().lexicon_classes)
ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
_STRIP = re.compile(r"[\s\-·・_「」『』“”\"']+")

# Every surface form (after normalisation) that is shared by entries of different classes, with the
# classes that share it. Anything shared and not listed here fails `test_cross_class_aliases_documented`.
CROSS_CLASS_ALLOWED = {
    "麒麟": {"Chip", "SoftwarePlatform"},  # Huawei/HiSilicon Kirin SoC vs. Kylin OS (麒麟操作系統)
    "deepseek": {"Company", "SoftwarePlatform"},  # the company 深度求索 vs. its models (DeepSeek等國產大模型)
}


@pytest.fixture(scope="module")
def t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def key(text: str, t2s: opencc.OpenCC) -> str:
    """The matcher's comparison key: NFKC, Traditional→Simplified, lower case, no spaces/hyphens/dots."""
    return _STRIP.sub("", t2s.convert(unicodedata.normalize("NFKC", text)).lower())


def read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [r for r in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
                if r and not r[0].startswith("#")]


@pytest.fixture(scope="module")
def rows() -> list[list[str]]:
    return read_rows(LEXICON)


@pytest.fixture(scope="module")
def entries(rows) -> list[dict]:
    out = []
    for row in rows[1:]:
        ident, cls, en, hant, hans, aliases = (row + [""] * 6)[:6]
        forms = [f for f in (en, hant, hans) if f.strip()]
        forms += [a for a in aliases.split("|") if a.strip()]
        out.append({"id": ident, "class": cls, "labels": (en, hant, hans),
                    "forms": [f.strip() for f in forms], "ncols": len(row)})
    return out


@pytest.fixture(scope="module")
def index(entries, t2s) -> dict[str, set[tuple[str, str]]]:
    """Normalised surface form → {(id, class)}."""
    idx: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for e in entries:
        for form in e["forms"]:
            idx[key(form, t2s)].add((e["id"], e["class"]))
    return idx


def test_lexicon_header_exact(rows):
    assert rows, "lexicon is empty"
    assert rows[0] == HEADER


def test_lexicon_rows_have_six_columns(entries):
    bad = [e["id"] for e in entries if e["ncols"] != len(HEADER)]
    assert not bad, f"rows without exactly {len(HEADER)} tab-separated columns: {bad}"


def test_lexicon_size_is_broad(entries):
    assert len(entries) >= 400


def test_lexicon_ids_unique_and_well_formed(entries):
    ids = [e["id"] for e in entries]
    malformed = [i for i in ids if not ID_RE.match(i)]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    assert not malformed, f"ids must match {ID_RE.pattern}: {malformed}"
    assert not dupes, f"duplicate ids: {dupes}"


def test_lexicon_classes_valid(entries):
    bad = [(e["id"], e["class"]) for e in entries if e["class"] not in CLASSES]
    assert not bad, f"unknown classes (ProcessNode is found by a pattern, not listed): {bad}"


def test_lexicon_every_row_has_a_label(entries):
    bad = [e["id"] for e in entries if not any(label.strip() for label in e["labels"])]
    assert not bad, f"rows without any label: {bad}"


def test_lexicon_no_empty_or_padded_forms(rows):
    bad = []
    for row in rows[1:]:
        for cell in row[2:5]:
            if cell != cell.strip():
                bad.append((row[0], cell))
        for alias in row[5].split("|") if len(row) > 5 and row[5] else []:
            if not alias.strip() or alias != alias.strip():
                bad.append((row[0], alias))
    assert not bad, f"empty or space-padded labels/aliases: {bad}"


def test_lexicon_no_single_character_forms(entries, t2s):
    bad = [(e["id"], f) for e in entries for f in e["forms"] if len(key(f, t2s)) < 2]
    assert not bad, f"single-character surface forms match inside common words: {bad}"


def test_lexicon_no_alias_shared_within_a_class(index):
    clashes = {}
    for form, owners in index.items():
        by_class: dict[str, set[str]] = defaultdict(set)
        for ident, cls in owners:
            by_class[cls].add(ident)
        for cls, ids in by_class.items():
            if len(ids) > 1:
                clashes[form] = (cls, sorted(ids))
    assert not clashes, f"a normalised surface form names two entries of the same class: {clashes}"


def test_lexicon_cross_class_aliases_documented(index):
    shared = {form: {cls for _, cls in owners} for form, owners in index.items()
              if len({cls for _, cls in owners}) > 1}
    undocumented = {f: sorted(c) for f, c in shared.items() if CROSS_CLASS_ALLOWED.get(f) != c}
    assert not undocumented, f"add to CROSS_CLASS_ALLOWED (with a reason) or remove: {undocumented}"
    stale = sorted(set(CROSS_CLASS_ALLOWED) - set(shared))
    assert not stale, f"CROSS_CLASS_ALLOWED lists forms that are no longer shared: {stale}"


def test_lexicon_generic_words_are_not_entities(index, t2s):
    # GPGPU is the exception: the dev gold types it as a Technology (GPGPU架構, GPGPU技術路線), and as the head of a
    # chip kind (壁仞科技的GPGPU芯片BR100) it does not stand between a maker and its product (test_relations)
    generic = ["GPU", "通用GPU", "CPU", "NPU", "DPU", "芯片", "晶片", "處理器", "顯卡", "服務器", "伺服器",
               "算力", "大模型", "AI芯片", "半導體", "集成電路", "光刻機", "操作系統", "深度學習", "政府"]
    found = {g: sorted(index[key(g, t2s)]) for g in generic if key(g, t2s) in index}
    assert not found, f"generic words must not be entities: {found}"


# ---- against the gold of the seed articles ----------------------------------------------------

def gold_entity_rows() -> list[tuple[str, str, str, str]]:
    """(doc, surface forms, class, status) for every `a` row of the gold file."""
    if not GOLD.is_file():
        return []
    out = []
    with GOLD.open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            if not row or row[0].startswith("#") or row[0] == "doc" or len(row) < 5:
                continue
            doc, subject, predicate, obj, status = row[:5]
            if predicate == "a":
                out.append((doc, subject, obj, status))
    return out


def compatible(gold_class: str, lexicon_class: str) -> bool:
    return vocabulary().is_a(lexicon_class, gold_class)


@pytest.fixture(scope="module")
def gold():
    rows = gold_entity_rows()
    if not rows:
        pytest.skip(f"gold file missing: {GOLD}")
    return rows


def test_lexicon_covers_gold_entities(gold, index, t2s):
    missing = []
    for doc, subject, cls, status in gold:
        if status not in ("required", "optional") or cls == "ProcessNode":
            continue
        forms = [f for f in subject.split("|") if f]
        hits = {c for f in forms for _, c in index.get(key(f, t2s), ())}
        if not any(compatible(cls, c) for c in hits):
            missing.append((doc[:3], forms[0], cls, status, sorted(hits)))
    assert not missing, "gold entities absent from the lexicon or with an incompatible class:\n" + \
        "\n".join(map(str, missing))


def test_lexicon_has_no_forbidden_entities(gold, index, t2s):
    found = []
    for doc, subject, cls, status in gold:
        if status != "forbidden":
            continue
        for form in subject.split("|"):
            if form and key(form, t2s) in index:
                found.append((doc[:3], form, sorted(index[key(form, t2s)])))
    assert not found, f"forbidden gold entities are in the lexicon: {found}"
