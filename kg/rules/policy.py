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
                yield policies[-1], "restricts", subject, "rule:restricts.passive"
            continue
        if not policies or v.modal_between(policies[-1].start, match.start()):
            continue
        _, c_end = v.clause_span(v.clause_of(match.start()))
        for target in v.items_in(match.end(), c_end, targets):
            yield policies[-1], "restricts", target, "rule:restricts"


def located(v: SentenceView) -> Iterator[Found]:
    for it, trigger_start in v.preceded_by(PLACE, LOCATED_VERB):
        subject = v.subject_before(trigger_start, ORG, carry=True)
        if subject is None:  # 總部位於上海的沐曦
            subject = v.first_after(it.end + 1, ORG, max_gap=1) if v.norm[it.end:it.end + 1] == "的" else None
        if subject is not None:
            yield subject, "locatedIn", it, "rule:located"


# 荷蘭艾司摩爾 / 中國最大的晶圓代工廠中芯國際 / 大陸的中芯國際 / 南韓公司SK海力士: a place that qualifies an organisation
NATIONALITY_GAP = re.compile(r"^\s*(?:的)?\s*(?:[^，。；、,;（）()\s]{0,10}?(?:公司|企业|巨头|巨擘|厂商|代工厂|晶圆厂|龙头|独角兽|"
                             r"集团|大厂|制造商|供应商|芯片商|设计商|运营商|机构|实验室|大学)\s*)?$")
PLACE_GOVERNED = re.compile(r"(?:在|从|向|对|赴|到|进入|出口|销往|于)\s*$")


def nationality(v: SentenceView) -> Iterator[Found]:
    for place in v.items:
        if not place.is_a(PLACE) or place.index + 1 >= len(v.items):
            continue
        org = v.items[place.index + 1]
        if not org.is_a(ORG) or org.is_a(("GovernmentAgency", "Exchange")):
            continue
        if not NATIONALITY_GAP.match(v.gap(place, org)) or PLACE_GOVERNED.search(v.norm[max(0, place.start - 3):place.start]):
            continue
        if v.norm[place.start - 1:place.start] in ("「", "“", "『") and v.norm[org.end:org.end + 1] in ("」", "”", "』"):
            continue   # 被冠以「中國Nvidia」的稱號: an epithet, not where Nvidia is
        for each in v.list_from(org, ORG):   # 大陸的中芯國際、華虹半導體: the list shares the place
            yield each, "locatedIn", place, "rule:located.nationality"
