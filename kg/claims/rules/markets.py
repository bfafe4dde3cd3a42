"""What a product or company is for (markets) and built with (technologies)."""
from __future__ import annotations

import re
from collections.abc import Iterator

from kg.claims.triggers import trigger
from kg.claims.rules.common import (
    SAME_CLAUSE_GAP,
    APPLIED,
    DEVELOP_VERB,
    Found,
    MARKET,
    NODE,
    ORG,
    PRODUCT,
    PRODUCT_OR_ORG,
    TECH,
    its_head,
    launched_product,
)
from kg.claims.sentence_view import LIST_SEPARATOR, Item, SentenceView


# what may stand between a market trigger and the market list (面向大規模數據中心, 主要應用於多個行業的…)
MARKET_LEAD = re.compile(r"^[\s「」“”的]*(?:了|于|於|在|到|至)?[\s「」“”]*(?:大规模|高端|多个|主要|核心|细分|多种|各类|包括|国产|b端|c端|企业级|高性能|高效能|高效|通用|专业|特定|新兴|前沿)?[\s「」“”的]*$")
MARKET_TRIGGER = re.compile(trigger("market"))
# 為國產遊戲、工業設計等領域提供…: 為 + markets + 領域/行業 + 提供
FOR_DOMAIN_TAIL = re.compile(r"\s*(?:等)?\s*(?:多个|各)?\s*(?:领域|行业|市场|场景|客户|用户)\s*(?:的)?\s*(?:提供|打造|带来|推出)")


# 覆蓋AI芯片、AI加速卡…: a market word that is the first half of a kind of product is not a market
PRODUCT_KIND_AFTER = re.compile(r"\s*(?:芯片|晶片|加速卡|显卡|gpu|cpu|处理器|服务器|模组|板卡|计算卡|系统|集群|一体机|软件|平台)")
# 聚焦雲端AI芯片領域: the field of a kind of product is the market's field again
PRODUCT_KIND_FIELD = re.compile(PRODUCT_KIND_AFTER.pattern + r"\s*(?:领域|赛道|市场|行业)")
# 針對金融、科研等關鍵領域開展的安全審查: the markets are where an action happens, not what is aimed at them
ACTION_AFTER = re.compile(r"\s*(?:等)?\s*(?:关键|重点|重要|敏感)?\s*(?:领域|行业|部门|场景)?\s*(?:开展|进行|实施|发起|展开)")
COVERAGE_AFTER = re.compile(r"\s*(?:等)?\s*(?:多|全|多个|各类)?\s*(?:场景|领域|市场|应用)?\s*(?:的)?\s*(?:全面|广泛)?\s*覆盖")
MEANS_LEAD = re.compile(r"\s*(?:凭借|依靠|借助|通过|依托)")
# 消費級顯卡7G106 / 專業級顯卡7G105: a market that qualifies a product head noun right before the name
MARKET_HEAD = re.compile(r"\s*(?:级|端)?\s*(?:显卡|芯片|晶片|gpu|cpu|处理器|加速卡|计算卡|板卡|服务器|产品)\s*[「“]?\s*$")


def markets(v: SentenceView) -> Iterator[Found]:
    for market in v.items:
        if market.is_a(MARKET) and market.index + 1 < len(v.items):
            product = v.items[market.index + 1]
            gap = v.gap(market, product)
            # 消費級顯卡7G106, 雲端推理芯片X; not the bare AI芯片X (every accelerator is one)
            if product.is_a(PRODUCT) and MARKET_HEAD.match(gap) and (re.match(r"\s*(?:级|端)", gap) or len(market.mention.text.strip()) >= 3):
                yield product, "targetsMarket", market, "rule:market.qualifies"
    for match in re.finditer(r"为", v.norm):
        first = v.first_after(match.end(), MARKET, max_gap=3, gap_ok=MARKET_LEAD)
        if first is None:
            continue
        listed = market_list(v, first)
        if not FOR_DOMAIN_TAIL.match(v.norm, listed[-1].end):
            continue
        subject = v.subject_before(match.start(), PRODUCT_OR_ORG, carry=True)
        if subject is not None and not v.modal_between(subject.end, match.start()):
            for market in listed:
                yield subject, "targetsMarket", market, "rule:market.for-domain"
    for match in _market_triggers(v):
        first = v.first_after(match.end(), MARKET, max_gap=6, gap_ok=MARKET_LEAD) or _after_unknown_members(v, match.end())
        if first is None:
            continue
        markets = [m for m in market_list(v, first) if not PRODUCT_KIND_AFTER.match(v.norm, m.end)
                   or PRODUCT_KIND_FIELD.match(v.norm, m.end)]
        if not markets or ACTION_AFTER.match(v.norm, markets[-1].end):
            continue
        tail = v.norm[markets[-1].end:markets[-1].end + 8]
        possessed = re.match(r"^\s*(?:市场|领域|场景|行业|任务|需求|应用|业务|负载|等)*\s*的\s*", tail)
        subject = None
        if possessed:  # 面向機器人和邊緣計算市場的E300 / 面向雲計算的第一代AI智算板卡S3000
            subject = v.first_after(markets[-1].end + possessed.end(), PRODUCT, max_gap=12, gap_ok=SAME_CLAUSE_GAP)
        pairs, rule = _respective(v, match.start(), markets), "rule:market.respective"
        if pairs is None:
            pairs, rule = _one_each(v, match.start(), markets), "rule:market.one-each"
        if pairs is not None:   # 分別 / 一個是…: pairs in order, or nothing when they cannot be paired
            for product, market in pairs:
                yield product, "targetsMarket", market, rule
            continue
        if subject is None:
            subject = launched_product(v, match.start()) or v.subject_before(match.start(), PRODUCT_OR_ORG, carry=True)
            # 且不得將晶片用於軍事用途: a prohibition or plan before the trigger
            if subject is not None and v.modal_between(subject.end, match.start()):
                continue
        if subject is not None:
            for market in markets:
                yield subject, "targetsMarket", market, "rule:market.trigger"
    # 已在推理側得到應用 / 在AI推理場景性價比優勢顯著 / 景嘉微的圖形處理芯片在信創桌面電腦中也有一定應用
    for match, listed in v.lists_after(r"在", MARKET, max_gap=2):
        markets = market_list(v, listed[0])
        c_start, c_end = v.clause_span(v.clause_of(match.start()))
        if not APPLIED.search(v.norm[markets[-1].end:c_end]):
            continue
        # 已在推理側得到應用 / 憑借思元系列芯片在…領域構建了: the subject is carried over from an earlier clause
        opens_clause = len(v.norm[c_start:match.start()].strip()) <= 3 or bool(MEANS_LEAD.match(v.norm, c_start))
        subject = v.subject_before(match.start(), PRODUCT_OR_ORG, carry=opens_clause, loose=opens_clause)
        if subject is not None:
            for market in markets:
                yield subject, "targetsMarket", market, "rule:market.in"
    # 覆蓋從AI模型訓練到邊緣側推理的… / 從高性能計算芯片到桌面、嵌入式芯片均能提供產品: a range of markets
    for match in re.finditer(r"从", v.norm):
        listed = _market_range(v, match.end())
        if not listed or not (RANGE_VERB_BEFORE.search(v.norm, max(0, match.start() - 6), match.start())
                              or RANGE_VERB_AFTER.match(v.norm, listed[-1].end)):
            continue
        subject = v.subject_before(match.start(), PRODUCT_OR_ORG, carry=True)
        if subject is not None and not v.modal_between(subject.end, match.start()):
            for market in listed:
                yield subject, "targetsMarket", market, "rule:market.range"
    # 實現AI計算、圖形渲染、科學計算多場景覆蓋: the coverage word comes after the market list
    for market in v.items:
        if not market.is_a(MARKET) or (market.index and v.items[market.index - 1].is_a(MARKET)
                                       and LIST_SEPARATOR.match(v.gap(v.items[market.index - 1], market))):
            continue
        listed = market_list(v, market)
        if not COVERAGE_AFTER.match(v.norm, listed[-1].end):
            continue
        subject = v.subject_before(market.start, PRODUCT_OR_ORG, carry=True)
        if subject is not None and not v.modal_between(subject.end, market.start):
            for each in listed:
                yield subject, "targetsMarket", each, "rule:market.coverage"
    # 景嘉微（軍工）、壁切科技（AI）: a name glossed by its market in brackets
    for it in v.items:
        if it.is_a(MARKET) and re.match(r"^\s*[（(]\s*$", v.norm[it.start - 1:it.start]) and it.index:
            owner = v.items[it.index - 1]
            if owner.is_a(PRODUCT_OR_ORG) and v.norm[owner.end:it.start].strip() in ("（", "("):
                if re.match(r"^\s*(?:领域|市场)?\s*[）)]", v.norm[it.end:it.end + 4]):
                    yield owner, "targetsMarket", it, "rule:market.gloss"
    # 滿足了黨政、金融及安防等信創產業鏈…需求
    for match in re.finditer(r"满足(?:了)?", v.norm):
        first = v.first_after(match.end(), MARKET, max_gap=2)
        if first is None or "需求" not in v.norm[first.end:first.end + 40]:
            continue
        subject = v.subject_before(match.start(), PRODUCT_OR_ORG, carry=True)
        if subject is not None:
            _, c_end = v.clause_span(v.clause_of(match.start()))
            for market in v.items_in(match.end(), c_end, MARKET):
                yield subject, "targetsMarket", market, "rule:market.meets-demand"


# 應用於電信、金融等多個行業的數據中心，以及大數據處理、人工智能等領域: a market list goes on after
# 等…行業的 or after ，以及
MARKET_LIST_GOES_ON = re.compile(r"\s*(?:等)?\s*(?:多个|各|各个|特定|众多|诸多)?\s*(?:领域|行业|场景|市场|业务|负载|应用)?\s*"
                                 r"(?:的|[,，]?\s*(?:以及|及|和|还有)"
                                 # 大規模AI負載(尤其是大語言模型): examples of a market in brackets
                                 r"|[（(]\s*(?:尤其是|特别是|尤其|例如|比如|如|包括|主要是))\s*")


def market_list(v: SentenceView, first: Item) -> list[Item]:
    """``first`` and the markets coordinated after it, across 等…領域的 and ，以及 joints and compounds of two
    markets (辦公桌面筆記本電腦: 桌面 and 筆記本電腦 side by side, no separator)."""
    listed = v.list_from(first, MARKET)
    while True:
        joint = MARKET_LIST_GOES_ON.match(v.norm, listed[-1].end)
        if joint is None:
            more = _market_right_after(v, listed[-1])
            if more is None:
                return listed
            listed += v.list_from(more, MARKET)
            continue
        more = v.first_after(joint.end(), MARKET, max_gap=4, gap_ok=MARKET_LEAD)
        if more is None or more.index != listed[-1].index + 1:
            return listed
        listed += v.list_from(more, MARKET)


def _market_right_after(v: SentenceView, market: Item) -> Item | None:
    """The market that starts where ``market`` ends, with nothing in between."""
    if market.index + 1 < len(v.items):
        nxt = v.items[market.index + 1]
        if nxt.is_a(MARKET) and not v.gap(market, nxt).strip():
            return nxt
    return None


RESPECTIVELY = re.compile(r"分别\s*(?:是|为)?\s*(?:主要)?\s*$")
RESPECTIVE_LIST_END = re.compile(r"\s*(?:等)?\s*(?:领域|市场|场景|方向|应用|业务)|[，。；,;！？]")
RESPECTIVE_MEMBER = re.compile(r"[^、和及与]+")


def _respective(v: SentenceView, pos: int, markets: list[Item]) -> list[tuple[Item, Item]] | None:
    """華山、廬山、長江三款芯片，分別聚焦AI訓推、圖形渲染和系統級芯片領域: with 分別, the n products listed
    last before the trigger pair in order with the n members of the list after it (a member that is not
    a known market pairs with nothing); no pairs when the counts differ. None without 分別."""
    if not RESPECTIVELY.search(v.norm[max(0, pos - 6):pos]):
        return None
    before = [it for it in v.items if it.end <= pos and it.is_a(PRODUCT)]
    if not before or not markets:
        return []
    products = v.list_ending_at(before[-1], PRODUCT)
    start = markets[0].start
    end = RESPECTIVE_LIST_END.search(v.norm, markets[-1].end)
    members = list(RESPECTIVE_MEMBER.finditer(v.norm[start:end.start() if end else len(v.norm)]))
    if len(products) < 2 or len(products) != len(members):
        return []
    pairs = []
    for product, member in zip(products, members):
        inside = [m for m in markets if start + member.start() <= m.start and m.end <= start + member.end()]
        if inside:
            pairs.append((product, inside[0]))
    return pairs


# 一個是面向個人PC，一個是面向服務器: clauses that each take one of the products listed before them
ONE_OF = re.compile(r"\s*(?:一个|一款|一种|另一个|另一款|另一种|前者|后者)\s*(?:则是|是|为|则|主要)?\s*")


def _one_each(v: SentenceView, pos: int, markets: list[Item]) -> list[tuple[Item, Item]] | None:
    """The k-th of a run of clauses opening with 一個是/另一款 pairs with the k-th product listed right before
    the run; no pairs when the counts differ. None when the trigger's clause does not open so."""
    clause = v.clause_of(pos)
    if not ONE_OF.fullmatch(v.norm[v.clause_span(clause)[0]:pos]):
        return None
    run = {c for c, start in enumerate(v.clause_starts) if ONE_OF.match(v.norm, start)}
    first = clause
    while first - 1 in run:
        first -= 1
    last = clause
    while last + 1 in run:
        last += 1
    products = v.listed_before(first, PRODUCT, skip=2)
    if len(products) != last - first + 1 or not markets:
        return []
    return [(products[clause - first], market) for market in markets]


RANGE_TO = re.compile(r"[^，。；、,;]{0,8}?到")
RANGE_VERB_BEFORE = re.compile(f"(?:{trigger('market')}|提供|满足|支持|服务)\\s*(?:了)?\\s*$")
RANGE_VERB_AFTER = re.compile(r"[^，。；,;]{0,10}?(?:均|都|皆)?\s*(?:能|可|可以)?\s*(?:提供|覆盖|满足|支持|服务)")


def _market_range(v: SentenceView, pos: int) -> list[Item]:
    """從A到B(、C): A and the markets listed after 到, each within a few characters (a kind of product may
    follow a market: 從高性能計算芯片到…); empty when the text after 從 is no such range."""
    start = v.first_after(pos, MARKET, max_gap=8, gap_ok=SAME_CLAUSE_GAP)
    if start is None:
        return []
    to = RANGE_TO.match(v.norm, start.end)
    end = v.first_after(to.end(), MARKET, max_gap=8, gap_ok=SAME_CLAUSE_GAP) if to else None
    return [start] + market_list(v, end) if end is not None else []


# 應用於服務器、數據中心、雲計算等領域: a list may open with members no name covers (服務器)
UNKNOWN_MEMBERS = re.compile(r"^[\s「」“”]*(?:了|于|在|到|至)?\s*(?:[^，。；、,;：:（）()\s]{1,6}\s*、\s*){1,3}$")


def _after_unknown_members(v: SentenceView, pos: int) -> Item | None:
    """The first market after ``pos`` when only list members that are no names stand before it."""
    nxt = next((it for it in v.items if it.start >= pos), None)
    if nxt is not None and nxt.is_a(MARKET) and UNKNOWN_MEMBERS.match(v.norm[pos:nxt.start]):
        return nxt
    return None


def _market_triggers(v: SentenceView) -> Iterator[re.Match]:
    yield from MARKET_TRIGGER.finditer(v.norm)


TECH_VERB = re.compile(f"(?:{trigger('tech_use')})(?:了)?"
                       r"\s*(?:\d+(?:\.\d+)?\s*(?:gb|tb|mb|个|颗|片|块|层|组)\s*)?"
                       # 採用了經DeepSeek-V2驗證的MLA / 基於業界最早量產的向量擴展RISC-V指令集
                       r"(?P<descriptor>[^，。；、,;：:]{1,16}的[^，。；、,;：:的]{0,4})?\s*[“「]?\s*$")
FIELD_AFTER = re.compile(r"\s*(?:等)?\s*(?:新兴|前沿|热门|多个|各)?\s*(?:领域|行业|市场|场景)")
# 採用7nm製程與2.5D CoWoS封裝技術: between a process node that opens a technology list and the technology
NODE_THEN_TECH = re.compile(r"^\s*(?:工艺|制程)?\s*(?:工艺|制程)?\s*(?:[、/／]|和|及|与|以及|加上|\+)\s*(?:[\d.]+d)?\s*$")
# between an owner and its technology: nothing, 的, 等公司的 (the owner closes a list), or a relative clause
# whose agent the owner is (所採用的, 自研的)
OWNER_TECH_GAP = re.compile(r"^\s*(?P<others>等\s*(?:[\d一二三四五六七八九十多几]+\s*家)?\s*(?:国内外|国内|国外|海外|中国)?\s*"
                            r"(?:公司|企业|厂商|厂家|巨头|大厂|芯片商|芯片企业|芯片厂商)?)?\s*"
                            f"(?P<verb>(?:所|自主|自行)?\\s*(?:{trigger('tech_use')})\\s*)?"
                            r"(?(verb)的|(?:的)?)\s*$")
# 基於RISC-V指令集的玄鐵C906處理器: the technology a product named right after is built with
TECH_MODIFIES = re.compile(r"\s*[”」]?\s*(?:架构|指令集|技术|工艺)?\s*的\s*")


def technologies(v: SentenceView) -> Iterator[Found]:
    for it in v.items:
        if not it.is_a(TECH):
            continue
        head = v.owner_start(it)
        lead = v.norm[max(0, head - 20):head]
        use = TECH_VERB.search(lead)
        modifier = TECH_MODIFIES.match(v.norm, it.end)
        if use is not None and modifier is not None:
            product = v.first_after(modifier.end(), PRODUCT, max_gap=12, gap_ok=SAME_CLAUSE_GAP)
            if product is not None:
                yield product, "usesTechnology", it, "rule:tech.modifier"
                continue
        prev = v.items[it.index - 1] if it.index else None
        before = prev
        listed = v.list_ending_at(it, TECH + PRODUCT) if use is None else [it]
        opener = v.items[listed[0].index - 1] if use is None and listed[0].index else None
        if opener is not None and opener.is_a(NODE) and NODE_THEN_TECH.match(v.gap(opener, listed[0])):
            listed.insert(0, opener)   # 採用7nm製程與2.5D CoWoS封裝技術: a process node opens the list
        if len(listed) > 1 and not any(m.is_a(TECH) for m in listed[:-1]):
            # 搭載GDDR6X和chiplet技術: the verb stands before a list whose first technology this is
            head = v.owner_start(listed[0])
            lead = v.norm[max(0, head - 20):head]
            use = TECH_VERB.search(lead)
            before = v.items[listed[0].index - 1] if listed[0].index else None
        # a name between the verb and the technology (or its list) only inside a descriptor ending in 的
        name_between = before is not None and before.end > head - (len(lead) - use.start()) if use is not None else False
        if use is not None and (not name_between or use.group("descriptor")):
            at = head - (len(lead) - use.start())
            subject = launched_product(v, at) or v.subject_before(at, PRODUCT_OR_ORG, carry=True)
            techs = v.list_from(it, TECH)
            # 支持5G和物聯網等新興領域的應用: technologies named as fields of application are markets there
            if subject is not None and not v.modal_between(subject.end, it.start) \
                    and not FIELD_AFTER.match(v.norm, v.list_from(it, TECH + MARKET)[-1].end):
                for tech in techs:
                    yield subject, "usesTechnology", tech, "rule:tech.uses"
                continue
        # 英偉達CoWoS技術 / 摩爾線程、英偉達等公司的GPGPU架構 / 寒武紀等廠商所採用的Chiplet技術
        owner_gap = OWNER_TECH_GAP.match(v.gap(prev, it)) if prev is not None else None
        if owner_gap is not None and (prev.is_a(ORG) or (owner_gap.group("verb") and prev.is_a(PRODUCT))):
            owners = v.list_ending_at(prev, ORG) if owner_gap.group("others") and prev.is_a(ORG) else [prev]
            for owner in owners:
                yield owner, "usesTechnology", it, "rule:tech.adjacent"
        # CoWoS技術實現8顆H100芯片的3D堆疊
        after = re.match(r"^\s*(?:技术|工艺|方案|架构)?\s*(?:实现|用于|应用于|助力|赋能)(?:了)?", v.norm[it.end:it.end + 10])
        if after:
            _, c_end = v.clause_span(v.clause_of(it.start))
            target = next(iter(v.items_in(it.end + after.end(), c_end, PRODUCT)), None)
            if target is not None:
                yield target, "usesTechnology", it, "rule:tech.applied-to"
    # 其Transformer引擎 / 其首創的異構GPU協同訓練方案（HGCT）
    for match in re.finditer(r"其", v.norm):
        target = its_head(v, match.end(), TECH)
        if target is None:
            continue
        owner = v.nearest_topic(match.start())
        if owner is not None and owner.is_a(PRODUCT_OR_ORG):
            yield owner, "usesTechnology", target, "rule:tech.its"
    # DeepSeek等中國企業在MoE架構、混合精度訓練等領域的工程創新
    for match, techs in v.lists_after(r"在", TECH, max_gap=1):
        if not re.match(r"^\s*(?:等)?\s*(?:领域|方面|技术)\s*(?:的)?\s*(?:工程)?(?:创新|突破|布局|积累|投入|探索|领先|优势)",
                        v.norm[techs[-1].end:techs[-1].end + 14]):
            continue
        subject = v.subject_before(match.start(), ORG, carry=True)
        if subject is not None:
            for tech in techs:
                yield subject, "usesTechnology", tech, "rule:tech.field"
