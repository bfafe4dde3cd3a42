"""Length-preserving text normalisation for matching: full-width → ASCII, Traditional → Simplified
(OpenCC t2s), ASCII lower case. Offsets in the normalised text equal offsets in the input, so a match
found on the normalised view points straight back at the original characters (the evidence)."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

# Full-width ASCII (U+FF01..U+FF5E) → ASCII, ideographic space → space, upper → lower: all 1:1.
_WIDTH_AND_CASE = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_WIDTH_AND_CASE[0x3000] = 0x20
for _cp in range(ord("A"), ord("Z") + 1):
    _WIDTH_AND_CASE[_cp] = _cp + 32
for _cp in range(0xFF21, 0xFF3B):  # full-width A-Z → a-z
    _WIDTH_AND_CASE[_cp] = _cp - 0xFEE0 + 32
# Cantonese function words of Hong Kong text → their written-Chinese equivalents, so the rules written on
# 的/了/不/没/在 read them too (嘅 = 的, 咗 = 了, 唔 = 不, 冇 = 没, 喺 = 在, 佢 = 他); all 1:1 characters.
_CANTONESE = {"嘅": "的", "咗": "了", "唔": "不", "冇": "没", "喺": "在", "佢": "他"}
_WIDTH_AND_CASE.update({ord(k): ord(v) for k, v in _CANTONESE.items()})
_TABLE = str.maketrans(_WIDTH_AND_CASE)
# 呢 before a measure word is 'this' (呢款晶片 = 這款芯片); elsewhere it is a sentence particle and stays
_CANTONESE_THIS = re.compile(r"呢(?=[款个個部只隻种種粒啲间間家块塊])")


@lru_cache(maxsize=None)
def converter(config: str) -> opencc.OpenCC:
    """The OpenCC converter for ``config`` ("t2s", "s2t", "s2twp", ...), built once per process and shared:
    the one place the project builds one."""
    return opencc.OpenCC(config)


class Normalizer:
    """Shares the OpenCC converters; ``normalize`` keeps the length of its input."""

    def __init__(self) -> None:
        self._t2s = converter("t2s")
        self._s2t = converter("s2t")

    def normalize(self, text: str) -> str:
        folded = text.translate(_TABLE)
        if "呢" in folded:
            folded = _CANTONESE_THIS.sub("这", folded)
        simplified = self._t2s.convert(folded)
        if len(simplified) == len(folded):
            return simplified
        return "".join(self._char_t2s(ch) for ch in folded)  # rare: a phrase rule changed the length

    def _char_t2s(self, ch: str) -> str:
        out = self._t2s.convert(ch)
        return out if len(out) == 1 else ch

    def to_traditional(self, text: str) -> str:
        return self._s2t.convert(text)

    def to_simplified(self, text: str) -> str:
        return self._t2s.convert(text)

    def key(self, text: str) -> str:
        """Comparison key for names: NFKC, Simplified, lower case, no spaces/hyphens/dots/quotes."""
        return _KEY_STRIP.sub("", self._fold(text))

    def score_key(self, text: str) -> str:
        """The key of the shared scorer ``../shared/eval/score.py``: :meth:`key` keeping quotes and book
        title marks (score.py strips spaces, hyphens and dots only, and `kg eval` must give its numbers)."""
        return _SCORE_STRIP.sub("", self._fold(text))

    def _fold(self, text: str) -> str:
        return self._t2s.convert(unicodedata.normalize("NFKC", text)).lower()


# The one name key of the project (resolver, lexicon checks, candidates, NER training, `kg path`, `kg view`),
# and the shared scorer's narrower variant of it.
_KEY_STRIP = re.compile(r"[\s\-·・_「」『』“”《》〈〉\"']+")
_SCORE_STRIP = re.compile(r"[\s\-·・_]+")


@lru_cache(maxsize=65536)
def char_norm(text: str) -> str:
    """Per-character fold (the NER model's NORM feature): NFKC, Simplified character by character (a
    character OpenCC would turn into several stays), lower case. Both scripts share it."""
    out = []
    t2s = converter("t2s")
    for ch in unicodedata.normalize("NFKC", text):
        s = t2s.convert(ch)
        out.append(s if len(s) == 1 else ch)
    return "".join(out).lower()


def name_key(text: str) -> str:
    """:meth:`Normalizer.key` with the shared converter."""
    return default_normalizer().key(text)


@lru_cache(maxsize=1)
def default_normalizer() -> Normalizer:
    """One shared converter for callers that do not hold a pipeline object (tests, CLI helpers)."""
    return Normalizer()
