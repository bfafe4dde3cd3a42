"""Figures with units read from a sentence and attached to the product it is about:
TFLOPS (FP32/FP16), memory GB, bandwidth TB/s, transistor counts (億/萬/billion)."""
from __future__ import annotations

import re
from collections.abc import Iterator

from kg.model import Claim
from kg.claims.rules.table import confidence
from kg.claims.sentence_view import SentenceView

_NUM = r"(\d+(?:\.\d+)?)"
_TFLOPS = re.compile(_NUM + r"\s*(?:tflops|tflop|tops(?=.{0,6}(?:fp|单精度|半精度)))")
_MEMORY_WORD = r"(?:显存|内存|记忆体|存储|hbm\w{0,3})"
# 顯存容量達96GB / 容量可達96GB (a memory word shortly before) / 128GB HBM3顯存 / 32GB HBM2e高帶寬內存
_MEMORY = re.compile(_MEMORY_WORD + r"(?:容量)?\s*(?:可达|达到|高达|提升至|增至|保持|为|达|是)?\s*" + _NUM + r"\s*gb(?![/p])"
                     r"|(?<![\d.])" + _NUM + r"\s*gb\s*(?:的)?\s*(?:hbm\w{0,3}|gddr\w{0,3}|lpddr\w{0,3}|ddr\w{0,2})?\s*"
                     r"(?:高带宽|高频宽)?\s*(?:显存|内存|记忆体)")
_MEMORY_CAPACITY = re.compile(r"容量\s*(?:可达|达到|高达|达|为|增至|保持)?\s*" + _NUM + r"\s*gb(?![/p])")
# 帶寬達3.2TB/s / 帶寬達819GB/s / 4TB/s帶寬 / 3.2TB/s內存帶寬 (GB/s are converted)
_BANDWIDTH = re.compile(r"(?:带宽|频宽)\s*(?:突破|达到|高达|提升至|增至|为|达|超过)?\s*" + _NUM + r"\s*(tb|gb)/s"
                        r"|" + _NUM + r"\s*(tb|gb)/s\s*(?:的)?\s*(?:内存|显存|hbm)?\s*(?:带宽|频宽)")
_TRANSISTORS = re.compile(_NUM + r"\s*(亿|万|billion|million)?\s*(?:个)?\s*(?:晶体管|transistors)")
_AGGREGATE = re.compile(r"机柜|集群|整机|系统|服务器|数据中心|超算|总算力|单机")
_PRECISION = re.compile(r"fp32|tf32|fp16|bf16|fp8|fp4|fp64|int8|int4|单精度|半精度|双精度")
_PRECISION_AFTER = re.compile(r"\s*(?:[@（(]|的)\s*(fp32|tf32|fp16|bf16|fp8|fp4|fp64|int8|int4)")
_RESPECTIVE = re.compile(r"((?:(?:fp32|tf32|fp16|bf16|fp8|fp4|fp64|int8|int4)\s*[、/和及,，]?\s*){2,})[^。；]{0,16}?分别(?:为|是|达|达到)\s*"
                         r"((?:\d+(?:\.\d+)?\s*(?:tflops|tops|pflops)\s*[、/和及,，]?\s*){2,})")
# a figure of one part of the chip (每die, 單die) or of the links between chips, not of the chip's memory
_PER_PART = re.compile(r"每\s*(?:个|颗)?\s*die|单\s*die|每核|单核")
_NOT_MEMORY_BANDWIDTH = re.compile(r"互联|互连|片间|卡间|通信|网络|nvlink|i/?o|pcie|interconnect")
_MULTIPLIER = {"亿": 1e8, "万": 1e4, "billion": 1e9, "million": 1e6, None: 1.0}
PRODUCT = ("Chip", "System", "Product")


def figure_claims(v: SentenceView) -> list[Claim]:
    return [Claim(subject.mention, prop, value, v.sentence, rule, confidence(rule))
            for subject, prop, value, rule in figures(v)]


def _value(match: re.Match, prop: str) -> float:
    """The number of a figure match (whichever alternative matched), GB/s bandwidths in TB/s."""
    groups = [g for g in match.groups() if g is not None]
    value = float(groups[0])
    if prop == "memoryBandwidthTBps" and len(groups) > 1 and groups[1] == "gb":
        value = round(value / 1000, 6)
    return value


def _precision_of(v: SentenceView, match: re.Match, clause_start: int) -> str | None:
    """The number format a TFLOPS figure is given in: the tag right after it (376TFLOPS@FP16, 800TFLOPS(FP16)),
    else the nearest format word before it in its clause (FP16算力達345TFLOPS)."""
    after = _PRECISION_AFTER.match(v.norm, match.end())
    if after is not None:
        return after.group(1)
    before = list(_PRECISION.finditer(v.norm, clause_start, match.start()))
    return before[-1].group() if before else None


def _respective(v: SentenceView) -> Iterator[tuple[int, str, float]]:
    """在FP32、TF32、FP16精度下的算力分別為25 TFLOPS、49 TFLOPS、98 TFLOPS: formats and figures zipped in order."""
    for match in _RESPECTIVE.finditer(v.norm):
        formats = _PRECISION.findall(match.group(1))
        values = _TFLOPS.findall(match.group(2))
        if len(formats) >= 2 and len(values) >= 2:
            for fmt, value in zip(formats, values):
                yield match.start(), fmt, float(value)


def _tflops_property(fmt: str | None) -> str | None:
    if fmt in ("fp32", "单精度"):
        return "fp32Tflops"
    if fmt in ("fp16", "半精度"):
        return "fp16Tflops"
    return None


def figures(v: SentenceView) -> Iterator[tuple]:
    """The frame of every figure rule: (subject, datatype property, value, rule id)."""
    respective = list(_respective(v))
    for pos, fmt, value in respective:
        prop = _tflops_property(fmt)
        subject = v.subject_before(pos, ("Chip",), carry=True, loose=True)
        if prop is not None and subject is not None:
            yield subject, prop, value, "rule:figure.tflops-respective"
    for match in _TFLOPS.finditer(v.norm):
        start, end = v.clause_span(v.clause_of(match.start()))
        clause = v.norm[start:end]
        if _AGGREGATE.search(clause) or _PER_PART.search(v.norm[start:match.start()]) or respective:
            continue
        prop = _tflops_property(_precision_of(v, match, start))
        if prop is None:
            continue
        subject = v.subject_before(match.start(), ("Chip",), carry=True, loose=True)
        if subject is not None:
            yield subject, prop, float(match.group(1)), "rule:figure.tflops"
    for pattern, prop, rule in ((_MEMORY, "memoryGB", "rule:figure.memory"),
                                (_MEMORY_CAPACITY, "memoryGB", "rule:figure.memory"),
                                (_BANDWIDTH, "memoryBandwidthTBps", "rule:figure.bandwidth")):
        for match in pattern.finditer(v.norm):
            start, end = v.clause_span(v.clause_of(match.start()))
            if _AGGREGATE.search(v.norm[start:end]) or _PER_PART.search(v.norm[start:match.start()]):
                continue
            if pattern is _MEMORY_CAPACITY and not re.search(_MEMORY_WORD, v.norm[max(0, match.start() - 20):match.start()]):
                continue   # 容量 of what? only right after a memory word (採用HBM2e內存，容量可達96GB)
            if pattern is _BANDWIDTH and _NOT_MEMORY_BANDWIDTH.search(v.norm[max(start, match.start() - 6):match.end()]):
                continue
            subject = v.subject_before(match.start(), ("Chip",), carry=True, loose=True)
            if subject is not None:
                yield subject, prop, _value(match, prop), rule
    for match in _TRANSISTORS.finditer(v.norm):
        subject = v.subject_before(match.start(), ("Chip",), carry=True, loose=True)
        if subject is not None:
            value = float(match.group(1)) * _MULTIPLIER[match.group(2)]
            yield subject, "transistorCount", value, "rule:figure.transistors"
