"""Relation rules on data-driven cases (tests/data/relations/cases.tsv) with the shipped lexicon."""
from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from kg.mentions.finder import MentionFinder
from kg.mentions.lexicon import Lexicon
from kg.model import Article, Mention, OffsetMap, Sentence
from kg.normalize import Normalizer
from kg.claims.relations import extract_claims

CASES = Path(__file__).parent / "data" / "relations" / "cases.tsv"


def _cases():
    with CASES.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE) if r and not r[0].startswith("#")]
    header, body = rows[0], rows[1:]
    return [dict(zip(header, r + [""] * (len(header) - len(r)))) for r in body]


PREDICATES = re.compile(r" (develops|usesProcessNode|manufacturedBy|targetsMarket|usesTechnology|compatibleWith|"
                        r"comparableTo|acquired|listedOn|partnerOf|investsIn|restricts|locatedIn|basedOn|subsidiaryOf|nanometers|fp32Tflops|"
                        r"fp16Tflops|memoryGB|memoryBandwidthTBps|transistorCount) ")


FIGURES = {"nanometers", "fp32Tflops", "fp16Tflops", "memoryGB", "memoryBandwidthTBps", "transistorCount"}


class Reader:
    """Claims of a sentence as (subject, predicate, object) entity keys, so 'H100' matches 'H100芯片'."""

    def __init__(self):
        self.normalizer = Normalizer()
        self.finder = MentionFinder(Lexicon.load(), self.normalizer)

    def key(self, mention: Mention) -> str:
        return mention.key or self.normalizer.key(mention.text)

    def name_key(self, name: str) -> str:
        found = self.finder.find(name, self.normalizer.normalize(name))
        whole = [m for m in found if m.start == 0 and m.end == len(name)]
        if whole:
            return self.key(whole[0])
        tail = [m for m in found if m.end == len(name)]   # "MTT S5000" read as maker + product
        return self.key(tail[-1]) if tail else self.normalizer.key(name)

    def claims(self, text: str) -> set[tuple[str, str, str]]:
        norm = self.normalizer.normalize(text)
        mentions = self.finder.find(text, norm)
        article = Article("case.txt", 0, None, text, OffsetMap(), True, 1.0)
        claims = extract_claims(Sentence(article, 0, len(text), text), norm, mentions)
        return {(self.key(c.subject), c.predicate, self.key(c.obj) if isinstance(c.obj, Mention) else _number(c.obj))
                for c in claims}

    def parse(self, spec: str) -> set[tuple[str, str, str]]:
        out = set()
        for part in filter(None, (p.strip() for p in spec.split(";"))):
            subject, predicate, obj = PREDICATES.split(part, maxsplit=1)
            is_figure = predicate in FIGURES
            out.add((self.name_key(subject), predicate, obj if is_figure else self.name_key(obj)))
        return out


@pytest.fixture(scope="module")
def reader():
    return Reader()


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c["id"])
def test_relations_case(case, reader):
    claims = reader.claims(case["text"])
    missing = reader.parse(case["expect"]) - claims
    wrong = reader.parse(case["reject"]) & claims
    assert not missing, f"missing {missing}; got {sorted(claims)}"
    assert not wrong, f"must not claim {wrong}"
