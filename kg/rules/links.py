"""Product to product: compatibility and comparison."""
from __future__ import annotations

import re
from collections.abc import Iterator

from kg.rules.common import (
    COMPARE_VERB,
    COMPAT,
    Found,
    PRODUCT,
    product_after,
)
from kg.sentence_view import SentenceView


def compatible(v: SentenceView) -> Iterator[Found]:
    for match in COMPAT.finditer(v.norm):
        c_start, _ = v.clause_span(v.clause_of(match.start()))
        prep = None
        for p in re.finditer(r"与|和|同|跟", v.norm[c_start:match.start()]):
            prep = c_start + p.start()
            break
        if prep is not None:
            first = product_after(v, prep + 1)
            if first is None:
                continue
            objects = v.list_from(first, PRODUCT)
            subject = v.subject_before(prep, PRODUCT, carry=True, loose=True)
        else:  # X兼容CUDA
            first = v.first_after(match.end(), PRODUCT, max_gap=2)
            if first is None:
                continue
            objects = v.list_from(first, PRODUCT)
            subject = v.subject_before(match.start(), PRODUCT, carry=True, loose=True)
        if subject is None or v.modal_between(subject.end, match.start()):
            continue
        for obj in objects:
            if obj is not subject:
                yield subject, "compatibleWith", obj, "rule:compatible", 0.8


def comparable(v: SentenceView) -> Iterator[Found]:
    for it, trigger_start in v.preceded_by(PRODUCT, COMPARE_VERB):
        tail = v.norm[it.end:it.end + 12]
        benchmark = v.norm.startswith("对标", trigger_start)
        possessive = re.match(r"^\s*(?:生态|平台|架构)?\s*的\s*", tail) if benchmark else None
        if possessive:  # 對標CUDA生態的CANN和Mind工具鏈: the possessor is the benchmark
            head = v.first_after(it.end + possessive.end(), PRODUCT, max_gap=0)
            if head is not None:
                for product in v.list_from(head, PRODUCT):
                    yield product, "comparableTo", it, "rule:comparable.benchmark", 0.75
            continue
        subject = v.subject_before(trigger_start, PRODUCT, carry=True, loose=True)
        if subject is not None and subject is not it:
            yield subject, "comparableTo", it, "rule:comparable", 0.7
    # 與英偉達H100相比仍有差距: the benchmark sits between 與 and 相比
    for match in re.finditer(r"(?:与|和|跟|同)([^，。；]{1,24}?)(?:相比|相较|比较|对比)", v.norm):
        inside = v.items_in(match.start(1), match.end(1), PRODUCT)
        if not inside:
            continue
        subject = v.subject_before(match.start(), PRODUCT, carry=True, loose=True)
        if subject is not None and subject is not inside[-1]:
            yield subject, "comparableTo", inside[-1], "rule:comparable.with", 0.7
