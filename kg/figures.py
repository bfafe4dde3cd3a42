"""Figures with units read from a sentence and attached to the product it is about:
TFLOPS (FP32/FP16), memory GB, bandwidth TB/s, transistor counts (億/萬/billion)."""
from __future__ import annotations

import re
from collections.abc import Iterator

from kg.model import Claim
from kg.sentence_view import SentenceView

_NUM = r"(\d+(?:\.\d+)?)"
_TFLOPS = re.compile(_NUM + r"\s*(?:tflops|tflop|tops(?=.{0,6}(?:fp|单精度|半精度)))")
_MEMORY = re.compile(r"(?:显存|内存|记忆体|存储|hbm\w{0,2})(?:容量)?\s*(?:达到|高达|提升至|增至|为|达|是)?\s*" + _NUM + r"\s*gb(?![/p])")
_BANDWIDTH = re.compile(r"(?:带宽|频宽)\s*(?:突破|达到|高达|提升至|为|达|超过)?\s*" + _NUM + r"\s*tb/s")
_TRANSISTORS = re.compile(_NUM + r"\s*(亿|万|billion|million)?\s*(?:个)?\s*(?:晶体管|transistors)")
_AGGREGATE = re.compile(r"机柜|集群|整机|系统|服务器|数据中心|超算|总算力|单机")
_MULTIPLIER = {"亿": 1e8, "万": 1e4, "billion": 1e9, "million": 1e6, None: 1.0}
PRODUCT = ("Chip", "System", "Product")


def figure_claims(v: SentenceView) -> list[Claim]:
    return [Claim(subject.mention, prop, value, v.sentence, rule, conf)
            for subject, prop, value, rule, conf in _figures(v)]


def _figures(v: SentenceView) -> Iterator[tuple]:
    for match in _TFLOPS.finditer(v.norm):
        start, end = v.clause_span(v.clause_of(match.start()))
        clause = v.norm[start:end]
        if _AGGREGATE.search(clause):
            continue
        precision = re.search(r"fp32|单精度|fp16|半精度", clause)
        if precision is None:
            continue
        prop = "fp32Tflops" if precision.group() in ("fp32", "单精度") else "fp16Tflops"
        subject = v.subject_before(match.start(), ("Chip",), carry=True, loose=True)
        if subject is not None:
            yield subject, prop, float(match.group(1)), "rule:figure.tflops", 0.8
    for pattern, prop, rule in ((_MEMORY, "memoryGB", "rule:figure.memory"),
                                (_BANDWIDTH, "memoryBandwidthTBps", "rule:figure.bandwidth")):
        for match in pattern.finditer(v.norm):
            start, end = v.clause_span(v.clause_of(match.start()))
            if _AGGREGATE.search(v.norm[start:end]):
                continue
            subject = v.subject_before(match.start(), ("Chip",), carry=True, loose=True)
            if subject is not None:
                yield subject, prop, float(match.group(1)), rule, 0.75
    for match in _TRANSISTORS.finditer(v.norm):
        subject = v.subject_before(match.start(), ("Chip",), carry=True, loose=True)
        if subject is not None:
            value = float(match.group(1)) * _MULTIPLIER[match.group(2)]
            yield subject, "transistorCount", value, "rule:figure.transistors", 0.8
