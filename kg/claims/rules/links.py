"""Product to product: compatibility and comparison."""
from __future__ import annotations

import re
from collections.abc import Iterator

from kg.claims.rules.common import (
    COMPARE_VERB,
    COMPAT,
    Found,
    MAKER_DESCRIPTOR,
    ORG,
    PRODUCT,
    product_after,
)
from kg.claims.sentence_view import Item, SentenceView


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
                yield subject, "compatibleWith", obj, "rule:compatible"


COMPARE_VERB_ANYWHERE = re.compile(r"接近|媲美|比肩|对标|相当于|超越|超过|优于|是(?=[^，。；]{0,16}的\s*\d+(?:\.\d+)?\s*倍)")


def _glossed(v: SentenceView, pos: int):
    """The product a bracket gloss opened before ``pos`` (still open there) is about: X（對標…）."""
    before = v.norm[:pos]
    open_at = max(before.rfind("（"), before.rfind("("))
    if open_at < 0 or max(before.rfind("）"), before.rfind(")")) > open_at:
        return None
    named = [it for it in v.items if it.end <= open_at and len(v.norm[it.end:open_at].strip()) == 0]
    return named[-1] if named and named[-1].is_a(PRODUCT) else None


def _like_subject(v: SentenceView, pos: int, benchmark):
    """What is compared with ``benchmark``: preferably a thing of its own class (a chip with a chip)."""
    return (v.subject_before(pos, (benchmark.cls,), carry=True, loose=True)
            or v.subject_before(pos, PRODUCT, carry=True, loose=True))


def comparable(v: SentenceView) -> Iterator[Found]:
    for it, trigger_start in v.preceded_by(PRODUCT, COMPARE_VERB):
        tail = v.norm[it.end:it.end + 12]
        benchmark = v.norm.startswith("对标", trigger_start)
        possessive = re.match(r"^\s*(?:生态|平台|架构)?\s*的\s*", tail) if benchmark else None
        if possessive:  # 對標CUDA生態的CANN和Mind工具鏈: the possessor is the benchmark
            head = v.first_after(it.end + possessive.end(), PRODUCT, max_gap=0)
            if head is not None:
                for product in v.list_from(head, PRODUCT):
                    yield product, "comparableTo", it, "rule:comparable.benchmark"
            continue
        subject = _glossed(v, trigger_start) or v.subject_before(trigger_start, PRODUCT, carry=True, loose=True)
        if subject is not None and subject is not it:
            yield subject, "comparableTo", it, "rule:comparable"
    # 媲美輝達（Nvidia）的H100 / 是英偉達H20的2.3倍: the maker and a descriptor may stand before the benchmark
    for match in COMPARE_VERB_ANYWHERE.finditer(v.norm):
        first = v.first_after(match.end(), ORG, max_gap=2)
        if first is None or first.index + 1 >= len(v.items):
            continue
        benchmark = v.items[first.index + 1]
        if benchmark.mention.key == first.mention.key and benchmark.index + 1 < len(v.items):
            first, benchmark = benchmark, v.items[benchmark.index + 1]   # 輝達（Nvidia）的H100
        if not benchmark.is_a(PRODUCT) or not MAKER_DESCRIPTOR.match(v.gap(first, benchmark)):
            continue
        subject = _glossed(v, match.start()) or v.subject_before(match.start(), PRODUCT, carry=True, loose=True)
        if subject is not None and subject is not benchmark:
            yield subject, "comparableTo", benchmark, "rule:comparable.maker"
    # 單精度浮點性能已達到GTX750Ti水平: 達到 X 的水平
    for match in re.finditer(r"(?:达到|达至|接近|相当于|媲美|比肩)(?:了)?\s*", v.norm):
        benchmark = product_after(v, match.end())
        if benchmark is None or not re.match(r"\s*(?:的)?\s*(?:水平|水准|级别|档次|性能)", v.norm[benchmark.end:benchmark.end + 6]):
            continue
        subject = _like_subject(v, match.start(), benchmark)
        if subject is not None and subject is not benchmark:
            yield subject, "comparableTo", benchmark, "rule:comparable.level"
    # 與英偉達GeForce GTX 1050相近 / 與H100相當: 與 X + a verb of likeness
    for match in re.finditer(r"(?:与|和|跟|同)([^，。；]{1,24}?)(?:相近|接近|相当|差不多|持平|类似|相仿|比肩|媲美|不相上下|看齐)", v.norm):
        inside = v.items_in(match.start(1), match.end(1), PRODUCT)
        if not inside:
            continue
        subject = _like_subject(v, match.start(), inside[-1])
        for benchmark in _coordinated(v, inside):
            if subject is not None and subject is not benchmark:
                yield subject, "comparableTo", benchmark, "rule:comparable.like"
    # 與英偉達H100相比仍有差距: the benchmark sits between 與 and 相比
    for match in WITH_COMPARED.finditer(v.norm):
        group = 1 if match.group(1) is not None else 2
        inside = v.items_in(match.start(group), match.end(group), PRODUCT)
        if not inside:
            continue
        subject = _compared_after(v, match) or v.subject_before(match.start(), PRODUCT, carry=True, loose=True)
        for benchmark in _coordinated(v, inside):
            if subject is not None and subject is not benchmark:
                yield subject, "comparableTo", benchmark, "rule:comparable.with"


# 與H100相比 / 相較於H20，… : the benchmark between 與 and 相比, or after a comparing preposition
WITH_COMPARED = re.compile(r"(?:与|和|跟|同)([^，。；]{1,24}?)(?:相比|相较|比较|对比)"
                           r"|(?:相较于|相比于|相比起|比起|相对于|较之)([^，。；]{1,24}?)(?=[，,])")


def _coordinated(v: SentenceView, inside: list[Item]) -> list[Item]:
    """The benchmarks between 與 and 相比: the last product named there and those coordinated with it
    (與H100/H800對比 compares with both)."""
    return [it for it in v.list_ending_at(inside[-1], PRODUCT) if it in inside]


def _compared_after(v: SentenceView, match: re.Match) -> Item | None:
    """與H100相比，思元590的能效更高: a clause that opens with the comparison leaves its subject to the next
    clause."""
    clause = v.clause_of(match.start())
    c_start, c_end = v.clause_span(clause)
    if v.norm[c_start:match.start()].strip() or v.norm[match.end():c_end].strip():
        return None
    head = v.topic(clause + 1) if clause + 1 < len(v.clause_starts) else None
    return head if head is not None and head.is_a(PRODUCT) else None
