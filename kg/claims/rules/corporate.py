"""Company events: listings, partnerships, investments, ownership (acquisitions are patterns in the rule table)."""
from __future__ import annotations

import re
from collections.abc import Iterator

from kg.claims.rules.common import (
    SAME_CLAUSE_GAP,
    COMPANY,
    EXCHANGE,
    Found,
    INVEST_VERB,
    JOINT_VERB,
    LIST_VERB,
    ORG,
    PARTNER_VERB,
)
from kg.claims.sentence_view import ADJACENT, SentenceView


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
        after = v.items[exchange.index + 1] if exchange.index + 1 < len(v.items) else None
        if after is not None and after.is_a(EXCHANGE) and ADJACENT.match(v.gap(exchange, after)):
            exchange = after    # 登陸A股科創板: the board, not the market segment before it
        bound = min(exchange.start, match.start())
        subject = v.subject_before(bound, COMPANY, carry=False)
        if subject is None or v.modal_between(subject.end, match.start()) or \
                re.search(r"拟|计划|申请|排队|筹备|准备|启动", v.norm[match.end():c_end][:6]):
            continue
        companies = v.list_ending_at(subject, COMPANY)
        companies += [c for c in v.sharing(subject, COMPANY) if c not in companies]
        for company in companies:
            yield company, "listedOn", exchange, "rule:listed"


# 在科創板成功上市的國產GPU企業摩爾線程 / 科創板芯片龍頭海光信息 / A股稀缺標的寒武紀: an exchange that qualifies a company
LISTED_QUALIFIER = re.compile(r"^\s*(?:(?:成功|正式|已)?\s*(?:上市|挂牌)\s*的)?\s*[^，。；、,;（）()\s]{0,10}?"
                              r"(?:龙头|巨头|标的|第一股|公司|企业|龙头股|概念股|新股|厂商)\s*$")


def listed_qualifier(v: SentenceView) -> Iterator[Found]:
    for exchange in v.items:
        if not exchange.is_a(EXCHANGE) or exchange.index + 1 >= len(v.items):
            continue
        company = v.items[exchange.index + 1]
        if company.is_a(COMPANY) and LISTED_QUALIFIER.match(v.gap(exchange, company)) \
                and not v.modal_between(exchange.start, company.start):
            yield company, "listedOn", exchange, "rule:listed.qualifier"


# 與美國晶片設計商博通合作 / 與封裝和測試廠通富微電合作: a descriptor ending in a kind of firm before the partner
FIRM_DESCRIPTOR = re.compile(r"^[^，。；,;：:（）()]{1,12}(?:商|厂|公司|企业|巨头|厂家|大厂|龙头|伙伴|集团)\s*$")


def _after_firm_descriptor(v: SentenceView, pos: int):
    """The first organisation after ``pos`` when a firm descriptor (names of other classes inside it) is all
    that stands before it."""
    org = next((it for it in v.items if it.start >= pos and it.is_a(ORG)), None)
    if org is not None and FIRM_DESCRIPTOR.match(v.norm[pos:org.start]):
        return org
    return None


def _partner_lists(v: SentenceView) -> Iterator[tuple[re.Match, list]]:
    """Each 與/同/聯合… and the organisations listed right after it (or after a firm descriptor)."""
    for match in re.finditer(r"与|同|跟|联合|携手|联手", v.norm):
        first = v.first_after(match.end(), ORG, max_gap=1) or _after_firm_descriptor(v, match.end())
        if first is not None:
            yield match, v.list_from(first, ORG)


def partners(v: SentenceView) -> Iterator[Found]:
    for match, partners in _partner_lists(v):
        _, c_end = v.clause_span(v.clause_of(match.start()))
        rest = v.norm[partners[-1].end:c_end]
        joint = JOINT_VERB.match(match.group())
        if not (PARTNER_VERB.search(rest) or (joint and re.search(r"开发|推出|打造|研发|发布|承诺|成立|组建", rest))):
            continue
        subject = v.subject_before(match.start(), ORG, carry=True)
        if subject is None or v.modal_between(subject.end, match.start()) or _names_a_product(v, subject):
            continue
        for partner in partners:
            if (partner.mention.key != subject.mention.key or partner.mention.key is None) \
                    and not _names_a_product(v, partner):
                yield subject, "partnerOf", partner, "rule:partner"


# 昆侖芯AI加速卡的深度協同: a maker's name right before a kind of product stands for the product
PRODUCT_KIND_RIGHT_AFTER = re.compile(r"\s*(?:ai|gpu)?\s*(?:芯片|晶片|加速卡|显卡|处理器|服务器|平台|一体机|算力卡|计算卡|模组)")


def _names_a_product(v: SentenceView, org) -> bool:
    return bool(PRODUCT_KIND_RIGHT_AFTER.match(v.norm, org.end))


INVESTABLE = ("Organization", "Product", "Technology")   # the range of kg:investsIn


def invests(v: SentenceView) -> Iterator[Found]:
    for match, targets in v.lists_after(INVEST_VERB, INVESTABLE, max_gap=2):
        investor = v.subject_before(match.start(), ORG, carry=False)
        if investor is None or v.modal_between(investor.end, match.start()):
            continue
        for target in targets:
            owned = re.match(r"\s*(?:的)?\s*旗下", v.norm[target.end:target.end + 4])
            if owned:   # 入股百度旗下AI芯片公司: the unit, not its parent, is invested in
                unit = v.first_after(target.end + owned.end(), ORG, max_gap=10, gap_ok=SAME_CLAUSE_GAP)
                if unit is None:
                    continue
                target = unit
            yield investor, "investsIn", target, "rule:invests"


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
                yield each, "investsIn", target, "rule:invests.received"


def investors_listed(v: SentenceView) -> Iterator[Found]:
    """…完成新一輪融資，投資方包括國家大基金二期: the investors named after 投資方/投資者."""
    for match, investors in v.lists_after(r"(?:投资方|投资者|投资机构|领投方|参投方)(?:包括|为|是|有)", ORG, max_gap=2):
        target = v.subject_before(match.start(), ("Organization",), carry=True)
        if target is None or v.modal_between(target.end, match.start()):
            continue
        for investor in investors:
            if investor.mention.key != target.mention.key:
                yield investor, "investsIn", target, "rule:invests.investors"


SUBSIDIARY_OF_AFTER = re.compile(r"\s*(?:的)?\s*(?:全资|控股)?\s*(?:子公司|孙公司|控股子公司|全资子公司|旗下公司|分公司|芯片子公司|芯片部门|芯片公司|半导体公司|部门)")
PARENT_BEFORE = re.compile(r"(?:旗下|孵化的|孵化出的|分拆的|控股的|全资的|分拆出的)(?:的)?\s*(?:ai)?\s*(?:芯片|晶片|半导体|gpu)?\s*(?:公司|企业|子公司|厂商|设计公司)?\s*$")


def subsidiary(v: SentenceView) -> Iterator[Found]:
    """阿里旗下平頭哥 / 百度孵化的崑崙芯 / 平頭哥是阿里巴巴的全資子公司 / 崑崙芯（百度子公司）."""
    for it in v.items:
        if not it.is_a(ORG) or it.index == 0:
            continue
        lead = v.norm[max(0, it.start - 14):it.start]
        found = PARENT_BEFORE.search(lead)
        if found is not None:
            parent = v.items[it.index - 1]
            gap_start = it.start - (len(lead) - found.start())
            clause = v.clause_of(it.start)
            if not v.norm[v.clause_span(clause)[0]:gap_start].strip():
                # 華虹集團已…，旗下的華力微電子…: the previous clause's subject owns it
                parent = v.clause_subject(clause - 1, ORG) if clause else None
                if parent is not None and parent.mention.key != it.mention.key:
                    yield it, "subsidiaryOf", parent, "rule:subsidiary.owned"
            elif parent.is_a(ORG) and parent.end <= gap_start and len(v.norm[parent.end:gap_start].strip()) <= 1 \
                    and parent.mention.key != it.mention.key:
                yield it, "subsidiaryOf", parent, "rule:subsidiary.owned"
    # 兆芯負責圖形業務的子公司格蘭菲 / 阿里全資芯片業務主體平頭哥: parent, a short descriptor, the unit's name
    for match in re.finditer(r"(?:子公司|全资子公司|控股子公司|业务主体|旗下公司|旗下企业)\s*", v.norm):
        unit = v.first_after(match.end(), ORG, max_gap=1)
        if unit is None:
            continue
        c_start, _ = v.clause_span(v.clause_of(match.start()))
        parents = [p for p in v.items_in(c_start, match.start(), ORG) if p.mention.key != unit.mention.key]
        if parents and len(v.norm[parents[-1].end:match.start()]) <= 12 and \
                not re.search(r"[与和、]", v.norm[parents[-1].end:match.start()]):
            yield unit, "subsidiaryOf", parents[-1], "rule:subsidiary.unit"
    for it in v.items:
        if not it.is_a(ORG):
            continue
        # 平頭哥是阿里巴巴的全資子公司 / 崑崙芯（百度子公司） / 華力為華虹集團旗下公司
        after = v.norm[it.end:it.end + 20]
        parent_gloss = re.match(r"^\s*(?:[（(]|是|为|系|作为|乃)\s*", after)
        if parent_gloss is None:
            continue
        parent = v.first_after(it.end + parent_gloss.end(), ORG, max_gap=0)
        if parent is None or parent.mention.key == it.mention.key:
            continue
        if SUBSIDIARY_OF_AFTER.match(v.norm, parent.end) or re.match(r"^\s*(?:的)?\s*旗下", v.norm[parent.end:parent.end + 4]):
            if not v.modal_between(it.end, parent.start):
                yield it, "subsidiaryOf", parent, "rule:subsidiary.gloss"


SHAREHOLDER_IS = re.compile(r"(控股股东|第一大股东|大股东|股东|实际控制人|母公司)\s*(?:为|是|包括|系|有)\s*")
CONTROLLING = ("控股股东", "实际控制人", "母公司")
HOLDS = re.compile(r"(?:持有|持股)\s*")
HOLDING_SHARE = re.compile(r"\s*(?:约|超过|逾)?\s*(\d+(?:\.\d+)?)\s*%\s*(?:的)?\s*(?:股份|股权)?")


def _owned_before(v: SentenceView, pos: int):
    """Whose shareholders a 股東為 clause names: X的 right before it, 其 = the sentence's organisation, else the subject."""
    lead = v.norm[max(0, pos - 3):pos]
    if re.search(r"其\s*$", lead):
        owner = v.sentence_topic(pos)
        return owner if owner is not None and owner.is_a(ORG) else None
    return v.subject_before(pos, ORG, carry=True)


def shareholders(v: SentenceView) -> Iterator[Found]:
    """其控股股東為中科算源 / 燧原的股東包括騰訊、美圖 / 中科曙光持有海光信息27.96%股份 / 百度持股59.45%為控股股東."""
    for match in SHAREHOLDER_IS.finditer(v.norm):
        first = v.first_after(match.end(), ORG, max_gap=2)
        owned = _owned_before(v, match.start())
        if first is None or owned is None or v.modal_between(owned.end, match.start()):
            continue
        for holder in v.list_from(first, ORG):
            if holder.mention.key != owned.mention.key:
                yield holder, "investsIn", owned, "rule:invests.shareholder"
                if match.group(1) in CONTROLLING:
                    yield owned, "subsidiaryOf", holder, "rule:subsidiary.controlling-holder"
    for match in HOLDS.finditer(v.norm):
        holder = v.subject_before(match.start(), ORG, carry=False)
        if holder is None:
            continue
        owned = v.first_after(match.end(), ORG, max_gap=1)
        share = HOLDING_SHARE.match(v.norm, owned.end if owned is not None else match.end())
        if share is None:
            continue
        if owned is None:   # 百度持股59.45%為控股股東: the company the sentence is about
            topic = v.sentence_topic(holder.start + 1)
            owned = topic if topic is not None and topic is not holder and topic.is_a(ORG) else None
        if owned is None or owned.mention.key == holder.mention.key or v.modal_between(holder.end, match.start()):
            continue
        yield holder, "investsIn", owned, "rule:invests.holds"
        if float(share.group(1)) > 50 or re.match(r"\s*(?:，|,)?\s*(?:为|是|系)\s*(?:其)?控股股东", v.norm[share.end():share.end() + 10]):
            yield owned, "subsidiaryOf", holder, "rule:subsidiary.majority"


BACKING = re.compile(r"\s*(?:等)?[^，。；]{0,24}?(?:的)?\s*(?:支持|投资|注资|入股|加持|背书|联合投资)|\s*(?:等)?\s*[^，。；]{0,10}?(?:也|均|都)?\s*(?:位列|进入|成为)\s*(?:其)?\s*(?:股东|投资方|投资人)")


def backers(v: SentenceView) -> Iterator[Found]:
    """燧原科技的背後…還有包括騰訊、國家大基金、美圖等機構的支持 / 上海國和投資、國鑫創投等也位列股東名單."""
    for match in re.finditer(r"包括|有|获得|得到|获", v.norm):
        first = v.first_after(match.end(), ORG, max_gap=1)
        if first is None:
            continue
        backers_ = v.list_from(first, ORG)
        backing = BACKING.match(v.norm, backers_[-1].end)
        if not backing:
            continue
        names = {b.mention.key for b in backers_}
        if re.match(r"\s*的", v.norm[backing.end():]):   # 包括華為支持的設備公司新凱來: the backed one follows
            target = v.first_after(backing.end(), ORG, max_gap=16)
        else:
            target = v.subject_before(match.start(), ORG, carry=True)
        if target is None or target.mention.key in names or v.modal_between(target.end, match.start()):
            continue
        for backer in backers_:
            yield backer, "investsIn", target, "rule:invests.backers"
