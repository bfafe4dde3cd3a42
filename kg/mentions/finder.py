"""Rule-based mention finding: the lexicon (Aho-Corasick over the normalised view) plus patterns for
what has a shape (process nodes, product codes right after a company name).

Works on an article's cleaned text and its same-length normalised view; offsets are into both."""
from __future__ import annotations

import re
from dataclasses import dataclass

import ahocorasick

from kg.mentions.lexicon import Lexicon, LexiconEntry
from kg.model import Mention
from kg.normalize import Normalizer

# Nouns that, right after an ambiguous name, say which class is meant (normalised, Simplified).
_CLASS_CUES = (
    ("Chip", re.compile(r"^(?:系列)?(?:芯片|晶片|处理器|gpu|cpu|dcu|npu|加速卡|显卡|ai芯片)")),
    ("SoftwarePlatform", re.compile(r"^(?:操作系统|os\b|系统软件|软件|平台|(?:等)?\s*(?:国产|开源)?\s*(?:大模型|大语言模型|模型))")),
    ("System", re.compile(r"^(?:台式机|服务器|一体机|超级计算机|超算)")),
)
_NODE = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d)?)\s*(?:(?:至|到|-|~|—)\s*(\d{1,3})\s*)?(?:纳米|奈米|nm(?![a-z])|nanometer)")
# a foundry's named process (台積電N6工藝, 中芯國際「N+3」工藝): the name only before a process noun
_NAMED_NODE = re.compile(r"(?<![a-z0-9\-+])(n\+\d|n\d{1,2}[pea]?)(?![a-z0-9+])(?=\s*[」”』\"]?\s*(?:工艺|制程|节点|process|$))")
_PRODUCT_CODE = re.compile(r"[a-z]{1,5}[ \-]?[a-z]?\d{2,5}[a-z0-9]{0,3}(?:[ \-][a-z]\d{0,2}(?![a-z0-9]))?(?:系列)?")
_NOT_PRODUCT_CODE = re.compile(r"^(?:fp|int|bf|tf|gddr|ddr|lpddr|hbm|pcie|usb|wifi|5g|4g|iso|gb|tb|mb|nm|no|top)\d")
_ADJACENT = re.compile(r"^[\s的之「」“”]{0,2}$")
# Head nouns that say what a name is: 四代GPU架構「蘇堤」「春曉」 / 「華山」芯片 / BR166芯片 / TrueGPU架構.
_HEAD_CLASS = (
    ("Architecture", r"架构|指令集"),
    ("Chip", r"芯片|晶片|处理器|gpu|cpu|dpu|npu|soc|加速卡|显卡|计算卡|训练卡|推理卡"),
    ("SoftwarePlatform", r"软件栈|软件平台|操作系统|编程平台|开发平台|框架|工具链"),
    ("System", r"服务器|超节点|集群|一体机|超级计算机|工作站"),
)
_QUOTED = r"[“「『\"]([^”」』\"，。；、\s]{1,12})[”」』\"]"
_HEAD_OF = {head: cls for cls, heads in _HEAD_CLASS for head in heads.split("|")}
_HEAD = re.compile("|".join(sorted(_HEAD_OF, key=len, reverse=True)))
_QUOTED_AFTER_HEAD = re.compile(rf"\s*(?:为|是|名为|命名为|代号)?\s*((?:{_QUOTED}\s*(?:、|和|与|及)?\s*)+)")
# the patterns below are read on a short window that ends right before a head noun
_QUOTED_BEFORE_HEAD = re.compile(rf"{_QUOTED}\s*(?:系列|全功能|通用|图形|ai|智能)?\s*$")
_CODE_BEFORE_HEAD = re.compile(r"(?<![a-z0-9])([a-z][a-z0-9]{0,9}(?:[ \-][a-z0-9]{1,6})?)\s*$")
# 億鑄一號芯片 / 芯片億鑄一號 / 圖形處理器GenBu02: a serial name (two characters + N號) or a product code next to
# a kind of product
_SERIAL_NAME = r"((?!第)[\u4e00-\u9fff]{2}(?:[一二三四五六七八九十]|\d{1,2})号)"
_SERIAL_BEFORE_HEAD = re.compile(_SERIAL_NAME + r"\s*(?:系列)?\s*$")
_NAME_AFTER_HEAD = re.compile(r"\s*[「“『]?\s*(?:" + _SERIAL_NAME + r"|(?<![a-z0-9])([a-z]{1,5}[ \-]?[a-z]?\d{2,5}[a-z0-9]{0,3})(?![a-z0-9]))")
# 華山、廬山、長江三款芯片 / 蘇堤、春曉、曲院、平湖四代架構: a list of short names counted by a head noun
_NAME_OR_CODE = r"(?:[\u4e00-\u9fff]{2,4}|[a-z][a-z0-9\-]{1,10})"
_COUNTED_LIST = re.compile(rf"({_NAME_OR_CODE}(?:\s*[、和及与]\s*{_NAME_OR_CODE})+)\s*(?:等)?\s*(?:[两二三四五六七八九十\d]+)\s*"
                           r"(?:款|代|颗|种|个)\s*(?:全新|新|gpu|ai|图形)?\s*$")
_NAMES_OF_CODES = ("Architecture", "Chip")   # classes whose names may be bare codes or counted lists
_GENERIC_NOUN = re.compile(r"(?:器|卡|片|品|台|构|统|组|块|案|列|机|端|型|业|司|商)$")
_COUNTED_ITEM = re.compile(r"[\u4e00-\u9fff]{2,4}|[a-z][a-z0-9\-]{1,10}")
_NOT_A_NAME = re.compile(r"^(?:ai|gpu|cpu|npu|dpu|soc|gpgpu|asic|fpga|arm|x86|risc|ip|it|pc|ddr|hbm|新|全新|自研|国产|该|此|这|首款|新一代|下一代)$"
                         # 「降級版」芯片 / 「特供版」: an edition word in quotes is no name
                         r"|^[\u4e00-\u9fff]{1,4}版$")
_MAX_NODE_NM = 250
_PRODUCT_CLASSES = {"Chip", "Architecture", "SoftwarePlatform", "System", "Product", "Technology"}
_OWNER_CLASSES = {"Company", "ResearchInstitution", "GovernmentAgency"}


def node_key(nm: float) -> str:
    """Entity key of a process node: node-7nm, node-3.5nm."""
    return f"node-{format_number(nm)}nm"


def format_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


@dataclass(frozen=True)
class _Alias:
    length: int
    entries: tuple[int, ...]      # indices into the lexicon's entries, file order


class MentionFinder:
    """Built once per pipeline from a lexicon; ``find`` is called per article."""

    def __init__(self, lexicon: Lexicon, normalizer: Normalizer):
        self.lexicon = lexicon
        self.normalizer = normalizer
        variants = {form: self._variants(form) for e in lexicon.entries for form in e.surface_forms}
        self._automaton = self._build(lexicon, variants)
        self._forms = {e.id: set().union(*(variants[f] for f in e.surface_forms)) for e in lexicon.entries}

    def _build(self, lexicon: Lexicon, variants: dict[str, set[str]]) -> ahocorasick.Automaton:
        table: dict[str, list[int]] = {}
        for index, entry in enumerate(lexicon.entries):
            for form in entry.surface_forms:
                for variant in variants[form]:
                    bucket = table.setdefault(variant, [])
                    if index not in bucket:
                        bucket.append(index)
        automaton = ahocorasick.Automaton()
        for alias, entries in table.items():
            automaton.add_word(alias, _Alias(len(alias), tuple(entries)))
        automaton.make_automaton()
        return automaton

    def _variants(self, form: str) -> set[str]:
        base = self.normalizer.normalize(form.strip().strip("「」『』“”\"'"))
        variants = {base}
        if re.search(r"[a-z0-9][ \-][a-z0-9]", base):  # MLU370-X8 ~ MLU370 X8 ~ MLU370X8
            variants |= {base.replace("-", " "), base.replace(" ", "-"), re.sub(r"[ \-]", "", base)}
        if re.search(r"[\u4e00-\u9fff][a-z0-9]|[a-z0-9][\u4e00-\u9fff]", base):
            # 昇騰910C ~ 昇騰 910C, AI訓推 ~ AI 訓推: web text often puts a space between script runs
            variants.add(re.sub(r"(?<=[\u4e00-\u9fff])(?=[a-z0-9])|(?<=[a-z0-9])(?=[\u4e00-\u9fff])", " ", base))
        return {v for v in variants if len(v) >= 2 or (len(v) == 1 and not v.isascii())} - {""}

    def find(self, text: str, norm: str) -> list[Mention]:
        """All mentions of ``text`` (cleaned article text) given its normalised view ``norm``."""
        found = self._split_owner_prefix(self._lexicon_matches(text, norm), text, norm)
        taken = _Occupied(len(norm), found)
        found += self._process_nodes(text, norm, taken)
        found += self._product_codes(text, norm, found, taken)
        found += self._headed_names(text, norm, taken)
        return sorted(found, key=lambda m: (m.start, m.end))

    # -- lexicon ------------------------------------------------------------------------------------
    def _lexicon_matches(self, text: str, norm: str) -> list[Mention]:
        candidates = []
        for end_index, alias in self._automaton.iter(norm):
            end = end_index + 1
            start = end - alias.length
            if _ascii_boundary_ok(norm, start, end):
                candidates.append((start, end, alias))
        chosen: list[Mention] = []
        taken = bytearray(len(norm) + 1)
        for start, end, alias in sorted(candidates, key=lambda c: (-(c[1] - c[0]), c[0])):
            if any(taken[start:end]):
                continue
            taken[start:end] = b"\x01" * (end - start)
            entry = self._pick(alias.entries, norm, end)
            chosen.append(Mention(start, end, text[start:end], entry.cls, entry.id, "lexicon", 1.0))
        return chosen

    def _split_owner_prefix(self, mentions: list[Mention], text: str, norm: str) -> list[Mention]:
        """英偉達H100 listed whole as a product alias still names two things: the maker and the product."""
        out = []
        for m in mentions:
            owner = self._owner_prefix(m, norm) if m.cls in _PRODUCT_CLASSES else None
            if owner is None:
                out.append(m)
                continue
            cut = m.start + owner[0]
            rest = cut + (len(norm[cut:m.end]) - len(norm[cut:m.end].lstrip(" 的")))
            if norm[rest:m.end] not in self._forms.get(m.key, ()):   # 長城信創台式機 is one name
                out.append(m)
                continue
            out.append(Mention(m.start, cut, text[m.start:cut], owner[1].cls, owner[1].id, "lexicon", 1.0))
            out.append(Mention(rest, m.end, text[rest:m.end], m.cls, m.key, m.source, m.confidence))
        return out

    def _owner_prefix(self, m: Mention, norm: str) -> tuple[int, LexiconEntry] | None:
        span = norm[m.start:m.end]
        best = None
        for end_index, alias in self._automaton.iter(span):
            length = end_index + 1
            if length == alias.length and length < len(span) and _ascii_boundary_ok(span, 0, length):
                for i in alias.entries:
                    entry = self.lexicon.entries[i]
                    if entry.cls in _OWNER_CLASSES and (best is None or length > best[0]):
                        best = (length, entry)
        return best

    def _pick(self, indices: tuple[int, ...], norm: str, end: int) -> LexiconEntry:
        entries = [self.lexicon.entries[i] for i in indices]
        if len(entries) == 1:
            return entries[0]
        after = norm[end:end + 8].lstrip(" 」”")
        for cls, cue in _CLASS_CUES:
            for entry in entries:
                if entry.cls == cls and cue.match(after):
                    return entry
        return entries[0]

    # -- patterns -------------------------------------------------------------------------------------
    def _process_nodes(self, text: str, norm: str, taken: "_Occupied") -> list[Mention]:
        out = []
        for match in _NAMED_NODE.finditer(norm):
            if taken.overlaps(match.start(), match.end()):
                continue
            name = match.group(1)
            digits = re.fullmatch(r"n(\d{1,2})[pea]?", name)   # TSMC's Nx is an x-nanometre-class node
            out.append(Mention(match.start(), match.end(), text[match.start():match.end()], "ProcessNode",
                               "node-" + name.replace("+", "plus"), "pattern:process-name", 1.0,
                               float(digits.group(1)) if digits else None))
        for match in _NODE.finditer(norm):
            if taken.overlaps(match.start(), match.end()):
                continue
            values = [match.group(1)] + ([match.group(2)] if match.group(2) else [])
            for i, raw in enumerate(values):
                nm = float(raw)
                if not 0 < nm <= _MAX_NODE_NM:
                    continue
                # "7至12纳米": the first number's span is its digits only, the last one carries the unit
                start, end = (match.start(1), match.end(1)) if (i == 0 and len(values) == 2) else \
                             (match.start(i + 1), match.end())
                out.append(Mention(start, end, text[start:end], "ProcessNode", node_key(nm),
                                   "pattern:process-node", 1.0, nm))
        return out

    def _product_codes(self, text: str, norm: str, found: list[Mention], taken: "_Occupied") -> list[Mention]:
        """A code-shaped token right after a company name (英偉達H200, 天數智芯 BI-V150) is a product."""
        out = []
        for company in [m for m in found if m.cls == "Company"]:
            gap = re.match(r"[\s的之「」]{0,2}", norm[company.end:company.end + 2])
            start = company.end + (gap.end() if gap else 0)
            match = _PRODUCT_CODE.match(norm, start)
            if not match or _NOT_PRODUCT_CODE.match(match.group()):
                continue
            end = match.end()
            if not _ascii_boundary_ok(norm, start, end) or taken.overlaps(start, end):
                continue
            out.append(Mention(start, end, text[start:end], "Chip", None, "pattern:product-code", 0.6))
            taken.take(start, end)
        return out


    def _headed_names(self, text: str, norm: str, taken: "_Occupied") -> list[Mention]:
        """Names the lexicon lacks, typed by the head noun next to them: quoted names after or before a
        head (架構「蘇堤」「春曉」, 「華山」芯片), Latin codes before one (BR166芯片, TrueGPU架構) and lists
        counted by one (華山、廬山、長江三款芯片). Each head noun is found once; the rest is read near it."""
        spans: list[tuple[int, int, str]] = []
        for head in _HEAD.finditer(norm):
            cls, at = _HEAD_OF[head.group()], head.start()
            after = _QUOTED_AFTER_HEAD.match(norm, head.end())
            if after is not None:
                for name in re.finditer(_QUOTED, norm[after.start(1):after.end(1)]):
                    spans.append((after.start(1) + name.start(1), after.start(1) + name.end(1), cls))
            if cls in _NAMES_OF_CODES:
                named = _NAME_AFTER_HEAD.match(norm, head.end())
                if named is not None:
                    group = 1 if named.group(1) else 2
                    spans.append((named.start(group), named.end(group), cls))
            window = max(0, at - 24)
            for pattern in (_QUOTED_BEFORE_HEAD, _CODE_BEFORE_HEAD, _SERIAL_BEFORE_HEAD) if cls in _NAMES_OF_CODES \
                    else (_QUOTED_BEFORE_HEAD,):
                before = pattern.search(norm, window, at)
                if before is not None:
                    spans.append((before.start(1), before.end(1), cls))
            counted = _COUNTED_LIST.search(norm, max(0, at - 60), at) if cls in _NAMES_OF_CODES else None
            if counted is not None:
                items = [m.span() for m in _COUNTED_ITEM.finditer(norm, counted.start(1), counted.end(1))]
                if any(_GENERIC_NOUN.search(norm[s:e]) for s, e in items):
                    continue   # 處理器、顯卡兩款芯片: kinds of product, not names
                # the regex cannot tell where the first name starts (推出蘇堤): as long as the others at most
                longest = max(e - s for s, e in items[1:])
                items[0] = (max(items[0][0], items[0][1] - longest), items[0][1])
                spans += [(s, e, cls) for s, e in items]
        out = []
        for start, end, cls in sorted(set(spans)):
            name = norm[start:end].strip()
            if _NOT_A_NAME.match(name) or _NOT_PRODUCT_CODE.match(name) or name.isdigit() \
                    or taken.overlaps(start, end) or not _ascii_boundary_ok(norm, start, end):
                continue
            out.append(Mention(start, end, text[start:end], cls, None, "pattern:headed-name", 0.7))
            taken.take(start, end)
        return out


class _Occupied:
    """Which characters already belong to a mention (constant-time overlap tests on long texts)."""

    def __init__(self, length: int, mentions: list[Mention]):
        self._mask = bytearray(length + 1)
        for m in mentions:
            self.take(m.start, m.end)

    def take(self, start: int, end: int) -> None:
        self._mask[start:end] = b"\x01" * (end - start)

    def overlaps(self, start: int, end: int) -> bool:
        return self._mask.find(1, start, end) >= 0


def _ascii_boundary_ok(text: str, start: int, end: int) -> bool:
    """A name must not run into ASCII letters or digits around it: A10 is not inside A100 or HA10, and
    昇腾910 is not 昇腾910C. A letter-then-digit junction is allowed (GlobalFoundries12納米)."""
    def is_ascii_alnum(ch: str) -> bool:
        return ch.isascii() and ch.isalnum()
    if start > 0:
        before, first = text[start - 1], text[start]
        if is_ascii_alnum(before) and is_ascii_alnum(first) and not (before.isalpha() and first.isdigit()):
            return False
    if end < len(text):
        last, after = text[end - 1], text[end]
        if is_ascii_alnum(last) and is_ascii_alnum(after) and not (last.isalpha() and after.isdigit()):
            return False
    return True
