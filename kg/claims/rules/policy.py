"""Policies that restrict, and where organisations are based."""
from __future__ import annotations

import re
from collections.abc import Iterator

from kg.claims.triggers import trigger
from kg.claims.rules.common import (
    Found,
    LOCATED_VERB,
    ORG,
    PLACE,
    POLICY,
    RESTRICT_VERB,
)
from kg.claims.sentence_view import Item, SentenceView


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
            if v.modal_between(match.end(), target.start):   # VEU限制是否會長期限制台積電南京廠: a question
                break
            yield policies[-1], "restricts", target, "rule:restricts"


RESTRICTED_TARGETS = ("Product", "Organization", "Place")
LISTED_INTO = re.compile(r"(?:被|遭|已被)?\s*(?:美国|美方|美国商务部)?\s*(?:列入|纳入|加入|列进)\s*$")
UNDER_POLICY = re.compile(r"(?:受|受到|遭到|遭受|(?P<limited>受限于|受限|受制于))\s*(?:美国|美方)?\s*(?:的)?\s*"
                          r"(?:新一轮|新一波|最新|新|更严格的?|严格的?)?\s*$")
RESTRICTION_NOUN = re.compile(trigger("restriction_noun"))
# between the target of 對 and the policy: a kind of party (中國企業), 的 and at most a short descriptor of what is controlled (AI晶片出口)
TOWARD_TAIL = re.compile(r"\s*(?:企业|公司|厂商|实体|市场|客户)?\s*(?:的)?\s*[^，。；、,;：:的对]{0,8}")
UNDER_POLICY_TAIL = re.compile(r"\s*(?:的)?\s*(?:影响|限制|制约|打压|冲击|波及)")


DISPOSAL = re.compile(r"(?:将|把)\s*$")
DISPOSED_TAIL = re.compile(r"^\s*(?:等)?\s*(?:\d+|[两二三四五六七八九十数多几]+)?\s*(?:家|个)?\s*(?:中国|中企|企业|公司|实体|机构)?\s*(?:一并|一同|正式|也)?\s*$")


def _disposed_before(v: SentenceView, trigger: int) -> list[Item]:
    """The names a 將/把 right before them puts in front of the verb at ``trigger`` (將A、B等公司列入)."""
    last = next((it for it in reversed(v.items) if it.end <= trigger), None)
    if last is None or not last.is_a(RESTRICTED_TARGETS) or not DISPOSED_TAIL.match(v.norm[last.end:trigger]):
        return []
    listed = v.list_ending_at(last, RESTRICTED_TARGETS)
    return listed if DISPOSAL.search(v.norm, 0, listed[0].start) else []


def _aimed_at(v: SentenceView, policy: Item) -> Item | None:
    """The name right after a 對 that the policy names as its target (美國對中國的晶片出口管制 → 中國)."""
    target = v.items[policy.index - 1] if policy.index else None
    if target is None or not target.is_a(RESTRICTED_TARGETS) or v.norm[:target.start].rstrip()[-1:] != "对" \
            or not RESTRICTION_NOUN.search(v.norm, policy.start, policy.end):
        return None
    return target if TOWARD_TAIL.fullmatch(v.norm, target.end, policy.start) else None


def restricts_listed(v: SentenceView) -> Iterator[Found]:
    """中芯國際被列入美國實體清單 / 將23家中國實體列入實體清單，包括A、B / 受美國制裁影響，華為無法…"""
    for policy in v.items:
        if not policy.is_a(POLICY):
            continue
        lead = v.norm[max(0, policy.start - 10):policy.start]
        if LISTED_INTO.search(lead):
            trigger = policy.start - (len(lead) - LISTED_INTO.search(lead).start())
            named = re.match(r"\s*(?:[，,：:])?\s*(?:包括|包含|涉及|其中有)\s*", v.norm[policy.end:policy.end + 8])
            if named:   # … 列入實體清單，包括A、B、C
                first = v.first_after(policy.end + named.end(), RESTRICTED_TARGETS, max_gap=1, same_clause=False)
                for target in (v.list_from(first, RESTRICTED_TARGETS) if first is not None else []):
                    yield policy, "restricts", target, "rule:restricts.listed"
                continue
            disposed = _disposed_before(v, trigger)
            if disposed:   # 美國商務部將A、B列入實體清單: what 將/把 governs is listed, not the subject
                for target in disposed:
                    yield policy, "restricts", target, "rule:restricts.listed"
                continue
            target = v.subject_before(trigger, RESTRICTED_TARGETS, carry=False)
            if target is not None and not v.modal_between(target.end, trigger):
                yield policy, "restricts", target, "rule:restricts.listed"
        elif _aimed_at(v, policy) is not None:   # 美國對中國的晶片出口管制 / 對華為的制裁
            yield policy, "restricts", _aimed_at(v, policy), "rule:restricts.toward"
        elif UNDER_POLICY.search(lead) and (UNDER_POLICY.search(lead).group("limited")
                                            or UNDER_POLICY_TAIL.match(v.norm, policy.end)):
            under = policy.start - (len(lead) - UNDER_POLICY.search(lead).start())
            target = v.subject_before(under, RESTRICTED_TARGETS, carry=False)   # not 美國 of 受到美國出口限制
            if target is not None and target.is_a(("Product",)):   # H20、MI308等晶片均受到…: the list shares it
                for each in v.sharing(target, ("Product",))[:-1]:
                    yield policy, "restricts", each, "rule:restricts.under"
            if target is None:   # 受美國制裁影響，華為無法…: the next clause's subject
                _, c_end = v.clause_span(v.clause_of(policy.start))
                target = v.first_after(c_end + 1, RESTRICTED_TARGETS, max_gap=4, same_clause=False)
            if target is not None:
                yield policy, "restricts", target, "rule:restricts.under"


def located(v: SentenceView) -> Iterator[Found]:
    for it, trigger_start in v.preceded_by(PLACE, LOCATED_VERB):
        # 總部位於上海的沐曦 / …也就是位於上海的華力微電子: a relative clause says where the name after it is
        subject = v.first_after(it.end + 1, ORG, max_gap=1) if v.norm[it.end:it.end + 1] == "的" else None
        if subject is None:
            subject = v.subject_before(trigger_start, ORG, carry=True)
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
