"""What every relation rule shares: class groups, trigger words, and two small structural helpers."""
from __future__ import annotations

import re

from kg.claims.triggers import trigger
from kg.claims.sentence_view import ADJACENT, Item, SentenceView

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

# a gap that stays inside one clause: no comma, full stop, semicolon or enumeration comma
SAME_CLAUSE_GAP = re.compile(r"^[^，。；、,;]*$")

Found = tuple[Item, str, Item, str]   # subject, predicate, object, rule id (rules.tsv gives its confidence)

DEVELOP_VERB = re.compile(trigger("develop"))
PRODUCT_LEAD = re.compile(r"^[\s「」“”]*(?:了|出)?[\s「」“”]*(?:新一代|下一代|最新|首款|旗舰|自研|全新|新款)?[^，。；、,;]{0,22}?$")
# what may stand between a maker and its product's name: 英偉達當前主力芯片Blackwell / 英偉達(US.NVDA)的最新架構Blackwell
MAKER_DESCRIPTOR = re.compile(r"^\s*[）)]?\s*(?:[（(][^（）()，。]{1,16}[）)])?\s*(?:的)?\s*(?:当前|目前|最新|新一代|下一代|上一代|主力|旗舰|首款|"
                              r"第[一二三四五六七八九十\d]代|自研|核心|高端|旗下)*\s*(?:的)?\s*(?:ai|gpu|图形|计算)?\s*"
                              r"(?:芯片|晶片|gpu|架构|产品|显卡|加速卡|处理器|cpu|平台|系列)?\s*[「“『]?\s*$")
# 採用7納米 / 採用了先進的16nm: a node verb, then at most a quality word
NODE_VERB = re.compile(f"(?:{trigger('node_use')})(?:了)?\\s*(?:全球|业界)?(?:最)?(?:先进|最新|成熟|领先|自家|自研)?(?:的)?\\s*$")
APPLIED = re.compile(trigger("applied"))
COMPARE_VERB = re.compile(f"(?:{trigger('compare')})(?:了)?$")
LIST_VERB = re.compile(trigger("list"))
PARTNER_VERB = re.compile(trigger("partner"))
JOINT_VERB = re.compile(f"^(?:{trigger('joint')})$")
INVEST_VERB = re.compile(trigger("invest"))
RESTRICT_VERB = re.compile(trigger("restrict"))
LOCATED_VERB = re.compile(f"(?:总部)?(?:{trigger('located')})$")
COMPAT = re.compile(trigger("compat"))
FOUNDRY_TAIL = re.compile(r"^\s*(?:n\+?\d{1,2}[a-z]?\s*|[「“]n\+?\d{1,2}[a-z]?[」”]\s*)?(?:先进|成熟)?\s*(?:代工|生产|制造|流片|工艺|制程)")   # 台積電N6工藝, 中芯國際「N+3」工藝
# between a foundry and its named node: 台積電N6, 中芯國際所謂的「N+3」, 三星自家的3納米
FOUNDRY_NODE_GAP = re.compile(r"^\s*(?:所谓的?|自家的?|自研的?|最新的?|的)?\s*[「“『]?\s*$")
BUYER_CONTEXT = re.compile(r"\s*(?:芯片|晶片|gpu|显卡|加速卡)?\s*(?:的)?(?:订单|采购|订购|采买|购买|囤货|囤积|进口|租用|租赁|需求量|采购量)")
EXAMPLE_OPEN = re.compile(r"^\s*[（(]\s*(?:如|例如|比如|包括)")


ITS_HEAD_NOUN = re.compile(r"(?:核心|主要|主力|旗舰|首款|新一代|最新|第[一二三四五六七八九十\d]代)?\s*(?:产品|芯片|晶片|gpu|显卡|加速卡|处理器)\s*")


def its_head(v: SentenceView, pos: int, classes: tuple[str, ...]) -> Item | None:
    """What 其 (its) governs: the name right after it, or after the 的 closing a short modifier."""
    window = v.norm[pos:pos + 18]
    de = window.find("的")
    start = pos + de + 1 if de >= 0 and not re.search(r"[，。；]", window[:de]) else pos
    head = ITS_HEAD_NOUN.match(v.norm, start)   # 其核心產品P800
    return v.first_after(head.end() if head else start, classes, max_gap=1)


def product_after(v: SentenceView, pos: int) -> Item | None:
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


# 設計公司 / 研發團隊 / 研發投入: the develop verb is the first half of a noun, nothing was launched
VERB_AS_NOUN = re.compile(r"\s*(?:公司|企业|厂商|团队|人员|能力|投入|费用|中心|基地|实力|经验|水平|周期|进展|成本)")
#: how many clauses back a subjectless clause may reach for the launch it continues
LAUNCH_REACH = 2


def launched_product(v: SentenceView, pos: int) -> Item | None:
    """華為發布昇騰910B芯片，面向數據中心市場: a clause with no subject of its own that follows a launch
    is about the product launched, not the company."""
    clause = v.clause_of(pos)
    c_start, _ = v.clause_span(clause)
    if clause == 0 or v.subject_before(pos, PRODUCT_OR_ORG, carry=False) is not None \
            or len(v.norm[c_start:pos].strip()) > 3:
        return None
    # 發布昇騰910C，基於達芬奇架構，面向…: subjectless clauses may stand between the launch and this one
    for earlier in range(clause - 1, max(-1, clause - 1 - LAUNCH_REACH), -1):
        p_start, p_end = v.clause_span(earlier)
        verb = None
        for verb in DEVELOP_VERB.finditer(v.norm, p_start, p_end):
            if VERB_AS_NOUN.match(v.norm, verb.end()):   # CPU設計公司有基於X86的: 設計 names a kind of firm
                verb = None
        if verb is not None:
            launched = [p for p in v.items_in(verb.end(), p_end, PRODUCT) if not v.qualifies_head(p)]
            return launched[0] if launched else None
        if v.clause_subject(earlier, PRODUCT_OR_ORG) is not None:
            return None
    return None
