"""Policies that restrict, and where organisations are based."""
from __future__ import annotations

import re
from collections.abc import Iterator

from kg.rules.common import (
    Found,
    LOCATED_VERB,
    ORG,
    PLACE,
    POLICY,
    RESTRICT_VERB,
)
from kg.sentence_view import SentenceView


def restricts(v: SentenceView) -> Iterator[Found]:
    targets = ("Product", "Organization", "Place")
    for match in RESTRICT_VERB.finditer(v.norm):
        policies = [p for p in v.items if p.is_a(POLICY) and p.end <= match.start()]
        passive = re.search(r"受\s*$", v.norm[max(0, (policies[-1].start if policies else 0) - 3):policies[-1].start]) if policies else None
        if passive and policies[-1].end >= match.start() - 3:  # H100等先進產品受出口管制限制
            subject = v.subject_before(policies[-1].start, targets, carry=False)
            if subject is not None:
                yield policies[-1], "restricts", subject, "rule:restricts.passive", 0.75
            continue
        if not policies or v.modal_between(policies[-1].start, match.start()):
            continue
        _, c_end = v.clause_span(v.clause_of(match.start()))
        for target in v.items_in(match.end(), c_end, targets):
            yield policies[-1], "restricts", target, "rule:restricts", 0.7


def located(v: SentenceView) -> Iterator[Found]:
    for it, trigger_start in v.preceded_by(PLACE, LOCATED_VERB):
        subject = v.subject_before(trigger_start, ORG, carry=True)
        if subject is None:  # 總部位於上海的沐曦
            subject = v.first_after(it.end + 1, ORG, max_gap=1) if v.norm[it.end:it.end + 1] == "的" else None
        if subject is not None:
            yield subject, "locatedIn", it, "rule:located", 0.8
