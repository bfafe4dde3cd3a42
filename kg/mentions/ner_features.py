"""Context features of the NER model (feature set "v2"), set on each character token before `tok2vec`.

The model reads one token per character. Three things a character's own form cannot say are written
onto its token by the `kg_features` pipeline component (and by kg/training/train.py on training docs), so the
hash embeddings see them:

* ``LEMMA`` = the character's place in its **jieba word** (B/I/E or S for a one-character word), the
  word's length (1-5+) and its dictionary frequency bucket (``n`` = not in jieba's dictionary, i.e. a
  new word the HMM put together: often a name). jieba segments the Simplified view (``char_norm``), so
  both scripts get the same words. jieba ships its dictionary; nothing is downloaded.
* ``MORPH`` = ``Q`` inside a quotation (「」『』“”《》"…"), ``H`` the kind of the next **head word**
  within 10 characters of the same clause (芯片/晶片/GPU/加速卡 → chip, 架構 → arch, 系列 → series,
  科技/股份/半導體 → company, 市場/領域 → market, 法案/計劃 → policy, 大學/研究院 → institute, …) and ``T``
  the kind of the last **trigger** within 8 characters before it in the clause (推出/發布 → launch,
  收購/入股 → buy, 採用/基於/搭載 → use).
* ``SHAPE`` (a lexeme attribute, see ``char_class``) = hanzi / Latin upper / Latin lower / digit / the
  punctuation character itself, so Latin+digit codes (MTT S4000, MXN100, C500) have a shape of their own.
"""
from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

from kg.normalize import char_norm

VERSION = "v2"
COMPONENT = "kg_features"

_OPEN = {"「": "」", "『": "』", "“": "”", "《": "》", "‘": "’", "〈": "〉", "【": "】"}
_CLAUSE_END = re.compile(r"[，,。！？!?；;：:、\n（）()\s]")

#: head words (Simplified, lower case) -> kind; looked up longest first
HEADS = {
    "chip": ("芯片", "晶片", "gpu", "gpgpu", "npu", "dpu", "cpu", "加速卡", "显卡", "处理器", "板卡", "算力卡", "训练卡", "推理卡", "智算卡", "计算卡", "soc"),
    "arch": ("架构",),
    "series": ("系列",),
    "company": ("科技", "股份", "半导体", "微电子", "集成电路", "集团", "公司", "有限", "电子", "智能", "信息", "技术有限", "智芯"),
    "market": ("市场", "领域", "行业", "场景", "产业"),
    "policy": ("法案", "计划", "规划", "政策", "条例", "办法", "禁令", "管制", "清单", "战略"),
    "inst": ("大学", "研究院", "研究所", "实验室", "学院", "科学院"),
    "exch": ("交易所", "科创板", "创业板"),
    "fund": ("基金", "资本", "创投"),
    "system": ("服务器", "超算", "一体机", "集群", "超节点", "工作站", "超级计算机"),
    "soft": ("平台", "框架", "操作系统", "软件", "生态", "编译器", "工具链", "sdk"),
}
TRIGGERS = {
    "launch": ("推出", "发布", "亮相", "量产", "研发", "开发", "打造", "展示", "上市", "问世", "流片"),
    "buy": ("收购", "并购", "入股", "投资", "领投", "控股"),
    "use": ("采用", "基于", "搭载", "使用", "支持", "适配", "兼容", "对标", "代工"),
}
_HEAD_LIST = sorted(((w, k) for k, ws in HEADS.items() for w in ws), key=lambda x: -len(x[0]))
_TRIG_LIST = sorted(((w, k) for k, ws in TRIGGERS.items() for w in ws), key=lambda x: -len(x[0]))
_HEAD_KIND = {w: k for w, k in reversed(_HEAD_LIST)}
_TRIG_KIND = {w: k for w, k in reversed(_TRIG_LIST)}
_HEAD_RE = re.compile("(?=(" + "|".join(re.escape(w) for w, _ in _HEAD_LIST) + "))")
_TRIG_RE = re.compile("(?=(" + "|".join(re.escape(w) for w, _ in _TRIG_LIST) + "))")


@lru_cache(maxsize=1)
def jieba_tokenizer():
    """jieba's shipped dictionary as one initialised tokenizer, shared by the NER features and kg candidates."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def jieba_words(text: str) -> Iterator[str]:
    """The words of ``jieba_tokenizer().cut(text, HMM=True)``, each run of Han letters, Latin letters and
    digits segmented once per process. jieba cuts such runs independently of each other (its own loop,
    repeated here), and the same runs come back: the chunks the model reads, then the lines around its
    spans in the junk filter, and boilerplate repeated across pages. Segmenting was about half the time
    of the NER model."""
    import jieba

    han, skip = jieba.re_han_default, jieba.re_skip_default
    for block in han.split(text):
        if not block:
            continue
        if han.match(block):
            yield from _block_words(block)
        else:
            for piece in skip.split(block):
                if skip.match(piece):
                    yield piece
                else:
                    yield from piece


@lru_cache(maxsize=1 << 16)
def _block_words(block: str) -> tuple[str, ...]:
    return tuple(jieba_tokenizer().cut(block, HMM=True))


def char_class(ch: str) -> str:
    """SHAPE of a character token (feature set v2)."""
    if not ch:
        return ""
    c = unicodedata.normalize("NFKC", ch)[:1] or ch
    if "\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf":
        return "H"
    if c.isdigit():
        return "d"
    if c.isalpha():
        return "X" if c.isupper() else "x"
    if c.isspace():
        return "_"
    return c


def word_positions(norm: str) -> list[str]:
    """Per character of ``norm`` (the Simplified lower-case view): jieba position + length + frequency."""
    tk = jieba_tokenizer()
    out = [""] * len(norm)
    pos = 0
    for word in jieba_words(norm):
        n = len(word)
        if not n:
            continue
        freq = tk.FREQ.get(word, 0)
        fb = "n" if not freq else str(min(6, int(math.log10(freq))))
        if word.isspace():
            fb = "s"
        lb = str(min(n, 5))
        if n == 1:
            out[pos] = f"S{lb}{fb}"
        else:
            out[pos] = f"B{lb}{fb}"
            for k in range(pos + 1, pos + n - 1):
                out[k] = f"I{lb}{fb}"
            out[pos + n - 1] = f"E{lb}{fb}"
        pos += n
    return out


def context_cues(norm: str) -> list[str]:
    """Per character: quotation state, the next head word's kind, the last trigger's kind (see module doc)."""
    n = len(norm)
    quote = [False] * n
    stack: list[str] = []
    ascii_open = False
    for i, ch in enumerate(norm):
        if ch in _OPEN:
            stack.append(_OPEN[ch])
            continue
        if stack and ch == stack[-1]:
            stack.pop()
            continue
        if ch == '"':
            ascii_open = not ascii_open
            continue
        if ch == "\n":
            stack.clear()
            ascii_open = False
        quote[i] = bool(stack) or ascii_open
    # head words: kind at each start; triggers: kind at each end (overlapping matches, longest first)
    head_at = {m.start(): _HEAD_KIND[m.group(1)] for m in _HEAD_RE.finditer(norm)}
    trig_end: dict[int, str] = {}
    for m in _TRIG_RE.finditer(norm):
        trig_end.setdefault(m.start() + len(m.group(1)), _TRIG_KIND[m.group(1)])
    nxt = ["-"] * n
    upcoming, dist = "-", 99
    for i in range(n - 1, -1, -1):
        if _CLAUSE_END.match(norm[i]):
            upcoming, dist = "-", 99
        if i in head_at:
            upcoming, dist = head_at[i], 0
        nxt[i] = upcoming if dist <= 10 else "-"
        dist += 1
    prev = ["-"] * n
    last, dist = "-", 99
    for i in range(n):
        if i in trig_end:
            last, dist = trig_end[i], 0
        if _CLAUSE_END.match(norm[i]):
            last, dist = "-", 99
        prev[i] = last if dist <= 8 else "-"
        dist += 1
    return [f"H={h}|Q={'i' if q else 'o'}|T={t}" for h, q, t in zip(nxt, quote, prev)]


def set_features(doc) -> None:
    """Write LEMMA (jieba word position) and MORPH (context cues) onto every token of ``doc``."""
    if not len(doc):
        return
    text = doc.text
    norm = "".join(char_norm(ch) if len(char_norm(ch)) == 1 else ch for ch in text)
    words = word_positions(norm)
    cues = context_cues(norm)
    for token in doc:
        i = token.idx
        token.lemma_ = words[i] or "O"
        token.set_morph(cues[i])


def install_norms(nlp, features: str = "v1") -> None:
    """Make NORM the Simplified lower-case form of each character, so both scripts share features; with
    feature set v2 also SHAPE the character class of :func:`char_class`. Used by training and loading."""
    from spacy.attrs import NORM, SHAPE

    nlp.vocab.lex_attr_getters[NORM] = char_norm
    if features == "v2":
        nlp.vocab.lex_attr_getters[SHAPE] = char_class
    for lex in nlp.vocab:
        lex.norm_ = char_norm(lex.orth_)
        if features == "v2":
            lex.shape_ = char_class(lex.orth_)


def _register() -> None:
    from spacy.language import Language

    if COMPONENT in Language.factories or Language.has_factory(COMPONENT):
        return

    @Language.component(COMPONENT)
    def kg_features(doc):
        set_features(doc)
        return doc


_register()
