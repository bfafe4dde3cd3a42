"""Relation rules on data-driven cases (tests/data/relations/cases.tsv) with the shipped lexicon."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from kg.lexicon import Lexicon
from kg.mentions import MentionFinder
from kg.model import Article, Mention, OffsetMap, Sentence
from kg.normalize import Normalizer
from kg.relations import extract_claims

CASES = Path(__file__).parent / "data" / "relations" / "cases.tsv"


def _cases():
    with CASES.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE) if r and not r[0].startswith("#")]
    header, body = rows[0], rows[1:]
    return [dict(zip(header, r + [""] * (len(header) - len(r)))) for r in body]


@pytest.fixture(scope="module")
def reader():
    normalizer = Normalizer()
    finder = MentionFinder(Lexicon.load(), normalizer)

    def read(text: str) -> set[tuple[str, str, str]]:
        norm = normalizer.normalize(text)
        mentions = finder.find(text, norm)
        article = Article("case.txt", 0, None, text, OffsetMap(), True, 1.0)
        claims = extract_claims(Sentence(article, 0, len(text), text), norm, mentions)
        return {(c.subject.text.strip(), c.predicate,
                 c.obj.text.strip() if isinstance(c.obj, Mention) else _number(c.obj)) for c in claims}
    return read


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _parse(spec: str) -> set[tuple[str, str, str]]:
    out = set()
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        words = part.split(" ")
        predicate_at = next(i for i, w in enumerate(words) if w[:1].islower() and w.isascii() and w.isalpha() and i > 0)
        out.add((" ".join(words[:predicate_at]), words[predicate_at], " ".join(words[predicate_at + 1:])))
    return out


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c["id"])
def test_relations_case(case, reader):
    claims = reader(case["text"])
    missing = _parse(case["expect"]) - claims
    wrong = _parse(case["reject"]) & claims
    assert not missing, f"missing {missing}; got {sorted(claims)}"
    assert not wrong, f"must not claim {wrong}"
