"""Relation rules: typed mentions + trigger words + sentence structure → claims.

Every rule reads one sentence (its normalised, Simplified view, so triggers are written once) and
yields (subject, predicate, object, rule id, confidence). Rules never consult what a name *is*
beyond its class; the lexicon knows names, the sentence says the facts."""
from __future__ import annotations

import re
from collections.abc import Iterator

from kg.figures import figure_claims
from kg.model import Claim, Mention, Sentence
from kg.sentence_view import ADJACENT, Item, SentenceView

ORG = ("Organization",)
PRODUCT = ("Product",)
COMPANY = ("Company",)
MARKET = ("Market",)
TECH = ("Technology",)
NODE = ("ProcessNode",)
POLICY = ("Policy",)
EXCHANGE = ("Exchange",)
PLACE = ("Place",)
PRODUCT_OR_ORG = ("Product", "Organization")
MAKER = ("Company", "ResearchInstitution")   # who can stand right before a product name as its maker

Found = tuple[Item, str, Item, str, float]

_DEVELOP_VERB = re.compile(r"推出|发布|研发|研制|开发|设计|打造|量产|自研|发表|推|造")
_PRODUCT_LEAD = re.compile(r"^[\s「」“”]*(?:了|出)?[\s「」“”]*(?:新一代|下一代|最新|首款|旗舰|自研|全新|新款)?[^，。；、,;]{0,10}?$")
_USE_VERB = re.compile(r"(?:采用|基于|使用|运用|利用|通过|借助|依托|引入|集成|搭载|推出|应用)(?:了)?$")
_NODE_VERB = re.compile(r"(?:采用|基于|使用|运用|用|导入|在|为|是|进入)(?:了)?$")
_MARKET_VERB = re.compile(r"(?:面向|针对|应用于|用于|服务于|瞄准|主攻|聚焦|布局|切入|进军)(?:于)?$")
_APPLIED = re.compile(r"应用|部署|使用|落地|采用|优势|表现|领先|降低|提升|突出|广泛|服务|占据|占有|渗透")
_COMPARE_VERB = re.compile(r"(?:接近|媲美|比肩|对标|相当于|相当|超越|超过|优于|逊于|较|相比|对比|比)(?:了)?$")
_ACQUIRE_VERB = re.compile(r"收购|并购|买下|购入|吞并|全资收购")
_LIST_VERB = re.compile(r"登陆|登录|挂牌|上市")
_PARTNER_VERB = re.compile(r"合作|联盟|伙伴|协作|共建|联手|结盟")
_JOINT_VERB = re.compile(r"^(?:联合|携手|联手)$")
_INVEST_VERB = re.compile(r"投资|注资|领投|参投|入股|增资|战略投资")
_RESTRICT_VERB = re.compile(r"禁止|限制|管制|封锁|制裁|禁售|断供")
_LOCATED_VERB = re.compile(r"(?:总部)?(?:位于|设在|坐落于|落户|扎根)$")
_COMPAT = re.compile(r"兼容|适配|相容|互认证|互相认证")
_FOUNDRY_TAIL = re.compile(r"^\s*(?:代工|生产|制造|流片|工艺|制程)")
_BUYER_CONTEXT = re.compile(r"\s*(?:芯片|晶片|gpu|显卡|加速卡)?\s*(?:的)?(?:订单|采购|订购|采买|购买|囤货|囤积|进口|租用|租赁|需求量|采购量)")
_EXAMPLE_OPEN = re.compile(r"^\s*[（(]\s*(?:如|例如|比如|包括)")


def _claims_develops(v: SentenceView) -> Iterator[Found]:
    for it in v.items:
        if not it.is_a(PRODUCT):
            continue
        prev = v.items[it.index - 1] if it.index else None
        if _BUYER_CONTEXT.match(v.norm, it.end):   # 字節跳動H20訂單: a buyer, not the maker
            continue
        # 英偉達H100 / 沐曦的MXN100 / 英偉達下一代B100 / 長鑫存儲19納米GDDR6顯存
        if prev is not None and prev.is_a(MAKER):
            gap = v.gap(prev, it)
            if ADJACENT.match(gap) or re.match(r"^\s*(?:的)?(?:新一代|下一代|最新|首款|旗舰)\s*$", gap):
                yield prev, "develops", it, "rule:develops.adjacent", 0.85
                continue
        if prev is not None and prev.is_a(NODE) and it.index >= 2:
            org = v.items[it.index - 2]
            if org.is_a(MAKER) and ADJACENT.match(v.gap(org, prev)) and ADJACENT.match(v.gap(prev, it)):
                yield org, "develops", it, "rule:develops.adjacent", 0.8
                continue
        # 摩爾線程面向機器人和邊緣計算市場的E300: ORG + modifier without other names + 的 + PRODUCT
        if v.norm[it.start - 1:it.start] == "的" or v.norm[it.start - 2:it.start].strip() == "的":
            clause_start, _ = v.clause_span(v.clause_of(it.start))
            owners = [o for o in v.items[:it.index] if o.start >= clause_start and o.is_a(ORG)]
            if owners:
                org = owners[-1]
                between = [b for b in v.items[org.index + 1:it.index] if not b.is_a(MARKET)]
                modifier = v.gap(org, it)
                if not between and 2 < len(modifier) <= 18 and not re.search(r"[，。；、]", modifier) \
                        and not re.match(r"与|和|向|对|为|被|从", modifier):
                    yield org, "develops", it, "rule:develops.possessive", 0.75
    yield from _develops_by_verb(v)
    yield from _develops_appositive(v)
    yield from _develops_its(v)


def _develops_by_verb(v: SentenceView) -> Iterator[Found]:
    """壁切科技推出BRAS軟件平台: ORG + 推出/發布/研發 + PRODUCT list."""
    for match in _DEVELOP_VERB.finditer(v.norm):
        obj = v.first_after(match.end(), PRODUCT, max_gap=10, gap_ok=_PRODUCT_LEAD)
        if obj is None:
            continue
        org = v.subject_before(match.start(), ORG, carry=True)
        if org is None or v.modal_between(org.end, match.start()):
            continue
        for product in v.list_from(obj, PRODUCT):
            yield org, "develops", product, "rule:develops.verb", 0.8


def _develops_appositive(v: SentenceView) -> Iterator[Found]:
    """CUDA（英偉達為GPU設計的軟硬體整合平台）."""
    for it in v.items:
        if not it.is_a(PRODUCT):
            continue
        rest = v.norm[it.end:it.end + 40]
        paren = re.match(r"^\s*[（(]([^（）()]{2,38})[）)]", rest)
        if not paren or not _DEVELOP_VERB.search(paren.group(1)):
            continue
        inside = v.items_in(it.end, it.end + paren.end(), ORG)
        if inside and not v.modal_between(inside[0].end, it.end + paren.end()):
            yield inside[0], "develops", it, "rule:develops.appositive", 0.8


def _develops_its(v: SentenceView) -> Iterator[Found]:
    """華為…將其對標CUDA生態的CANN和Mind工具鏈…: 其 = the sentence's organisation topic."""
    for match in re.finditer(r"其", v.norm):
        owner = v.sentence_topic(match.start())
        if owner is None or not owner.is_a(ORG):
            continue
        target = _its_head(v, match.end(), PRODUCT)
        if target is not None:
            for product in v.list_from(target, PRODUCT):
                yield owner, "develops", product, "rule:develops.its", 0.7


def _its_head(v: SentenceView, pos: int, classes: tuple[str, ...]) -> Item | None:
    """What 其 (its) governs: the name right after it, or after the 的 closing a short modifier."""
    window = v.norm[pos:pos + 18]
    de = window.find("的")
    start = pos + de + 1 if de >= 0 and not re.search(r"[，。；]", window[:de]) else pos
    return v.first_after(start, classes, max_gap=1)


def _claims_process_node(v: SentenceView) -> Iterator[Found]:
    for it in v.items:
        if not it.is_a(NODE):
            continue
        prev = v.items[it.index - 1] if it.index else None
        nxt = v.items[it.index + 1] if it.index + 1 < len(v.items) else None
        # 長鑫存儲19納米GDDR6顯存
        if nxt is not None and nxt.is_a(PRODUCT) and ADJACENT.match(v.gap(it, nxt)):
            yield nxt, "usesProcessNode", it, "rule:node.prefix", 0.8
            continue
        # 進入3納米（如英偉達下一代B100）
        if _EXAMPLE_OPEN.match(v.norm[it.end:it.end + 8]):
            close = v.norm.find("）", it.end)
            close = close if close >= 0 else v.norm.find(")", it.end)
            for product in v.items_in(it.end, close if close > 0 else it.end + 30, PRODUCT):
                yield product, "usesProcessNode", it, "rule:node.example", 0.7
            continue
        # MXN100採用7納米製程 / 邃思2.0採用GlobalFoundries12納米工藝 / 在14納米工藝下
        trigger_end = prev.start if (prev is not None and prev.is_a(COMPANY) and ADJACENT.match(v.gap(prev, it))) else it.start
        lead = v.norm[max(0, trigger_end - 6):trigger_end]
        verb = _NODE_VERB.search(lead)
        if verb is None:
            continue
        if prev is not None and prev.is_a(NODE) and it.index and re.match(r"^\s*(?:或|和|及|、)\s*$", v.gap(prev, it)):
            continue  # second item of a node list: handled with the first
        subject = v.subject_before(trigger_end - (len(lead) - verb.start()), PRODUCT, carry=True, loose=False)
        if subject is None:
            continue
        for node in v.list_from(it, NODE):
            yield subject, "usesProcessNode", node, "rule:node.uses", 0.85 if node is it else 0.6
    yield from _foundry_supports(v)


def _foundry_supports(v: SentenceView) -> Iterator[Found]:
    """中芯國際14納米FinFET工藝良率提升至95%，支撐景嘉微JM9系列…: foundry+node topic, 支撐/用於 + product."""
    for clause in range(1, len(v.clause_starts)):
        c_start, _ = v.clause_span(clause)
        verb = re.match(r"\s*(?:可|已|并|将)?(?:支撑|支持|用于|为|供应|满足)", v.norm[c_start:])
        if verb is None:
            continue
        products = [p for p in v.items_in(c_start, c_start + verb.end() + 14, PRODUCT)]
        if not products:
            continue
        prev_start, prev_end = v.clause_span(clause - 1)
        head = v.items_in(prev_start, prev_end)
        if len(head) < 2 or not head[0].is_a(COMPANY) or not head[1].is_a(NODE) \
                or not ADJACENT.match(v.gap(head[0], head[1])):
            continue
        for product in products[:1]:
            yield product, "usesProcessNode", head[1], "rule:node.foundry-supports", 0.7
            yield product, "manufacturedBy", head[0], "rule:foundry.supports", 0.7


def _claims_manufactured(v: SentenceView) -> Iterator[Found]:
    for it in v.items:
        if not it.is_a(COMPANY):
            continue
        after = v.norm[it.end:it.end + 12]
        nxt = v.items[it.index + 1] if it.index + 1 < len(v.items) else None
        node_follows = nxt is not None and nxt.is_a(NODE) and ADJACENT.match(v.gap(it, nxt))
        tail_from = v.list_from(nxt, NODE)[-1].end if node_follows else it.end
        if not (node_follows or _FOUNDRY_TAIL.match(after)):
            continue
        if node_follows and not re.match(r"^\s*(?:finfet|gaa|[a-z0-9+]{1,5})?\s*(?:工艺|制程|节点|技术)", v.norm[tail_from:tail_from + 12]):
            continue
        lead = v.norm[max(0, it.start - 8):it.start]
        # 邃思2.0採用GlobalFoundries12納米工藝 / 由台積電代工
        if re.search(r"(?:采用|使用|基于|由|交由|委托|依赖|依靠)(?:了)?\s*$", lead):
            subject = v.subject_before(it.start - 1, PRODUCT, carry=True)
            if subject is not None:
                yield subject, "manufacturedBy", it, "rule:foundry.uses", 0.8
            # （例如英偉達H100、AMD MI300）的生產高度依賴台積電
            if re.search(r"的(?:生产|制造|代工|流片)(?:高度|主要|完全|均|都)?(?:依赖|依靠|交由|由)\s*$", v.norm[max(0, it.start - 14):it.start]):
                c_start, _ = v.clause_span(v.clause_of(it.start))
                for product in v.items_in(c_start, it.start, PRODUCT):
                    if product is not subject:
                        yield product, "manufacturedBy", it, "rule:foundry.production-depends", 0.75


def _foundry_process_used_for(v: SentenceView) -> Iterator[Found]:
    """中芯國際的N+2工藝已用於華為麒麟9000S芯片的量產: a foundry's process serving a product."""
    for it in v.items:
        if not it.is_a(COMPANY):
            continue
        process = re.match(r"\s*(?:的)?\s*(?:[a-z0-9+\-]{1,6}|\d+\s*(?:纳米|奈米|nm))?\s*(?:finfet|gaa)?\s*(?:工艺|制程)",
                           v.norm[it.end:it.end + 20])
        if process is None:
            continue
        _, c_end = v.clause_span(v.clause_of(it.start))
        use = re.compile(r"(?:已|已经|将)?(?:用于|应用于|支撑|服务于|导入)").search(v.norm, it.end + process.end(), c_end)
        if use is None or v.modal_between(it.start, use.start()):
            continue
        product = _product_after(v, use.end())
        if product is not None:
            yield product, "manufacturedBy", it, "rule:foundry.process-used-for", 0.75
            for node in v.items_in(it.end, it.end + process.end(), NODE):
                yield product, "usesProcessNode", node, "rule:node.foundry-process", 0.7


def _claims_market(v: SentenceView) -> Iterator[Found]:
    for match in _market_triggers(v):
        first = v.first_after(match.end(), MARKET, max_gap=4, gap_ok=re.compile(r"^[\s「」“”的]*$"))
        if first is None:
            continue
        markets = v.list_from(first, MARKET)
        tail = v.norm[markets[-1].end:markets[-1].end + 8]
        possessed = re.match(r"^\s*(?:市场|领域|场景|行业|等)*\s*的\s*", tail)
        subject = None
        if possessed:  # 面向機器人和邊緣計算市場的E300
            subject = v.first_after(markets[-1].end + possessed.end(), PRODUCT, max_gap=0)
        if subject is None:
            subject = _launched_product(v, match.start()) or v.subject_before(match.start(), PRODUCT_OR_ORG, carry=True)
        if subject is not None:
            for market in markets:
                yield subject, "targetsMarket", market, "rule:market.trigger", 0.75
    # 已在推理側得到應用 / 在AI推理場景性價比優勢顯著 / 景嘉微的圖形處理芯片在信創桌面電腦中也有一定應用
    for match in re.finditer(r"在", v.norm):
        first = v.first_after(match.end(), MARKET, max_gap=2)
        if first is None:
            continue
        markets = v.list_from(first, MARKET)
        c_start, c_end = v.clause_span(v.clause_of(match.start()))
        if not _APPLIED.search(v.norm[markets[-1].end:c_end]):
            continue
        opens_clause = len(v.norm[c_start:match.start()].strip()) <= 3   # 已在推理側得到應用: subject carried over
        subject = v.subject_before(match.start(), PRODUCT_OR_ORG, carry=opens_clause, loose=opens_clause)
        if subject is not None:
            for market in markets:
                yield subject, "targetsMarket", market, "rule:market.in", 0.7
    # 景嘉微（軍工）、壁切科技（AI）: a name glossed by its market in brackets
    for it in v.items:
        if it.is_a(MARKET) and re.match(r"^\s*[（(]\s*$", v.norm[it.start - 1:it.start]) and it.index:
            owner = v.items[it.index - 1]
            if owner.is_a(PRODUCT_OR_ORG) and v.norm[owner.end:it.start].strip() in ("（", "("):
                if re.match(r"^\s*(?:领域|市场)?\s*[）)]", v.norm[it.end:it.end + 4]):
                    yield owner, "targetsMarket", it, "rule:market.gloss", 0.7
    # 滿足了黨政、金融及安防等信創產業鏈…需求
    for match in re.finditer(r"满足(?:了)?", v.norm):
        first = v.first_after(match.end(), MARKET, max_gap=2)
        if first is None or "需求" not in v.norm[first.end:first.end + 40]:
            continue
        subject = v.subject_before(match.start(), PRODUCT_OR_ORG, carry=True)
        if subject is not None:
            _, c_end = v.clause_span(v.clause_of(match.start()))
            for market in v.items_in(match.end(), c_end, MARKET):
                yield subject, "targetsMarket", market, "rule:market.meets-demand", 0.65


def _launched_product(v: SentenceView, pos: int) -> Item | None:
    """華為發布昇騰910B芯片，面向數據中心市場: a clause with no subject of its own that follows a launch
    is about the product launched, not the company."""
    clause = v.clause_of(pos)
    c_start, _ = v.clause_span(clause)
    if clause == 0 or v.subject_before(pos, PRODUCT_OR_ORG, carry=False) is not None \
            or len(v.norm[c_start:pos].strip()) > 3:
        return None
    p_start, p_end = v.clause_span(clause - 1)
    verb = None
    for verb in _DEVELOP_VERB.finditer(v.norm, p_start, p_end):
        pass
    if verb is None:
        return None
    launched = v.items_in(verb.end(), p_end, PRODUCT)
    return launched[0] if launched else None


def _market_triggers(v: SentenceView) -> Iterator[re.Match]:
    for match in re.finditer(r"面向|针对|应用于|用于|服务于|瞄准|主攻|聚焦|切入|进军", v.norm):
        yield match


def _claims_technology(v: SentenceView) -> Iterator[Found]:
    for it in v.items:
        if not it.is_a(TECH):
            continue
        lead = v.norm[max(0, it.start - 8):it.start]
        use = re.search(r"(?:采用|基于|使用|运用|利用|通过|借助|依托|引入|集成|搭载|搭配|配备|结合|推出|应用)(?:了)?(?:\d+\s*[个颗片块])?\s*$", lead)
        prev = v.items[it.index - 1] if it.index else None
        if use is not None and not (prev is not None and prev.end > it.start - (len(lead) - use.start())):
            subject = v.subject_before(it.start - (len(lead) - use.start()), PRODUCT_OR_ORG, carry=True)
            if subject is not None and not v.modal_between(subject.end, it.start):
                for tech in v.list_from(it, TECH):
                    yield subject, "usesTechnology", tech, "rule:tech.uses", 0.8
                continue
        # 英偉達CoWoS技術
        if prev is not None and prev.is_a(ORG) and re.match(r"^\s*(?:的)?\s*$", v.gap(prev, it)):
            yield prev, "usesTechnology", it, "rule:tech.adjacent", 0.7
        # CoWoS技術實現8顆H100芯片的3D堆疊
        after = re.match(r"^\s*(?:技术|工艺|方案|架构)?\s*(?:实现|用于|应用于|助力|赋能)(?:了)?", v.norm[it.end:it.end + 10])
        if after:
            _, c_end = v.clause_span(v.clause_of(it.start))
            target = next(iter(v.items_in(it.end + after.end(), c_end, PRODUCT)), None)
            if target is not None:
                yield target, "usesTechnology", it, "rule:tech.applied-to", 0.7
    # 其Transformer引擎 / 其首創的異構GPU協同訓練方案（HGCT）
    for match in re.finditer(r"其", v.norm):
        target = _its_head(v, match.end(), TECH)
        if target is None:
            continue
        owner = v.sentence_topic(match.start())
        if owner is not None and owner.is_a(PRODUCT_OR_ORG):
            yield owner, "usesTechnology", target, "rule:tech.its", 0.7
    # DeepSeek等中國企業在MoE架構、混合精度訓練等領域的工程創新
    for match in re.finditer(r"在", v.norm):
        first = v.first_after(match.end(), TECH, max_gap=1)
        if first is None:
            continue
        techs = v.list_from(first, TECH)
        if not re.match(r"^\s*(?:等)?\s*(?:领域|方面|技术)\s*(?:的)?\s*(?:工程)?(?:创新|突破|布局|积累|投入|探索|领先|优势)",
                        v.norm[techs[-1].end:techs[-1].end + 14]):
            continue
        subject = v.subject_before(match.start(), ORG, carry=True)
        if subject is not None:
            for tech in techs:
                yield subject, "usesTechnology", tech, "rule:tech.field", 0.65


def _claims_compatible(v: SentenceView) -> Iterator[Found]:
    for match in _COMPAT.finditer(v.norm):
        c_start, _ = v.clause_span(v.clause_of(match.start()))
        prep = None
        for p in re.finditer(r"与|和|同|跟", v.norm[c_start:match.start()]):
            prep = c_start + p.start()
            break
        if prep is not None:
            first = _product_after(v, prep + 1)
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


def _product_after(v: SentenceView, pos: int) -> Item | None:
    """The product right after ``pos``, allowing its maker's name in front (與百度飛槳、華為昇思MindSpore)."""
    first = v.first_after(pos, PRODUCT, max_gap=3)
    if first is not None:
        return first
    owner = v.first_after(pos, ORG, max_gap=3)
    if owner is not None and owner.index + 1 < len(v.items):
        product = v.items[owner.index + 1]
        if product.is_a(PRODUCT) and ADJACENT.match(v.gap(owner, product)):
            return product
    return None


def _claims_comparable(v: SentenceView) -> Iterator[Found]:
    for it in v.items:
        if not it.is_a(PRODUCT):
            continue
        lead = v.norm[max(0, it.start - 6):it.start]
        verb = _COMPARE_VERB.search(lead)
        if verb is None:
            continue
        trigger_start = it.start - (len(lead) - verb.start())
        tail = v.norm[it.end:it.end + 12]
        possessive = re.match(r"^\s*(?:生态|平台|架构)?\s*的\s*", tail) if verb.group().startswith("对标") else None
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


def _claims_acquired(v: SentenceView) -> Iterator[Found]:
    for match in _ACQUIRE_VERB.finditer(v.norm):
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


def _claims_acquired_passive(v: SentenceView) -> Iterator[Found]:
    """賽靈思被AMD收購: 被 BUYER 收購 → the buyer acquired the subject."""
    for match in re.finditer(r"被\s*", v.norm):
        buyer = v.first_after(match.end(), COMPANY, max_gap=1)
        if buyer is None or not _ACQUIRE_VERB.match(v.norm, buyer.end + (len(v.norm[buyer.end:]) - len(v.norm[buyer.end:].lstrip(" 所")))):
            continue
        target = v.subject_before(match.start(), COMPANY, carry=True)
        if target is not None and target.mention.key != buyer.mention.key and not v.modal_between(target.end, match.start()):
            yield buyer, "acquired", target, "rule:acquired.passive", 0.8


def _claims_listed(v: SentenceView) -> Iterator[Found]:
    for match in _LIST_VERB.finditer(v.norm):
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


def _claims_partner(v: SentenceView) -> Iterator[Found]:
    for match in re.finditer(r"与|同|跟|联合|携手|联手", v.norm):
        first = v.first_after(match.end(), ORG, max_gap=1)
        if first is None:
            continue
        partners = v.list_from(first, ORG)
        _, c_end = v.clause_span(v.clause_of(match.start()))
        rest = v.norm[partners[-1].end:c_end]
        joint = _JOINT_VERB.match(match.group())
        if not (_PARTNER_VERB.search(rest) or (joint and re.search(r"开发|推出|打造|研发|发布|承诺|成立|组建", rest))):
            continue
        subject = v.subject_before(match.start(), ORG, carry=True)
        if subject is None or v.modal_between(subject.end, match.start()):
            continue
        for partner in partners:
            if partner.mention.key != subject.mention.key or partner.mention.key is None:
                yield subject, "partnerOf", partner, "rule:partner", 0.75


def _claims_invests(v: SentenceView) -> Iterator[Found]:
    for match in _INVEST_VERB.finditer(v.norm):
        first = v.first_after(match.end(), ("Organization", "Product", "Technology"), max_gap=2)
        if first is None:
            continue
        investor = v.subject_before(match.start(), ORG, carry=False)
        if investor is None or v.modal_between(investor.end, match.start()):
            continue
        for target in v.list_from(first, ("Organization", "Product", "Technology")):
            yield investor, "investsIn", target, "rule:invests", 0.7


def _claims_invested_by(v: SentenceView) -> Iterator[Found]:
    """燧原科技此前已獲得騰訊多輪投資: 獲得 X 投資 → X investsIn the subject."""
    for match in re.finditer(r"(?:获得|获|得到|接受)(?:了)?\s*", v.norm):
        investor = v.first_after(match.end(), ORG, max_gap=2)
        if investor is None or not re.match(r"^\s*(?:的)?(?:多轮|新一轮|战略|数亿元|亿元)?\s*(?:投资|注资|增资|入股)",
                                            v.norm[investor.end:investor.end + 10]):
            continue
        target = v.subject_before(match.start(), ("Organization", "Product", "Technology"), carry=True)
        if target is not None and not v.modal_between(target.end, match.start()):
            for each in v.list_ending_at(investor, ORG):
                yield each, "investsIn", target, "rule:invests.received", 0.7


def _claims_investors_listed(v: SentenceView) -> Iterator[Found]:
    """…完成新一輪融資，投資方包括國家大基金二期: the investors named after 投資方/投資者."""
    for match in re.finditer(r"(?:投资方|投资者|投资机构|领投方|参投方)(?:包括|为|是|有)", v.norm):
        first = v.first_after(match.end(), ORG, max_gap=2)
        if first is None:
            continue
        target = v.subject_before(match.start(), ("Organization",), carry=True)
        if target is None or v.modal_between(target.end, match.start()):
            continue
        for investor in v.list_from(first, ORG):
            if investor.mention.key != target.mention.key:
                yield investor, "investsIn", target, "rule:invests.investors", 0.7


def _claims_restricts(v: SentenceView) -> Iterator[Found]:
    targets = ("Product", "Organization", "Place")
    for match in _RESTRICT_VERB.finditer(v.norm):
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


def _claims_located(v: SentenceView) -> Iterator[Found]:
    for it in v.items:
        if not it.is_a(PLACE):
            continue
        lead = v.norm[max(0, it.start - 6):it.start]
        verb = _LOCATED_VERB.search(lead)
        if verb is None:
            continue
        subject = v.subject_before(it.start - (len(lead) - verb.start()), ORG, carry=True)
        if subject is None:  # 總部位於上海的沐曦
            subject = v.first_after(it.end + 1, ORG, max_gap=1) if v.norm[it.end:it.end + 1] == "的" else None
        if subject is not None:
            yield subject, "locatedIn", it, "rule:located", 0.8


RULES = (_claims_develops, _claims_process_node, _claims_manufactured, _foundry_process_used_for, _claims_market, _claims_technology,
         _claims_compatible, _claims_comparable, _claims_acquired, _claims_acquired_passive, _claims_listed, _claims_partner,
         _claims_invests, _claims_invested_by, _claims_investors_listed, _claims_restricts, _claims_located)


def extract_claims(sentence: Sentence, norm: str, mentions: list[Mention]) -> list[Claim]:
    """All claims one sentence makes. ``norm`` is the sentence's normalised text; ``mentions`` lie inside it."""
    view = SentenceView(sentence, norm, mentions)
    seen: set[tuple] = set()
    claims: list[Claim] = []
    for rule in RULES:
        for subject, predicate, obj, rule_id, confidence in rule(view):
            if subject is obj:
                continue
            key = (subject.index, predicate, obj.index)
            if key in seen:
                continue
            seen.add(key)
            claims.append(Claim(subject.mention, predicate, obj.mention, sentence, rule_id,
                                round(confidence * min(subject.mention.confidence, obj.mention.confidence), 3)))
    claims += figure_claims(view)
    return claims
