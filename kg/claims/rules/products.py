"""Who makes a product, on which process node, in which foundry."""
from __future__ import annotations

import re
from collections.abc import Iterator

from kg.claims.triggers import trigger
from kg.claims.rules.common import (
    SAME_CLAUSE_GAP,
    BUYER_CONTEXT,
    COMPANY,
    DEVELOP_VERB,
    EXAMPLE_OPEN,
    FOUNDRY_NODE_GAP,
    FOUNDRY_TAIL,
    Found,
    MAKER,
    MARKET,
    NODE,
    NODE_VERB,
    ORG,
    PRODUCT,
    PRODUCT_LEAD,
    PRODUCT_OR_ORG,
    TECH,
    its_head,
    launched_product,
    MAKER_DESCRIPTOR,
    product_after,
)
from kg.claims.sentence_view import ADJACENT, Item, SentenceView


ARCHITECTURE = ("Architecture",)
# between two names of a plain list: a separator, quotes or a 系列 head around it (「天垓」與「智鎧」系列), a
# generation word after it (最新架構Blackwell和上一代架構Hopper)
COORDINATED_GAP = re.compile(r"^\s*[”」』\"]?\s*(?:系列)?\s*(?:[、/／]|和|及|与|以及)\s*"
                             r"(?:(?:上一代|新一代|下一代|最新|前代)\s*(?:架构|芯片|产品|gpu)?)?\s*[“「『\"]?\s*$")
NODE_QUALIFIES = re.compile(r"\s*(?:先进|成熟)?\s*(?:工艺|制程)\s*的\s*[「“『]?")
POSSESSED_HEAD = re.compile(r"的\s*(?:高端|旗舰|新款|新一代|首款|自研)?\s*(?:ai|gpu|图形)?\s*(?:芯片|晶片|处理器|加速卡|显卡|gpu|cpu|产品)\s*(?:系列|家族|线)?\s*[「“]?\s*$")
# a technology or architecture named right before a kind-of-product noun (GPGPU芯片, RISC-V處理器)
KIND_QUALIFIER = re.compile(r"\s*(?:架构|指令集)?\s*(?:芯片|晶片|处理器|加速卡|显卡|gpu|cpu|soc)")
# X調查的Y / X採購的Y / X拆解的Y: the organisation did something to the product, it did not make it
NOT_MAKER_VERB = re.compile(trigger("not_maker"))
ORIGIN_AFTER = re.compile(r"\s*(?:的)?\s*(?:技术|架构|指令集|授权|ip)?\s*(?:源自|源于|来自|来源于|引进自|授权自|购自|买自|取自)")
FOUNDRY_VERB = re.compile(r"生产|制造|代工|流片|封装|封测")


def develops(v: SentenceView) -> Iterator[Found]:
    for it in v.items:
        if not it.is_a(PRODUCT):
            continue
        prev = v.items[it.index - 1] if it.index else None
        kind = None   # 壁仞科技的GPGPU芯片BR100: a technology that only names the kind of chip stands between
        if prev is not None and prev.index and prev.is_a(TECH) and KIND_QUALIFIER.match(v.norm, prev.end):
            kind, prev = prev, v.items[prev.index - 1]
        if BUYER_CONTEXT.match(v.norm, it.end) or ORIGIN_AFTER.match(v.norm, it.end):
            continue   # 字節跳動H20訂單: a buyer, not the maker; 兆芯的x86技術源自威盛: it came from elsewhere
        if v.qualifies_head(it):   # 海光的x86架構CPU: the CPU is the product
            continue
        # 英偉達H100 / 沐曦的MXN100 / 英偉達下一代B100 / 長鑫存儲19納米GDDR6顯存
        if prev is not None and prev.is_a(MAKER):
            gap = v.gap(prev, it) if kind is None else v.gap(prev, kind) + v.gap(kind, it)
            if ADJACENT.match(gap) or MAKER_DESCRIPTOR.match(gap):
                yield prev, "develops", it, "rule:develops.adjacent"
                if "的" in gap:   # 沐曦的曦雲C500和曦思N100: the possessive covers the names coordinated right after
                    for before, listed in zip(v.items[it.index:], v.items[it.index + 1:]):
                        if not listed.is_a(PRODUCT) or not COORDINATED_GAP.match(v.gap(before, listed)):
                            break
                        yield prev, "develops", listed, "rule:develops.adjacent"
                continue
        if prev is not None and prev.is_a(NODE) and it.index >= 2:
            org = v.items[it.index - 2]
            if org.is_a(MAKER) and ADJACENT.match(v.gap(org, prev)) and ADJACENT.match(v.gap(prev, it)):
                yield org, "develops", it, "rule:develops.adjacent-node"
                continue
        # 摩爾線程面向機器人和邊緣計算市場的E300 / 平頭哥開發的AI晶片PPU: ORG + modifier without other names
        # + 的 (+ a head noun) + PRODUCT
        head_noun = POSSESSED_HEAD.search(v.norm[max(0, it.start - 12):it.start])
        de_end = it.start - (len(head_noun.group()) - 1) if head_noun else it.start
        if v.norm[de_end - 1:de_end] == "的" or v.norm[it.start - 2:it.start].strip() == "的":
            clause_start, _ = v.clause_span(v.clause_of(it.start))
            owners = [o for o in v.items[:it.index] if o.start >= clause_start and o.is_a(ORG)]
            if owners:
                org = owners[-1]
                between = [b for b in v.items[org.index + 1:it.index] if not b.is_a(MARKET) and b is not kind]
                modifier = v.gap(org, it)
                if not between and 2 < len(modifier) <= 18 and not re.search(r"[，。；、]", modifier) \
                        and not re.match(r"与|和|向|对|为|被|从", modifier) and not NOT_MAKER_VERB.search(modifier):
                    if FOUNDRY_VERB.search(modifier):   # 由中芯生產的麒麟9010: made there, designed elsewhere
                        if org.is_a(COMPANY):
                            yield it, "manufacturedBy", org, "rule:foundry.possessive"
                    else:
                        yield org, "develops", it, "rule:develops.possessive"
    yield from _develops_by_verb(v)
    yield from _develops_appositive(v)
    yield from _develops_product_list(v)
    yield from _developed_by(v)
    yield from _develops_its(v)


# 與X相比 / 與X無直接關聯 / 與X競爭的: X is what something is set against, not an object of the verb before
WITH_BEFORE = re.compile(r"(?:与|同|跟)\s*$")
WITH_PHRASE_END = re.compile(r"[^，。；,;]{0,12}?(?:相比|相较|无关|关联|竞争|对标|一样|类似|相同|不同|相当|抗衡|比肩|媲美)")


def _in_with_phrase(v: SentenceView, obj: Item) -> bool:
    return bool(WITH_BEFORE.search(v.norm, 0, obj.start) and WITH_PHRASE_END.match(v.norm, obj.end))


# 推出三款芯片：A、B和C / 發布了兩款新品，分別是A和B / 實現三款芯片量產：A…: a count of products announces
# the list after the colon or comma
COUNTED_KIND = (r"(?:[\d两二三四五六七八九十多数几]+)\s*(?:款|个|种|颗|代)\s*[^，。；,;：:]{0,10}?"
                r"(?:芯片|晶片|产品|新品|gpu|cpu|处理器|加速卡|显卡|计算卡|系列|架构)")
LIST_OPENS = r"\s*[：:，,]\s*(?:分别是|分别为|分别命名为|包括|即|为|是)?\s*"
COUNTED_AFTER_VERB = re.compile(r"(?:了)?\s*" + COUNTED_KIND + r"\s*(?:产品)?" + LIST_OPENS)
COUNTED_BEFORE_VERB = re.compile(COUNTED_KIND + r"\s*(?:的)?\s*$")
OPENS_AFTER_VERB = re.compile(LIST_OPENS)


def _announced_list(v: SentenceView, match: re.Match) -> Item | None:
    """The first product of a list a counted kind of product announces around a develop verb."""
    after = COUNTED_AFTER_VERB.match(v.norm, match.end())
    if after is None and COUNTED_BEFORE_VERB.search(v.norm, max(0, match.start() - 20), match.start()):
        after = OPENS_AFTER_VERB.match(v.norm, match.end())
    if after is None:
        return None
    return v.first_after(after.end(), PRODUCT, max_gap=2, same_clause=False)


def _develops_by_verb(v: SentenceView) -> Iterator[Found]:
    """壁切科技推出BRAS軟件平台: ORG + 推出/發布/研發 + PRODUCT list."""
    for match in DEVELOP_VERB.finditer(v.norm):
        obj = v.first_after(match.end(), PRODUCT, max_gap=24, gap_ok=PRODUCT_LEAD) or _announced_list(v, match)
        while obj is not None and (BASED_ON.search(v.norm[max(0, obj.start - 10):obj.start]) or _in_with_phrase(v, obj)
                                   or v.qualifies_head(obj)):
            # 研發了首款基於ARM架構的CPU「火星」: the architecture it is based on is not what was developed;
            # 新版本發布慢與昇腾芯片無關 / 推出與H20競爭的X: nor is a product inside a 與…相比/無關/競爭 phrase,
            # nor an architecture that qualifies the noun after it (研發RISC-V通用工具軟件)
            obj = v.first_after(obj.end, PRODUCT, max_gap=24, gap_ok=PRODUCT_LEAD)
        if obj is None:
            continue
        org = v.subject_before(match.start(), ORG, carry=True)
        if org is None or v.modal_between(org.end, match.start()):
            continue
        for product in v.list_from(obj, PRODUCT):
            yield org, "develops", product, "rule:develops.verb"


PRODUCTS_ARE = re.compile(r"(?:的)?\s*(?:主要|核心|主力|旗舰)?\s*(?:产品|产品线|产品矩阵)\s*(?:包括|包含|有|为|是|涵盖)\s*")


def _develops_product_list(v: SentenceView) -> Iterator[Found]:
    """海光信息…主要產品包括高端通用處理器（CPU）和協處理器（DCU）: ORG + 產品包括 + PRODUCT list."""
    for match in PRODUCTS_ARE.finditer(v.norm):
        first = v.first_after(match.end(), PRODUCT, max_gap=8, gap_ok=PRODUCT_LEAD)
        if first is None:
            continue
        org = v.subject_before(match.start() + 1, ORG, carry=True)
        if org is not None and not v.modal_between(org.end, match.start()):
            for product in v.list_from(first, PRODUCT):
                yield org, "develops", product, "rule:develops.product-list"


BY_MAKER = re.compile(r"由\s*")
BY_MAKER_VERB = re.compile(r"\s*(?:[^，。；、,;]{0,8}?)(?:自主)?(研发|开发|设计|推出|打造|代工|流片|生产|制造)")
#: made there, not designed there: 由X代工/流片; 由X生產/製造 only with the process node it is made on
#: (由中芯國際以N+2製程生產), as a machine 由宇量昇生產 says who made it, not which foundry
FOUNDRY_BY = ("代工", "流片", "生产", "制造")
NEEDS_NODE = ("生产", "制造")
# 昇騰910B是華為推出的AI芯片 / ICN技術…均為平頭哥自主研發: the maker named after a copula. 是為X設計 is
# made for X, so no preposition may follow the copula, and the verb must follow the maker at once.
COPULA_MAKER = re.compile(r"(?:是|均为|皆为|均是|都是|乃是|即为)(?!为|给|替|帮|否|由)\s*")
COPULA_MAKER_VERB = re.compile(r"\s*(?:自主|自行|独立)?\s*(研发|开发|设计|推出|打造|研制|自研|代工)(?:出|生产|制造)?"
                               r"(?=的|、|[，。；,;]|\s*$)")
# …是英偉達推出的H20的對手: the relative clause then describes the name after it, not the subject
DESCRIBES_NEXT = re.compile(r"的\s*[「“『]?\s*")
MADE_THING = PRODUCT + ("Technology",)


def _developed_by(v: SentenceView) -> Iterator[Found]:
    """該部光刻機由上海初創公司宇量昇研發 / 由台積電代工 / 是華為推出的: PRODUCT 由|是 ORG + verb (a
    technology so named is one the maker uses)."""
    for by, verb_after in ((BY_MAKER, BY_MAKER_VERB), (COPULA_MAKER, COPULA_MAKER_VERB)):
        for match in by.finditer(v.norm):
            maker = v.first_after(match.end(), ORG, max_gap=10, gap_ok=SAME_CLAUSE_GAP)
            if maker is None:
                continue
            verb = verb_after.match(v.norm, maker.end)
            made = v.subject_before(match.start(), MADE_THING if by is COPULA_MAKER else PRODUCT, carry=True)
            if verb is None or made is None or v.modal_between(made.end, match.start()):
                continue
            if by is COPULA_MAKER and _describes_next(v, verb.end()):
                continue
            if verb.group(1) in FOUNDRY_BY:
                on_node = bool(v.items_in(maker.end, verb.end(), NODE))
                if maker.is_a(COMPANY) and (on_node or verb.group(1) not in NEEDS_NODE):
                    yield made, "manufacturedBy", maker, "rule:foundry.by"
            elif not made.is_a(PRODUCT):
                yield maker, "usesTechnology", made, "rule:tech.by"
            else:
                yield maker, "develops", made, "rule:develops.by" if by is BY_MAKER else "rule:develops.copula"


def _describes_next(v: SentenceView, pos: int) -> bool:
    nxt = next((it for it in v.items if it.start >= pos), None)
    return nxt is not None and nxt.is_a(PRODUCT_OR_ORG) and bool(DESCRIBES_NEXT.fullmatch(v.norm[pos:nxt.start]))


def _develops_appositive(v: SentenceView) -> Iterator[Found]:
    """CUDA（英偉達為GPU設計的軟硬體整合平台）."""
    for it in v.items:
        if not it.is_a(PRODUCT):
            continue
        rest = v.norm[it.end:it.end + 40]
        paren = re.match(r"^\s*[（(]([^（）()]{2,38})[）)]", rest)
        if not paren or not DEVELOP_VERB.search(paren.group(1)):
            continue
        inside = v.items_in(it.end, it.end + paren.end(), ORG)
        if inside and not v.modal_between(inside[0].end, it.end + paren.end()):
            yield inside[0], "develops", it, "rule:develops.appositive"


def _develops_its(v: SentenceView) -> Iterator[Found]:
    """華為…將其對標CUDA生態的CANN和Mind工具鏈…: 其 = the sentence's organisation topic."""
    for match in re.finditer(r"其", v.norm):
        owner = v.nearest_topic(match.start())
        if owner is None or not owner.is_a(ORG):
            continue
        target = its_head(v, match.end(), PRODUCT)
        if target is not None:
            for product in v.list_from(target, PRODUCT):
                yield owner, "develops", product, "rule:develops.its"


NODE_HEAD = re.compile(r"^\s*(?:(?:ai|gpu|图形|通用|高端|旗舰)\s*)?(?:芯片|晶片|处理器|gpu|cpu|加速卡|显卡|soc)\s*[「“『]?\s*$")


def _product_after_node_head(v: SentenceView, node: Item) -> Item | None:
    """The product right after the node, or after a kind of product named after it (7nm AI芯片思元290: the
    market word in the head is part of it)."""
    for nxt in v.items[node.index + 1:]:
        gap = v.gap(node, nxt)
        if nxt.is_a(PRODUCT) and (ADJACENT.match(gap) or NODE_HEAD.match(gap)):
            return nxt
        if not nxt.is_a(MARKET) or len(gap) > 8:
            return None
    return None


def process_nodes(v: SentenceView) -> Iterator[Found]:
    for it in v.items:
        if not it.is_a(NODE):
            continue
        prev = v.items[it.index - 1] if it.index else None
        nxt = v.items[it.index + 1] if it.index + 1 < len(v.items) else None
        # 長鑫存儲19納米GDDR6顯存 / 首款7nm AI芯片思元290: the node opens the product's noun phrase
        headed = _product_after_node_head(v, it)
        if headed is not None:
            yield headed, "usesProcessNode", it, "rule:node.prefix"
            continue
        # 配備5納米工藝的麒麟9006C: a node that qualifies the product named right after
        qualifies = NODE_QUALIFIES.match(v.norm, it.end)
        if qualifies and nxt is not None and nxt.is_a(PRODUCT) and nxt.start - qualifies.end() <= 2:
            yield nxt, "usesProcessNode", it, "rule:node.qualifies"
            continue
        # 進入3納米（如英偉達下一代B100）
        if EXAMPLE_OPEN.match(v.norm[it.end:it.end + 8]):
            close = v.norm.find("）", it.end)
            close = close if close >= 0 else v.norm.find(")", it.end)
            for product in v.items_in(it.end, close if close > 0 else it.end + 30, PRODUCT):
                yield product, "usesProcessNode", it, "rule:node.example"
            continue
        # 龍芯的新品是3A5000系列，3B5000系列，12納米工藝: a verbless clause that is only the node
        described = _described_by_node_clause(v, it)
        if described:
            for product in described:
                yield product, "usesProcessNode", it, "rule:node.attribute"
            continue
        # MXN100採用7納米製程 / 邃思2.0採用GlobalFoundries12納米工藝 / 在14納米工藝下
        trigger_end = prev.start if (prev is not None and prev.is_a(COMPANY) and FOUNDRY_NODE_GAP.match(v.gap(prev, it))) else it.start
        lead = v.norm[max(0, trigger_end - 12):trigger_end]
        verb = NODE_VERB.search(lead)
        if verb is None:
            continue
        if prev is not None and prev.is_a(NODE) and it.index and re.match(r"^\s*(?:或|和|及|、)\s*$", v.gap(prev, it)):
            continue  # second item of a node list: handled with the first
        at = trigger_end - (len(lead) - verb.start())
        subject = launched_product(v, at) or v.subject_before(at, PRODUCT, carry=True, loose=False)
        if subject is None:
            continue
        for each in v.sharing(subject, PRODUCT):
            for node in v.list_from(it, NODE):
                yield each, "usesProcessNode", node, "rule:node.uses" if node is it else "rule:node.uses-list"
    yield from _foundry_supports(v)


NODE_CLAUSE_TAIL = re.compile(r"\s*(?:的)?\s*(?:工艺|制程|制造工艺|工艺制程|工艺节点|制程工艺)?\s*[。.！!]?\s*$")


def _described_by_node_clause(v: SentenceView, node: Item) -> list[Item]:
    """The products listed, one per clause, right before a clause that holds nothing but the node
    (…是A系列，B系列，12納米工藝): the node clause is an attribute of those products."""
    clause = v.clause_of(node.start)
    c_start, c_end = v.clause_span(clause)
    if clause == 0 or v.norm[c_start:node.start].strip() or not NODE_CLAUSE_TAIL.fullmatch(v.norm[node.end:c_end]):
        return []
    return v.listed_before(clause, PRODUCT)


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
            yield product, "usesProcessNode", head[1], "rule:node.foundry-supports"
            yield product, "manufacturedBy", head[0], "rule:foundry.supports"


def manufactured(v: SentenceView) -> Iterator[Found]:
    for it in v.items:
        if not it.is_a(COMPANY):
            continue
        after = v.norm[it.end:it.end + 12]
        nxt = v.items[it.index + 1] if it.index + 1 < len(v.items) else None
        node_follows = nxt is not None and nxt.is_a(NODE) and FOUNDRY_NODE_GAP.match(v.gap(it, nxt))
        tail_from = v.list_from(nxt, NODE)[-1].end if node_follows else it.end
        if not (node_follows or FOUNDRY_TAIL.match(after)):
            continue
        if node_follows and not re.match(r"^\s*[」”』]?\s*(?:finfet|gaa|[a-z0-9+]{1,5})?\s*(?:先进|成熟)?\s*(?:工艺|制程|节点|技术)", v.norm[tail_from:tail_from + 12]):
            continue
        lead = v.norm[max(0, it.start - 8):it.start]
        # 邃思2.0採用GlobalFoundries12納米工藝 / 由台積電代工
        if re.search(r"(?:采用|使用|基于|由|交由|委托|依赖|依靠)(?:了)?\s*$", lead):
            subject = v.subject_before(it.start - 1, PRODUCT, carry=True)
            for each in (v.sharing(subject, PRODUCT) if subject is not None else []):
                yield each, "manufacturedBy", it, "rule:foundry.uses"
            # （例如英偉達H100、AMD MI300）的生產高度依賴台積電
            if re.search(r"的(?:生产|制造|代工|流片)(?:高度|主要|完全|均|都)?(?:依赖|依靠|交由|由)\s*$", v.norm[max(0, it.start - 14):it.start]):
                c_start, _ = v.clause_span(v.clause_of(it.start))
                for product in v.items_in(c_start, it.start, PRODUCT):
                    if product is not subject:
                        yield product, "manufacturedBy", it, "rule:foundry.production-depends"


def foundry_process_used_for(v: SentenceView) -> Iterator[Found]:
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
        product = product_after(v, use.end())
        if product is not None:
            yield product, "manufacturedBy", it, "rule:foundry.process-used-for"
            for node in v.items_in(it.end, it.end + process.end(), NODE):
                yield product, "usesProcessNode", node, "rule:node.foundry-process"


# 基於 / 搭載自研的第二代 XPU架構 / 基於自研架構昆侖芯XPU-R: up to three modifiers between the verb and the name
BASED_ON = re.compile(f"(?:{trigger('based_on')})(?:了)?"
                      r"(?:(?:全新|新一代|第[一二三四五六七八九十\d]代|自研|自主研发|自主设计|自主|国产|最新)(?:的)?\s*){0,3}"
                      r"(?:架构|指令集|指令系统)?"
                      r"\s*[“「『\"]?\s*$")


# 採用7nm製程工藝自研XPU架構 / 採用7納米工藝和全新架構「X」: a process node may come first after the verb
NODE_THEN_ARCH = re.compile(r"^\s*(?:工艺|制程){0,2}\s*(?:[、/／和及与]|以及|加上)?\s*(?:自研|自主研发|全新|新一代)?\s*"
                            r"(?:的)?\s*(?:架构)?\s*[“「『\"]?\s*$")


def _based_on_triggers(v: SentenceView) -> Iterator[tuple[Item, int]]:
    """Each architecture after a based-on verb, with where the verb starts."""
    found = dict(v.preceded_by(ARCHITECTURE, BASED_ON, window=10))
    for node, verb_start in v.preceded_by(NODE, BASED_ON, window=10):
        nxt = v.items[node.index + 1] if node.index + 1 < len(v.items) else None
        if nxt is not None and nxt.is_a(ARCHITECTURE) and nxt not in found and NODE_THEN_ARCH.match(v.gap(node, nxt)):
            found[nxt] = verb_start
    return iter(sorted(found.items(), key=lambda pair: pair[0].start))


def based_on(v: SentenceView) -> Iterator[Found]:
    """三款基於「花港」架構的芯片 / 基于平湖架构的S5000 / S5000採用平湖架構."""
    for arch, trigger_start in _based_on_triggers(v):
        tail = re.match(r"^\s*[”」』\"]?\s*(?:gpu|ai|图形|计算)?\s*(?:架构|指令集)?\s*(?:打造|设计|研发|开发)?\s*的\s*",
                        v.norm[arch.end:arch.end + 14])
        launch = re.match(r"\s*[”」』\"]?\s*(?:架构|指令集)\s*(?:推出|打造|研发|开发|发布|设计)(?:了)?", v.norm[arch.end:arch.end + 12])
        if launch:  # 基於「花港」架構推出…「華山」芯片與…「廬山」芯片
            _, c_end = v.clause_span(v.clause_of(arch.start))
            for product in v.items_in(arch.end + launch.end(), c_end, PRODUCT):
                if not product.is_a(ARCHITECTURE):
                    yield product, "basedOn", arch, "rule:based-on.launch"
            continue
        if tail:  # 基於X架構的Y (and the list after it)
            _, c_end = v.clause_span(v.clause_of(arch.start))
            products = [p for p in v.items_in(arch.end + tail.end(), c_end, PRODUCT) if not p.is_a(ARCHITECTURE)]
            if products and len(v.norm[arch.end + tail.end():products[0].start]) <= 14:
                for product in v.list_from(products[0], PRODUCT):
                    if not product.is_a(ARCHITECTURE):
                        yield product, "basedOn", arch, "rule:based-on.modifier"
                continue
        # 華為推出了昇騰910B，基於達芬奇架構: a clause after a launch is about the product launched
        subject = launched_product(v, trigger_start) or v.subject_before(trigger_start, PRODUCT, carry=True)
        if subject is not None and not subject.is_a(ARCHITECTURE) and not v.modal_between(subject.end, trigger_start):
            yield subject, "basedOn", arch, "rule:based-on.verb"
