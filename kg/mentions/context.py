"""Document context: what 公司 / 該公司 / 其 / 該芯片 refer to, across the sentences of one article.

Real articles name their subject once and then say 公司, 該公司 or 其 ("公司自主研發的…", "其產品可兼容…").
The relation rules read one sentence at a time, so here every such anaphor becomes a mention of the thing
it refers to (same class and key, the anaphor's own span): the rules then read it like the name.

What an anaphor refers to:
- an organisation anaphor (公司, 該公司, 這家企業, clause-initial 其): the organisation most recently named in
  *topic position* (opening a clause, not governed by a preposition) within the last few sentences, else
  the article's dominant organisation (named most often, clearly more than any other);
- a product anaphor (該芯片, 這款產品, 此款GPU): the product most recently named in the last few sentences.
An organisation named only as an object (曾任英偉達副總裁, 與英偉達相比) never becomes what 公司 means.
"""
from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import replace

from kg.model import ANCESTORS, Mention, Sentence

#: Organisation anaphors anywhere in a clause, and the bare noun when it opens a clause.
ORG_ANAPHOR = re.compile(r"(?:该|这家|此|本)(?:公司|企业|厂商|集团)")
ORG_BARE = re.compile(r"公司(?!债|法|章|治)")
ITS = re.compile(r"其(?=[^他它余中次实]|$)|它(?![们們])")
PRODUCT_ANAPHOR = re.compile(r"(?:该|这|此|这一|该款|此款|这款|这颗|该颗)(?:款)?(?:产品|芯片|晶片|处理器|加速卡|显卡|gpu|平台|系列)")
#: A kind of firm named right before a firm's name (國產GPU廠商天數智芯, AI芯片獨角兽壁仞科技): the name is
#: still what the clause is about.
FIRM_DESCRIPTOR = (r"(?:国产|国内|中国|美国|本土|头部|知名|领先|全球|新兴)?\s*(?:[a-z0-9]+|ai|gpu|cpu)?\s*"
                   r"(?:芯片|晶片|半导体|算力|图形|处理器|存储)?\s*(?:设计)?\s*(?:厂商|公司|企业|独角兽|巨头|龙头|大厂|厂)")
#: What may stand between a clause break and a name in topic position.
CLAUSE_LEAD = re.compile(r"^\s*(?:[“「『\"][^”」』\"]{0,14}[”」』\"])?\s*(?:而|但|且|并|同时|此外|另外|其中|目前|当前|如今|"
                         r"近年来|近日|日前|今年|去年|据悉|据了解|随后|此后|对此|作为[^，。；]{0,12}，?|先说|再说|至于|说到|谈到)?\s*"
                         r"(?:" + FIRM_DESCRIPTOR + r")?\s*$")
CLAUSE_BREAK = re.compile(r"[，,；;：:！!？?。\n]")
ORG_CLASSES = ("Company", "ResearchInstitution")
PRODUCT_CLASSES = ("Product",)
ARCHITECTURES = ("Architecture",)
# A sentence that drops its subject (目前已適配通義千問…, 並兼容PyTorch): an adverb, then a verb of the kind the
# rules read. The adverb stands in for the subject named at the head of the sentence before.
ZERO_SUBJECT = re.compile(r"\s*((?:目前|如今|当前|现已|此外|同时|随后|此后|后来|之后|另外|并且|并|还|也|又|再|已经|已|均|更|可)+)\s*"
                          r"(?=适配|兼容|支持|推出|发布|采用|面向|应用|覆盖|聚焦|布局|拥有|具备|实现|搭载|配备|集成|基于|主攻|专注|服务于|广泛|"
                          r"研发|研制|开发|打造|设计)")
#: a sentence opening with a name shaped like an organisation's (2-6 characters + 科技/半導體/…) before a verb
UNKNOWN_ORG_OPENING = re.compile(r"\s*([\u4e00-\u9fff]{2,6}(?:科技|半导体|微电子|电子|智能|集团|股份|芯片|算力))"
                                 r"\s*(?:有限公司|公司)?\s*(?:于|在|成立|是|为|已|正式|日前|近日|宣布|，|,)")
#: what only a product has, right after 其/它 (它的單精度浮點性能, 其顯存)
PRODUCT_ATTRIBUTE = re.compile(r"\s*(?:的)?\s*(?:单精度|双精度|半精度|浮点|ai|fp\d+|int\d+)?\s*(?:浮点)?\s*"
                               r"(?:性能|算力|显存|内存|功耗|带宽|频率|主频|规格|晶体管|制程|工艺|能效|跑分)")
#: between a sentence-opening 其 and the product it owns (其JM7201 / 其新一代「X」)
OWN_PRODUCT_LEAD = re.compile(r"\s*(?:最新|新一代|下一代|首款|旗舰|新款)?\s*[「“『]?\s*$")
PRODUCT_VERB = re.compile(r"适配|兼容|支持|搭载|配备|集成")
BULLET = re.compile(r"[•·●▪■]")
HARDWARE_VERB = re.compile(r"搭载|配备|集成")
HARDWARE_CLASSES = ("Chip", "System")
#: A line of a feature list (1)架構創新：採用… / • 內存優化：集成32GB…): an enumerator, a short heading and a
#: colon, then a verb. The heading stands in for what the whole article is about.
HEADED_LINE = re.compile(r"\s*(?:[（(]?\d{1,2}[)）.、]|[•·●▪■\-*])?\s*([^，。；：:\s]{2,8})[:：]\s*(?:目前|已|还|也|可)?\s*"
                         r"(?=采用|基于|集成|搭载|配备|支持|兼容|适配|引入|使用|面向|应用于|用于|设计了|开发了|研发了)")
#: How many sentences back an anaphor may reach for its antecedent.
REACH = 3


def _is(mention: Mention, classes: tuple[str, ...]) -> bool:
    return not ANCESTORS.get(mention.cls, frozenset((mention.cls,))).isdisjoint(classes)


def _identity(mention: Mention) -> str:
    return mention.key or mention.text.strip().lower()


def _clause_start(norm: str, pos: int) -> int:
    for i in range(pos - 1, max(-1, pos - 80), -1):
        if CLAUSE_BREAK.match(norm, i):
            return i + 1
    return max(0, pos - 80)


def in_topic_position(norm: str, mention: Mention) -> bool:
    """Does the mention open its clause (after at most a lead word or a short quoted epithet)?"""
    return bool(CLAUSE_LEAD.match(norm[_clause_start(norm, mention.start):mention.start]))


def dominant(mentions: list[Mention], classes: tuple[str, ...]) -> Mention | None:
    """The article's topic of ``classes``: named at least twice and more often than any other."""
    counts = Counter(_identity(m) for m in mentions if _is(m, classes))
    if not counts:
        return None
    ranked = counts.most_common(2)
    top, n = ranked[0]
    if n < 2 or (len(ranked) > 1 and ranked[1][1] * 3 > n * 2):
        return None
    return next(m for m in mentions if _identity(m) == top)


class ContextResolver:
    """Adds anaphor mentions to one article's mention list."""

    def __init__(self, norm: str, sentences: list[Sentence], mentions: list[Mention]):
        self.norm = norm
        self.mentions = mentions
        self.starts = [s.start for s in sentences]
        self.topic = dominant(mentions, ORG_CLASSES)
        self.product_topic = dominant(mentions, PRODUCT_CLASSES)
        self._taken = bytearray(len(norm) + 1)
        for m in mentions:
            self._taken[m.start:m.end] = b"\x01" * (m.end - m.start)

    def _sentence_of(self, pos: int) -> int:
        return max(0, bisect.bisect_right(self.starts, pos) - 1)

    def _window_start(self, pos: int) -> int:
        first = max(0, self._sentence_of(pos) - REACH)
        return self.starts[first] if self.starts else 0

    def _free(self, start: int, end: int) -> bool:
        return self._taken.find(1, start, end) < 0

    def _recent(self, pos: int, classes: tuple[str, ...], topic_only: bool,
                skip: tuple[str, ...] = ()) -> Mention | None:
        floor = self._window_start(pos)
        for m in reversed(self.mentions):
            if m.end > pos or m.start < floor or not _is(m, classes) or m.source.startswith("context:") \
                    or (skip and _is(m, skip)):
                continue
            if not topic_only or in_topic_position(self.norm, m):
                return m
        return None

    def anaphors(self) -> list[Mention]:
        found: list[Mention] = []
        for start, end, its in self._org_spans():
            if self._opens_with_unknown_org(start):
                continue
            # 其 may stand for a product as well (MXN100…，其顯存…): whichever was last the topic
            classes = ORG_CLASSES + PRODUCT_CLASSES if its else ORG_CLASSES
            if its and PRODUCT_ATTRIBUTE.match(self.norm, end):   # 它的單精度浮點性能: a product's
                antecedent = self._recent(start, PRODUCT_CLASSES, topic_only=False) or self.product_topic
            else:
                antecedent = self._recent(start, classes, topic_only=True) or self.topic
            if antecedent is not None:
                found.append(self._stand_in(antecedent, start, end, "context:anaphor"))
        found += self._zero_subjects()
        found += self._headed_lines()
        for match in PRODUCT_ANAPHOR.finditer(self.norm):
            if not self._free(match.start(), match.end()):
                continue
            # 國產28nm x86處理器，該芯片面向…: an architecture is 該架構, never 該芯片 / 這款產品
            antecedent = self._recent(match.start(), PRODUCT_CLASSES, topic_only=False, skip=ARCHITECTURES) \
                or self.product_topic
            if antecedent is not None:
                found.append(self._stand_in(antecedent, match.start(), match.end(), "context:anaphor"))
        return found

    def _zero_subjects(self) -> list[Mention]:
        out = []
        for i in range(1, len(self.starts)):
            match = ZERO_SUBJECT.match(self.norm, self.starts[i])
            if match is None or not self._free(match.start(1), match.end(1)):
                continue
            previous = [m for m in self.mentions if self.starts[i - 1] <= m.start < self.starts[i]
                        and not m.source.startswith("context:")]
            if PRODUCT_VERB.match(self.norm, match.end()):   # 適配/兼容 is said of a product: the one just named
                head = next((m for m in reversed(previous) if _is(m, PRODUCT_CLASSES)), None)
            else:
                head = next((m for m in previous if in_topic_position(self.norm, m)), None)
            if head is not None and (_is(head, ORG_CLASSES) or _is(head, PRODUCT_CLASSES)):
                out.append(self._stand_in(head, match.start(1), match.end(1), "context:zero-subject"))
        return out

    def _headed_lines(self) -> list[Mention]:
        """Feature-list lines: 集成/搭載/配備 is said of the article's dominant chip or system, a verb that
        is not a product's (採用, 面向…) of its dominant organisation; 支持/兼容/適配 of neither (too
        many things in one article support something); nothing when the article has no clear topic."""
        out = []
        hardware = dominant(self.mentions, HARDWARE_CLASSES)
        line_starts = sorted(set(self.starts) | {m.start() for m in BULLET.finditer(self.norm)})
        for start in line_starts:
            match = HEADED_LINE.match(self.norm, start)
            if match is None or not self._free(match.start(1), match.end(1)):
                continue
            if HARDWARE_VERB.match(self.norm, match.end()):
                head = hardware
            else:
                head = None if PRODUCT_VERB.match(self.norm, match.end()) else self.topic
            if head is not None:
                out.append(self._stand_in(head, match.start(1), match.end(1), "context:headed-line"))
        return out

    def _opens_with_unknown_org(self, pos: int) -> bool:
        """Does the sentence around ``pos`` open with an organisation-looking name no mention covers
        (昉擎科技於2022年成立，公司專注…)? Then 公司 is that unknown one, and no known one may stand in."""
        start = self.starts[self._sentence_of(pos)] if self.starts else 0
        opening = UNKNOWN_ORG_OPENING.match(self.norm, start, pos)
        return opening is not None and self._free(opening.start(1), opening.end(1))

    def _org_spans(self):
        """该公司 anywhere; bare 公司 and 其 only where they open a clause (as the subject)."""
        for match in ORG_ANAPHOR.finditer(self.norm):
            if self._free(match.start(), match.end()):
                yield match.start(), match.end(), False
        for match in ORG_BARE.finditer(self.norm):
            start = match.start()
            if self._free(start, match.end()) and CLAUSE_LEAD.match(self.norm[_clause_start(self.norm, start):start]):
                yield start, match.end(), False
        # 其 is a possessor (其產品…): the sentence-level rules read it within a sentence; a sentence that
        # opens with it needs the antecedent from before, unless a product of its own follows in the clause
        # and is not the one named right after 其 (其JM7201高性能圖形處理器… still needs its owner)
        for match in ITS.finditer(self.norm):
            start = match.start()
            sentence = self._sentence_of(start)
            # 它 is a pronoun and may open any clause (與主流顯卡相比，它的…); 其 only a sentence
            opening = _clause_start(self.norm, start) if match.group() == "它" else (self.starts[sentence] if self.starts else 0)
            if not self._free(start, match.end()) or not self.starts or \
                    not CLAUSE_LEAD.match(self.norm[opening:start]):
                continue
            clause_end = CLAUSE_BREAK.search(self.norm, match.end())
            stop = clause_end.start() if clause_end else len(self.norm)
            products = [m for m in self.mentions if start < m.start < stop and _is(m, PRODUCT_CLASSES)]
            if not products or match.group() == "它" or OWN_PRODUCT_LEAD.match(self.norm, match.end(), products[0].start):
                yield start, match.end(), True

    def _stand_in(self, antecedent: Mention, start: int, end: int, source: str) -> Mention:
        self._taken[start:end] = b"\x01" * (end - start)
        return replace(antecedent, start=start, end=end, source=source,
                       confidence=round(antecedent.confidence * 0.9, 3))


def with_context(norm: str, sentences: list[Sentence], mentions: list[Mention]) -> list[Mention]:
    """``mentions`` plus a stand-in mention for every anaphor that has an antecedent, sorted by position."""
    extra = ContextResolver(norm, sentences, mentions).anaphors()
    return sorted(mentions + extra, key=lambda m: (m.start, m.end)) if extra else mentions
