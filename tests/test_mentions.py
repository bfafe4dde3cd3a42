"""Mention finding: lexicon across scripts, ASCII boundaries, process nodes, product codes."""
from __future__ import annotations

import pytest

from kg.mentions.finder import MentionFinder
from kg.mentions.lexicon import Lexicon
from kg.normalize import Normalizer


@pytest.fixture(scope="module")
def find():
    normalizer = Normalizer()
    finder = MentionFinder(Lexicon.load(), normalizer)

    def run(text):
        return [(m.text, m.cls, m.key, m.value) for m in finder.find(text, normalizer.normalize(text))]
    return run


@pytest.mark.parametrize("text", ["英偉達", "英伟达", "輝達", "NVIDIA", "Nvidia"])
def test_mentions_one_entity_across_scripts(find, text):
    keys = {key for _, cls, key, _ in find(f"據報{text}表示") if cls == "Company"}
    assert len(keys) == 1
    assert keys == {k for _, c, k, _ in find("英偉達") if c == "Company"}


def test_mentions_misspelling_resolves_to_entity(find):
    assert {k for _, _, k, _ in find("壁切科技")} == {k for _, _, k, _ in find("壁仞科技")}


@pytest.mark.parametrize("text,nm", [("7納米", 7), ("7纳米", 7), ("7奈米", 7), ("5nm", 5), ("3 nm", 3), ("12NM", 12)])
def test_mentions_process_node_units(find, text, nm):
    nodes = [(t, v) for t, c, _, v in find(f"採用{text}工藝") if c == "ProcessNode"]
    assert nodes == [(text, nm)]


def test_mentions_node_range_gives_both_ends(find):
    assert [v for _, c, _, v in find("停留在7至12納米") if c == "ProcessNode"] == [7, 12]


def test_mentions_ascii_boundaries(find):
    assert "A10" not in [t for t, *_ in find("A100芯片")]
    assert "H20" not in [t for t, *_ in find("H200芯片")]


def test_mentions_owner_prefix_is_split(find):
    found = find("英偉達H100芯片")
    assert ("英偉達", "Company") in [(t, c) for t, c, *_ in found]
    assert ("H100", "Chip") in [(t, c) for t, c, *_ in found]


def test_mentions_product_code_after_company(find):
    found = find("摩爾線程推出新卡，英偉達XZ900芯片亦同時發布。")
    assert ("XZ900", "Chip") in [(t, c) for t, c, *_ in found]


def test_mentions_figures_are_not_product_codes(find):
    assert not [t for t, c, *_ in find("英偉達FP32算力") if c == "Chip"]


def test_mentions_offsets_point_at_text(find):
    text = "據悉，華為昇騰910B芯片採用7納米製程。"
    normalizer = Normalizer()
    finder = MentionFinder(Lexicon.load(), normalizer)
    for m in finder.find(text, normalizer.normalize(text)):
        assert text[m.start:m.end] == m.text


@pytest.mark.parametrize("text, names, cls", [
    ("公司推出四代GPU架構「星垣」「月橋」「雲汀」。", ["星垣", "月橋", "雲汀"], "Architecture"),   # quoted after the head
    ("基於「星垣」架構的新產品。", ["星垣"], "Architecture"),                                    # quoted before the head
    ("該公司的QX900芯片和NovaCore架構。", ["QX900", "NovaCore"], None),                        # codes before a head
    ("大會上展示了星垣、月橋、雲汀三款芯片。", ["星垣", "月橋", "雲汀"], "Chip"),                 # counted list
    ("公司推出新一代圖形處理器QXa20，性能翻倍。", ["QXa20"], "Chip"),                           # code after a head
    ("發布了GPU芯片星垣二號和月橋3號芯片。", ["星垣二號", "月橋3號"], "Chip"),                   # serial names
])
def test_mentions_names_typed_by_their_head_noun(find, text, names, cls):
    found = {t: c for t, c, *_ in find(text)}
    for name in names:
        assert name in found, found
        if cls is not None:
            assert found[name] == cls


def test_mentions_counted_kinds_of_product_are_not_names(find):
    found = [t for t, c, *_ in find("研發了處理器、顯卡兩款芯片，以及新一代GPU架構。")]
    assert not [t for t in found if t in ("處理器", "理器", "顯卡", "新一代", "GPU")], found
