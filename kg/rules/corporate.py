"""Company events: acquisitions, listings, partnerships, investments."""
from __future__ import annotations

import re
from collections.abc import Iterator

from kg.rules.common import (
    ACQUIRE_VERB,
    COMPANY,
    EXCHANGE,
    Found,
    INVEST_VERB,
    JOINT_VERB,
    LIST_VERB,
    ORG,
    PARTNER_VERB,
)
from kg.sentence_view import SentenceView


def acquired(v: SentenceView) -> Iterator[Found]:
    for match in ACQUIRE_VERB.finditer(v.norm):
        first = v.first_after(match.end(), COMPANY, max_gap=14,
                              gap_ok=re.compile(r"^[^，。；、,;（）()]*$"))
        if first is None:
            continue
        buyer = v.subject_before(match.start(), COMPANY, carry=True)
        if buyer is None or v.modal_between(buyer.end, match.start()):
            continue
        for target in v.list_from(first, COMPANY):
            if target.mention.key != buyer.mention.key or target.mention.key is None:
                yield buyer, "acquired", target, "rule:acquired", 0.85


def acquired_passive(v: SentenceView) -> Iterator[Found]:
    """賽靈思被AMD收購: 被 BUYER 收購 → the buyer acquired the subject."""
    for match in re.finditer(r"被\s*", v.norm):
        buyer = v.first_after(match.end(), COMPANY, max_gap=1)
        if buyer is None or not ACQUIRE_VERB.match(v.norm, buyer.end + (len(v.norm[buyer.end:]) - len(v.norm[buyer.end:].lstrip(" 所")))):
            continue
        target = v.subject_before(match.start(), COMPANY, carry=True)
        if target is not None and target.mention.key != buyer.mention.key and not v.modal_between(target.end, match.start()):
            yield buyer, "acquired", target, "rule:acquired.passive", 0.8


def listed(v: SentenceView) -> Iterator[Found]:
    for match in LIST_VERB.finditer(v.norm):
        c_start, c_end = v.clause_span(v.clause_of(match.start()))
        exchange = v.first_after(match.end(), EXCHANGE, max_gap=3)
        if exchange is None:  # 在港股掛牌
            before = [e for e in v.items_in(c_start, match.start(), EXCHANGE)]
            if not before or not re.search(r"在\s*$", v.norm[max(0, before[-1].start - 3):before[-1].start]):
                continue
            exchange = before[-1]
            if len(v.norm[exchange.end:match.start()].strip()) > 4:
                continue
        bound = min(exchange.start, match.start())
        subject = v.subject_before(bound, COMPANY, carry=False)
        if subject is None or v.modal_between(subject.end, match.start()) or \
                re.search(r"拟|计划|申请|排队|筹备|准备|启动", v.norm[match.end():c_end][:6]):
            continue
        for company in v.list_ending_at(subject, COMPANY):
            yield company, "listedOn", exchange, "rule:listed", 0.85


def partners(v: SentenceView) -> Iterator[Found]:
    for match, partners in v.lists_after(r"与|同|跟|联合|携手|联手", ORG, max_gap=1):
        _, c_end = v.clause_span(v.clause_of(match.start()))
        rest = v.norm[partners[-1].end:c_end]
        joint = JOINT_VERB.match(match.group())
        if not (PARTNER_VERB.search(rest) or (joint and re.search(r"开发|推出|打造|研发|发布|承诺|成立|组建", rest))):
            continue
        subject = v.subject_before(match.start(), ORG, carry=True)
        if subject is None or v.modal_between(subject.end, match.start()):
            continue
        for partner in partners:
            if partner.mention.key != subject.mention.key or partner.mention.key is None:
                yield subject, "partnerOf", partner, "rule:partner", 0.75


INVESTABLE = ("Organization", "Product", "Technology")   # the range of kg:investsIn


def invests(v: SentenceView) -> Iterator[Found]:
    for match, targets in v.lists_after(INVEST_VERB, INVESTABLE, max_gap=2):
        investor = v.subject_before(match.start(), ORG, carry=False)
        if investor is None or v.modal_between(investor.end, match.start()):
            continue
        for target in targets:
            yield investor, "investsIn", target, "rule:invests", 0.7


def invested_by(v: SentenceView) -> Iterator[Found]:
    """燧原科技此前已獲得騰訊多輪投資: 獲得 X 投資 → X investsIn the subject."""
    for match in re.finditer(r"(?:获得|获|得到|接受)(?:了)?\s*", v.norm):
        investor = v.first_after(match.end(), ORG, max_gap=2)
        if investor is None or not re.match(r"^\s*(?:的)?(?:多轮|新一轮|战略|数亿元|亿元)?\s*(?:投资|注资|增资|入股)",
                                            v.norm[investor.end:investor.end + 10]):
            continue
        target = v.subject_before(match.start(), INVESTABLE, carry=True)
        if target is not None and not v.modal_between(target.end, match.start()):
            for each in v.list_ending_at(investor, ORG):
                yield each, "investsIn", target, "rule:invests.received", 0.7


def investors_listed(v: SentenceView) -> Iterator[Found]:
    """…完成新一輪融資，投資方包括國家大基金二期: the investors named after 投資方/投資者."""
    for match, investors in v.lists_after(r"(?:投资方|投资者|投资机构|领投方|参投方)(?:包括|为|是|有)", ORG, max_gap=2):
        target = v.subject_before(match.start(), ("Organization",), carry=True)
        if target is None or v.modal_between(target.end, match.start()):
            continue
        for investor in investors:
            if investor.mention.key != target.mention.key:
                yield investor, "investsIn", target, "rule:invests.investors", 0.7
