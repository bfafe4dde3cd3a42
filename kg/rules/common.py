"""What every relation rule shares: class groups, trigger words, and two small structural helpers."""
from __future__ import annotations

import re

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

DEVELOP_VERB = re.compile(r"推出|发布|研发|研制|开发|设计|打造|量产|自研|发表|上线|推(?=[了新])|造(?=出|了)")
PRODUCT_LEAD = re.compile(r"^[\s「」“”]*(?:了|出)?[\s「」“”]*(?:新一代|下一代|最新|首款|旗舰|自研|全新|新款)?[^，。；、,;]{0,22}?$")
# what may stand between a maker and its product's name: 英偉達當前主力芯片Blackwell / 英偉達(US.NVDA)的最新架構Blackwell
MAKER_DESCRIPTOR = re.compile(r"^\s*[）)]?\s*(?:[（(][^（）()，。]{1,16}[）)])?\s*(?:的)?\s*(?:当前|目前|最新|新一代|下一代|上一代|主力|旗舰|首款|"
                              r"第[一二三四五六七八九十\d]代|自研|核心|高端|旗下)*\s*(?:的)?\s*(?:ai|gpu|图形|计算)?\s*"
                              r"(?:芯片|晶片|gpu|架构|产品|显卡|加速卡|处理器|cpu|平台|系列)?\s*[「“『]?\s*$")
NODE_VERB = re.compile(r"(?:采用|基于|使用|运用|用|导入|在|为|是|进入)(?:了)?$")
APPLIED = re.compile(r"应用|部署|使用|落地|采用|优势|表现|领先|降低|提升|突出|广泛|服务|占据|占有|渗透|构建|布局|深耕|产品矩阵|产品线|订单|突破")
COMPARE_VERB = re.compile(r"(?:接近|媲美|比肩|对标|相当于|相当|超越|超过|优于|逊于|较|相比|对比|比)(?:了)?$")
ACQUIRE_VERB = re.compile(r"收购|并购|买下|购入|吞并|全资收购")
LIST_VERB = re.compile(r"登陆|登录|挂牌|上市")
PARTNER_VERB = re.compile(r"合作|联盟|伙伴|协作|共建|联手|结盟")
JOINT_VERB = re.compile(r"^(?:联合|携手|联手)$")
INVEST_VERB = re.compile(r"投资|注资|领投|参投|入股|增资|战略投资")
RESTRICT_VERB = re.compile(r"禁止|限制|管制|封锁|制裁|禁售|断供")
LOCATED_VERB = re.compile(r"(?:总部)?(?:位于|设在|坐落于|落户|扎根)$")
COMPAT = re.compile(r"兼容|适配|相容|互认证|互相认证")
FOUNDRY_TAIL = re.compile(r"^\s*(?:代工|生产|制造|流片|工艺|制程)")
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
