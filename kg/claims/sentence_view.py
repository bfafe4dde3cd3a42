"""A sentence seen by the relation rules: its normalised text, clauses and typed mentions, with the
small structural helpers every rule needs (lists, subjects, topics, modality)."""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from kg.mentions.context import FIRM_DESCRIPTOR
from kg.claims.triggers import trigger
from kg.model import ANCESTORS, Mention, Sentence

CLAUSE_BREAK = re.compile(r"[，,；;：:！!？?]")
# text between two items of a list: optional parenthetical note, a separator, an optional descriptor
# (up to three short members the lexicon does not know may stand between two it knows: 騰訊、美圖、中金及X)
LIST_GAP = re.compile(r"^\s*[”」』\"]?\s*(?:[（(][^（）()，。]{0,24}[）)]|[^，。；、,;（）()]{0,16}?)\s*(?:[、/／]|和|及|与|以及|或|跟|、以及)\s*"
                      r"(?:[^，。；、,;（）()\s和及与或]{1,8}\s*、\s*){0,3}"
                      r"[^，。；、,;（）()]{0,12}$|^\s*[”」』\"]\s*[“「『\"]\s*$")
# the enumeration comma alone between two names (no 和/與, which may be a preposition: A與B合作)
ENUMERATION_COMMA = re.compile(r"\s*[”」』]?\s*、\s*[“「『]?\s*")
# after the last item of a clause that only lists (A系列，B系列，)
BARE_ITEM_TAIL = re.compile(r"\s*(?:系列)?\s*[，,]?\s*")
# what may stand between a list member and a name inside its descriptor: no separator, no clause break
DESCRIPTOR_GAP = re.compile(r"^[^，。；、,;（）()和及与或]{0,8}$")
ADJACENT = re.compile(r"^\s*(?:[的之「」“”『』]\s*){0,3}$")
# words that turn an assertion into a plan, wish, rumour or denial
MODALITY = re.compile(trigger("modality"))
PREPOSITION_BEFORE = re.compile(f"(?:{trigger('preposition')})\\s*$")
OBJECT_VERB = re.compile(trigger("governing_verb"))
LIST_SEPARATOR = re.compile(r"^\s*(?:[、/／]|和|及|与)\s*$")
# a verb whose object the next name is, so that name is not the clause's subject
OBJECT_RIGHT_BEFORE = re.compile(f"(?:{trigger('object_verb')})(?:了)?\\s*$")
# between an owner and the thing it owns: 艾司摩爾（ASML）的 / 砺算科技自研的
OWNER_GAP = re.compile(r"^\s*(?:[（(][^（）()，。]{1,16}[）)])?\s*(?:(?:自研|自主研发|研发|设计|推出|打造)?\s*的)?\s*$")
ANAPHOR = re.compile(r"\s*(?:该|此|这|这一|该款|此款|这款)\s*(?:产品|芯片|款芯片|处理器|加速卡|显卡|gpu|平台|系统|架构|系列)")
ITS_GENERIC = re.compile(r"\s*(?:而|并|且|同时)?\s*其\s*(?:主要|核心|全系|系列)?\s*(?:产品|芯片|晶片|解决方案|方案|业务)(?:线|矩阵|组合)?\s*(?:已|已经|均|都|还|也)?\s*(?:被)?\s*(?:广泛)?\s*(?:应用|用于|覆盖|服务|面向|部署|落地)")
# 寒武紀的核心產品「思元」: the owner's product is what the phrase is about
POSSESSED_PRODUCT_GAP = re.compile(r"^\s*的\s*(?:核心|主要|主力|旗舰|首款|新一代|最新|新款|最新一代)?\s*"
                                   r"(?:产品|芯片|晶片|处理器|加速卡|显卡|gpu|ai芯片)\s*[「“『\"]?\s*$")
# 華為海思設計的麒麟9000S / 輝達最新推出的Blackwell… / Mate 60 Pro所使用的新型麒麟9000S: a relative clause
# of the name before it that the product after it heads
MADE_BY_GAP = re.compile(r"^\s*(?:所)?\s*(?:最新|自主|自行|此前|新|近日|今年)?\s*(?:设计|研发|推出|打造|开发|发布|研制|量产|"
                         r"使用|采用|搭载|配备|内置)\s*的\s*(?:新型|新款|最新|自研|新一代)?\s*[「“『\"]?\s*$")
# Blackwell架構晶片B200: the architecture qualifies the kind noun the product is one of
QUALIFIED_GAP = re.compile(r"^[^，。；、,;（）()]{0,8}$")
PRODUCT_CLASSES = ("Product",)
ATTRIBUTE_AFTER = re.compile(r"\s*(?:的)?\s*(?:浮点)?\s*(?:算力|性能|带宽|功耗|显存|能效|精度|规格|频率|主频|运算)")
# classes that can be a clause's own subject outside a rule's domain (a technology before a verb-like noun
# qualifies it instead: 板載HBM帶寬); between that subject and its verb, adverbs only
OWN_SUBJECT_CLASSES = ("Market", "Place")
OWN_SUBJECT_GAP = re.compile(r"\s*(?:的\s*[\u4e00-\u9fff]{1,8}?)?\s*(?:均|都|也|已|已经|还|普遍|大多|多|皆|亦|正|正在|纷纷|全部|全都|基本|大都|\s)*")
ORG_CLASSES = ("Organization",)
FIRM_LEAD = re.compile(r"\s*(?:" + FIRM_DESCRIPTOR + r")\s*")
ARCHITECTURE_CLASSES = ("Architecture",)
ARCH_QUALIFIES = re.compile(r"\s*(?:架构|指令集)?\s*(?:的)?\s*(?:通用|开源|原生|高性能|国产)?\s*"
                            r"(?:cpu|gpu|芯片|晶片|处理器|服务器|产品|soc|内核|工具|软件|操作系统)")
SHARED = re.compile(r"\s*[」”』]?\s*(?:[（(][^（）()]{0,20}[）)])?\s*(?:等)?\s*(?:特供|高端|先进|国产|进口|主流|ai)?\s*(?:系列)?\s*"
                    r"(?:芯片|晶片|处理器|行动处理器|移动处理器|加速卡|显卡)?"
                    r"\s*[，,]?\s*(?:近期|近日|日前|此前|已)?\s*(?:均|都|皆|也都|同样|全部|全都|先后|相继|陆续)")
# between two items of a list whose predicate is shared: 麒麟9030」行動處理器，以及用於AI運算的最新「昇騰
SHARED_LIST_GAP = re.compile(r"^[^。；;，,]{0,16}?[，,]?\s*(?:以及|及|和|与|、|还有)[^。；;，,]{0,16}$")
COUNT_BEFORE = re.compile(r"\s*(?:\d+|[两二三四五六七八九十百千万几数多]+)\s*(?:张|颗|块|片|个|台|套|款|枚|种)\s*$")
ACCORDING_TO = re.compile(r"\s*(?:根据|据(?!了解|悉|介绍|称|报道)|按照|依据)")
TOPIC_LEAD = re.compile(r"^\s*(?:如|例如|比如|其中|而|但|同时|此外|另外|另一方面|其次|首先|再次|目前|当前|近年|今年|去年|据了解|据悉|据介绍)?\s*")


@dataclass(frozen=True)
class Item:
    """A mention in sentence coordinates."""

    mention: Mention
    start: int
    end: int
    index: int

    @property
    def cls(self) -> str:
        return self.mention.cls

    def is_a(self, classes: tuple[str, ...]) -> bool:
        return not ANCESTORS.get(self.mention.cls, frozenset((self.mention.cls,))).isdisjoint(classes)


BOOK_TITLE = re.compile(r"《[^《》]{1,60}》")


def _outside_titles(norm: str, base: int, mentions: list[Mention]) -> list[Mention]:
    """The mentions, without those inside a 《…》 title they do not fill: 《科創板日報》 is a newspaper, and the
    科創板 in it neither says nor undergoes anything (《出口管理條例》 itself stays)."""
    titles = [(m.start(), m.end()) for m in BOOK_TITLE.finditer(norm)]
    if not titles:
        return mentions
    def inside(m: Mention) -> bool:
        start, end = m.start - base, m.end - base
        return any(s <= start and end <= e and not (start <= s + 1 and end >= e - 1) for s, e in titles)
    return [m for m in mentions if not inside(m)]


class SentenceView:
    def __init__(self, sentence: Sentence, norm: str, mentions: list[Mention]):
        self.sentence = sentence
        self.norm = norm                       # normalised sentence text, same length as sentence.text
        base = sentence.start
        mentions = _outside_titles(norm, base, mentions)
        self.items = [Item(m, m.start - base, m.end - base, i) for i, m in enumerate(mentions)]
        self.clause_starts = [0] + [m.end() for m in CLAUSE_BREAK.finditer(norm)]
        self._clause_of_item = [self.clause_of(it.start) for it in self.items]

    # -- positions ------------------------------------------------------------------------------------
    def clause_of(self, pos: int) -> int:
        return bisect.bisect_right(self.clause_starts, pos) - 1

    def clause_span(self, clause: int) -> tuple[int, int]:
        start = self.clause_starts[clause]
        end = self.clause_starts[clause + 1] - 1 if clause + 1 < len(self.clause_starts) else len(self.norm)
        return start, end

    def gap(self, a: Item, b: Item) -> str:
        return self.norm[a.end:b.start]

    def items_in(self, start: int, end: int, classes: tuple[str, ...] | None = None) -> list[Item]:
        return [it for it in self.items if it.start >= start and it.end <= end and
                (classes is None or it.is_a(classes))]

    # -- lists ----------------------------------------------------------------------------------------
    def list_from(self, first: Item, classes: tuple[str, ...]) -> list[Item]:
        """``first`` and the items coordinated after it (3dfx、遊戲物理技術開發商AGEIA等企業): names of other
        classes inside a descriptor (遊戲) are part of the descriptor, not the end of the list."""
        out = [first]
        for nxt in self.items[first.index + 1:]:
            gap = self.norm[out[-1].end:nxt.start]
            if not LIST_GAP.match(gap):
                # 曦雲C系列訓推一體GPU、曦思系列…: a name of another class inside a member's descriptor
                if not nxt.is_a(classes) and DESCRIPTOR_GAP.match(gap):
                    continue
                break
            if nxt.is_a(classes):
                out.append(nxt)
        return out

    def list_ending_at(self, last: Item, classes: tuple[str, ...]) -> list[Item]:
        """``last`` and the items coordinated before it (摩爾線程、沐曦股份相繼登陸)."""
        out = [last]
        for prev in reversed(self.items[:last.index]):
            if not prev.is_a(classes) or not re.match(r"^\s*(?:[、/／]|和|及|与|以及)\s*$", self.gap(prev, out[0])):
                break
            out.insert(0, prev)
        return out

    def listed_before(self, clause: int, classes: tuple[str, ...], skip: int = 0) -> list[Item]:
        """The items a run of clauses right before ``clause`` lists, one per clause or coordinated, each
        clause ending in its item (…是A系列，B系列，): the first clause of the run may open with other text.
        Up to ``skip`` clauses without such an item may stand between the run and ``clause``."""
        listed: list[Item] = []
        for earlier in range(clause - 1, -1, -1):
            e_start, e_end = self.clause_span(earlier)
            inside = self.items_in(e_start, e_end)
            if not inside or not inside[-1].is_a(classes) or not BARE_ITEM_TAIL.fullmatch(self.norm[inside[-1].end:e_end]):
                if not listed and skip > 0 and not any(it.is_a(classes) for it in inside):
                    skip -= 1
                    continue
                break
            members = self.list_ending_at(inside[-1], classes)
            listed[:0] = members
            if self.norm[e_start:members[0].start].strip():
                break   # the clause that opens the run
        return listed

    def sharing(self, subject: Item, classes: tuple[str, ...]) -> list[Item]:
        """A subject and the items coordinated before it when an 均/都 says the predicate is shared
        (麒麟9030與昇騰均採用…) or only enumeration commas join them (海思、飛騰已獲得…), else the subject alone."""
        listed = self.list_from(self.list_ending_at(subject, classes)[0], classes)
        if subject in listed and listed[-1] is subject and len(listed) > 1 and all(
                ENUMERATION_COMMA.fullmatch(self.gap(a, b)) for a, b in zip(listed, listed[1:])):
            return listed   # 海思、飛騰已獲得…: names joined by 、 alone are one coordinated subject
        if subject not in listed or not SHARED.match(self.norm, listed[-1].end):
            return [subject]
        for prev in reversed([it for it in self.items[:listed[0].index] if it.is_a(classes)]):
            if not SHARED_LIST_GAP.match(self.norm[prev.end:listed[0].start]):
                break
            listed.insert(0, prev)
        return listed

    def first_after(self, pos: int, classes: tuple[str, ...], max_gap: int, gap_ok: re.Pattern | None = None,
                    same_clause: bool = True) -> Item | None:
        """The first item of ``classes`` starting within ``max_gap`` chars after ``pos``. With ``gap_ok``
        (a descriptor pattern, 高性能計算系統編譯器開發公司PGI) names of other classes may stand in the gap."""
        clause = self.clause_of(pos)
        for it in self.items:
            if it.start < pos:
                continue
            if same_clause and self._clause_of_item[it.index] != clause:
                return None
            between = self.norm[pos:it.start]
            if len(between) > max_gap or (gap_ok is not None and not gap_ok.match(between)):
                return None
            if it.is_a(classes):
                return it
            if gap_ok is None:
                return None   # another name stands in between
        return None

    def lists_after(self, trigger: "str | re.Pattern", classes: tuple[str, ...], max_gap: int):
        """Each match of ``trigger`` followed (within ``max_gap`` chars) by a list of ``classes``:
        yields (match, the listed items), e.g. 在MoE架構、混合精度訓練."""
        for match in re.finditer(trigger, self.norm):
            first = self.first_after(match.end(), classes, max_gap=max_gap)
            if first is not None:
                yield match, self.list_from(first, classes)

    def owner_start(self, it: Item) -> int:
        """Where the noun phrase of ``it`` starts when its owner stands in front of it (使用荷蘭艾司摩爾（ASML）的
        浸潤式微影設備, 採用了砺算科技自研的TrueGPU架構): the owner's start, else the item's own."""
        if it.index == 0:
            return it.start
        prev = self.items[it.index - 1]
        if prev.is_a(("Organization",)) and OWNER_GAP.match(self.gap(prev, it)):
            return self.owner_start(prev) if prev.index and self.items[prev.index - 1].is_a(("Place",)) else prev.start
        return it.start

    def preceded_by(self, classes: tuple[str, ...], verb: re.Pattern, window: int = 6):
        """Items of ``classes`` right after a trigger (``verb`` anchored with $ on the text before them, an
        owner in front of the item allowed): yields (item, where the trigger starts)."""
        for it in self.items:
            if not it.is_a(classes):
                continue
            head = self.owner_start(it)
            lead = self.norm[max(0, head - window):head]
            found = verb.search(lead)
            if found is not None:
                yield it, head - (len(lead) - found.start())

    # -- subjects ---------------------------------------------------------------------------------------
    def qualifies_head(self, it: Item) -> bool:
        """An architecture that only qualifies the noun after it (海光的x86架構CPU, RISC-V CPU與CUDA兼容,
        研發RISC-V通用工具軟件): the thing meant is the unnamed CPU or software, not the architecture."""
        return it.is_a(ARCHITECTURE_CLASSES) and bool(ARCH_QUALIFIES.match(self.norm, it.end))

    def subject_before(self, pos: int, domain: tuple[str, ...], carry: bool = True, loose: bool = False) -> Item | None:
        """The subject of a trigger at ``pos``: the last fitting item before it in its clause that is not
        governed by a preposition; else (``carry``) the topic of an earlier clause of the sentence;
        else (``loose``) the nearest earlier fitting item of the sentence."""
        clause = self.clause_of(pos)
        c_start, _ = self.clause_span(clause)
        for it in reversed(self.items):
            if it.end > pos or it.start < c_start:
                continue
            if self._governed(it, c_start) or self._bracketed(it, pos) or self._verb_object(it, c_start):
                continue
            if it.is_a(domain) and not self.qualifies_head(it):
                return it
        if not carry or self._own_subject(c_start, pos):
            return None
        possessor = self._its_generic(c_start, pos, domain)
        if possessor is not None:
            return possessor
        anaphor = self._anaphor(clause, pos, domain)
        if anaphor is not None:
            return anaphor
        for earlier in range(clause - 1, -1, -1):
            head = self.clause_subject(earlier, domain)
            if head is not None:
                return head
        if loose:
            for it in reversed(self.items):
                if it.end > c_start or not it.is_a(domain):
                    continue
                its_start = self.clause_span(self.clause_of(it.start))[0]
                # 由384張昇騰卡組成的…: a name governed by a preposition is no subject here either
                if not self._verb_object(it, its_start) and not self._governed(it, its_start):
                    return it
        return None

    def _own_subject(self, clause_start: int, pos: int) -> bool:
        """Does a name of another class stand right before ``pos`` as the clause's own subject (大陸的智算中心均
        採用液冷技術: the data centres use it, not the company of the clause before)?"""
        last = next((it for it in reversed(self.items) if it.end <= pos), None)
        return last is not None and last.start >= clause_start and last.is_a(OWN_SUBJECT_CLASSES) \
            and bool(OWN_SUBJECT_GAP.fullmatch(self.norm[last.end:pos])) \
            and not self._governed(last, clause_start) and not self._verb_object(last, clause_start)

    def _its_generic(self, clause_start: int, pos: int, domain: tuple[str, ...]) -> Item | None:
        """其產品廣泛應用於…: a clause about 'its products' in general is about the organisation that owns them."""
        if not ("Organization" in domain or "Company" in domain) or not ITS_GENERIC.match(self.norm, clause_start):
            return None
        owner = self.sentence_topic(clause_start)
        return owner if owner is not None and owner.is_a(("Organization",)) else None

    def _anaphor(self, clause: int, pos: int, domain: tuple[str, ...]) -> Item | None:
        """該產品採用7納米工藝: 'this product' (or a clause chain opened by it) is the last product named."""
        for c in range(clause, -1, -1):
            c_start, _ = self.clause_span(c)
            if ANAPHOR.match(self.norm, c_start):
                earlier = [it for it in self.items if it.end <= c_start and it.is_a(domain) and it.is_a(("Product",))]
                return earlier[-1] if earlier else None
            if c < clause and self.topic(c) is not None:
                return None   # an earlier clause names its own subject: no anaphora to follow
        return None

    def _verb_object(self, it: Item, clause_start: int) -> bool:
        """Is the item the object of a comparison or a transitive verb right before it (超過A800、接近H20,
        超過了英偉達A800: the maker in front belongs to the object)?"""
        head = it
        for prev in reversed(self.items[:it.index]):
            # the maker in front (英偉達A800) and earlier members of a list (對標A100/H100) share the verb
            if prev.start < clause_start or not (ADJACENT.match(self.gap(prev, head)) or LIST_SEPARATOR.match(self.gap(prev, head))):
                break
            head = prev
        lead = self.norm[max(clause_start, head.start - 4):head.start]
        return bool(OBJECT_RIGHT_BEFORE.search(lead))

    def _bracketed(self, it: Item, pos: int) -> bool:
        """Does the item sit in a bracket closed before ``pos`` (崑崙芯（百度子公司）推出…: not the subject)?"""
        between = self.norm[it.end:pos]
        close = max(between.rfind("）"), between.rfind(")"))
        if close < 0:
            return False
        before = self.norm[:it.start]
        return max(before.rfind("（"), before.rfind("(")) > max(before.rfind("）"), before.rfind(")"))

    def _governed(self, it: Item, clause_start: int) -> bool:
        """Is the item the object of a preposition (與X, 在X, 向X …) rather than a subject?"""
        chain_start = it
        for prev in reversed(self.items[:it.index]):
            if prev.start < clause_start or not ADJACENT.match(self.gap(prev, chain_start)):
                break
            chain_start = prev
        before = self.norm[clause_start:chain_start.start]
        # 由384張昇騰算力卡組成的…: a count between the preposition and the name
        before = COUNT_BEFORE.sub("", before[-14:])
        return bool(PREPOSITION_BEFORE.search(before[-4:]))

    def clause_subject(self, clause: int, domain: tuple[str, ...]) -> Item | None:
        """What an earlier clause is about, for a later clause that omits its subject: the clause's topic,
        else its first fitting item that no verb or preposition governs (其首款GPU產品MXN100採用…)."""
        head = self.topic(clause)
        # 中國第二大晶圓代工廠華虹集團已…: a place that opens the clause qualifies the name after it
        if head is not None and not (head.is_a(("Place",)) and not head.is_a(domain)):
            return head if head.is_a(domain) else None
        c_start, c_end = self.clause_span(clause)
        if ACCORDING_TO.match(self.norm, c_start):
            return None
        for it in self.items:
            if c_start <= it.start < c_end and it.is_a(domain):
                if self._governed(it, c_start) or OBJECT_VERB.search(self.norm[c_start:it.start]):
                    return None
                return it
        return None

    def topic(self, clause: int) -> Item | None:
        """Head of the noun phrase a clause opens with (中微電科技的「南風」系列 → 南風)."""
        c_start, c_end = self.clause_span(clause)
        lead = TOPIC_LEAD.match(self.norm, c_start)
        first_pos = lead.end() if lead else c_start
        chain: list[Item] = []
        if ACCORDING_TO.match(self.norm, c_start):   # 根據IDC預測: a source, not a topic
            return None
        for it in self.items:
            if it.start < c_start or it.start >= c_end:
                continue
            if not chain:
                prefix = self.norm[first_pos:it.start]
                if it.is_a(ORG_CLASSES) and FIRM_LEAD.fullmatch(prefix):
                    chain.append(it)   # 國產AI芯片廠商燧原科技: a kind of firm, then the firm
                    continue
                if not it.is_a(ORG_CLASSES) and self._in_firm_descriptor(it, first_pos, c_end):
                    continue           # the AI of 國產AI芯片廠商燧原科技
                if len(prefix) > 2 or OBJECT_VERB.match(prefix) or OBJECT_RIGHT_BEFORE.search(prefix) \
                        or PREPOSITION_BEFORE.search(prefix):
                    return None   # 對標Nvidia…, 推出X…: a clause opening with a verb has no topic of its own
                chain.append(it)
            elif ATTRIBUTE_AFTER.match(self.norm, it.end) and "的" in self.gap(chain[-1], it):
                break   # 壁仞BR100的FP32算力: the figure's qualifier is not what the clause is about
            elif ADJACENT.match(self.gap(chain[-1], it)) or (it.is_a(PRODUCT_CLASSES) and (
                    POSSESSED_PRODUCT_GAP.match(self.gap(chain[-1], it)) or MADE_BY_GAP.match(self.gap(chain[-1], it))
                    or (self.qualifies_head(chain[-1]) and QUALIFIED_GAP.match(self.gap(chain[-1], it))))):
                chain.append(it)
            else:
                break
        return chain[-1] if chain else None

    def _in_firm_descriptor(self, it: Item, start: int, end: int) -> bool:
        """Is ``it`` (a market word) inside the kind-of-firm descriptor before the firm's name after it?"""
        firm = next((o for o in self.items[it.index + 1:] if o.start < end and o.is_a(ORG_CLASSES)), None)
        return firm is not None and bool(FIRM_LEAD.fullmatch(self.norm[start:firm.start]))

    def nearest_topic(self, before: int) -> Item | None:
        """Topic of the nearest clause before ``before`` (or the one it is in) that has one: what 其 refers
        to in 中科曙光營收…，但在…保持領先——其硅立方液冷技術…"""
        for clause in range(self.clause_of(before), -1, -1):
            head = self.topic(clause)
            if head is not None and head.start < before:
                return head
        return None

    def sentence_topic(self, before: int) -> Item | None:
        """Topic of the first clause that has one, looking only before ``before``."""
        for clause in range(0, self.clause_of(before) + 1):
            head = self.topic(clause)
            if head is not None and head.start < before:
                return head
        return None

    # -- modality -----------------------------------------------------------------------------------------
    def modal_between(self, start: int, end: int) -> bool:
        """Plans, wishes, advice, denials and queues (擬收購, 建議華為與…, 排隊上市) are not facts: look from
        the start of the subject's clause to the trigger."""
        c_start, _ = self.clause_span(self.clause_of(start))
        return bool(MODALITY.search(self.norm[c_start:end]))
