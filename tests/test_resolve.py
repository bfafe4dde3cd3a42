"""Entity resolution: one IRI per real thing across scripts and aliases, never across classes."""
from __future__ import annotations

import pytest

from kg.mentions.finder import MentionFinder
from kg.mentions.lexicon import Lexicon
from kg.model import Mention
from kg.normalize import Normalizer
from kg.resolve import Resolver


@pytest.fixture()
def setup():
    normalizer = Normalizer()
    lexicon = Lexicon.load()
    return MentionFinder(lexicon, normalizer), Resolver(lexicon, normalizer), normalizer


def _entities(setup, text):
    finder, resolver, normalizer = setup
    return [resolver.resolve(m, "doc.txt") for m in finder.find(text, normalizer.normalize(text))]


@pytest.mark.parametrize("names", [("英偉達", "英伟达", "輝達", "NVIDIA"), ("沐曦", "沐曦集成電路", "沐曦股份"),
                                   ("壁仞科技", "壁切科技", "壁仞"), ("台積電", "台积电", "臺積電", "TSMC")])
def test_resolve_aliases_share_one_iri(setup, names):
    ids = {e.id for name in names for e in _entities(setup, f"據報{name}表示")}
    assert len(ids) == 1


def test_resolve_same_string_different_class_stays_apart(setup):
    os_ids = {e.id for e in _entities(setup, "已與麒麟操作系統實現兼容") if e.cls == "SoftwarePlatform"}
    chip_ids = {e.id for e in _entities(setup, "華為麒麟芯片採用7納米工藝") if e.cls == "Chip"}
    assert os_ids and chip_ids and not os_ids & chip_ids


def test_resolve_unknown_name_gets_readable_id_and_labels(setup):
    _, resolver, _ = setup
    # an invented name the lexicon cannot know
    entity = resolver.resolve(Mention(0, 4, "星璣芯片", "Chip", None, "model:test", 0.7), "doc.txt")
    assert entity.id == "星玑芯片"
    assert entity.labels["zh-Hant"] == "星璣芯片" and entity.labels["zh-Hans"] == "星玑芯片"
    company = resolver.resolve(Mention(0, 4, "星璣芯片", "Company", None, "model:test", 0.7), "doc.txt")
    assert company.id != entity.id


def test_resolve_model_mention_of_known_name_joins_lexicon_entity(setup):
    _, resolver, _ = setup
    entity = resolver.resolve(Mention(0, 3, "英偉达", "Company", None, "model:test", 0.7), "doc.txt")
    assert entity.id == "Nvidia" and "model:test" in entity.found_by


def test_resolve_process_node_labels(setup):
    node = [e for e in _entities(setup, "採用7奈米製程") if e.cls == "ProcessNode"][0]
    assert node.id == "node-7nm" and node.nanometers == 7
    assert node.labels == {"en": "7nm", "zh-Hant": "7納米", "zh-Hans": "7纳米"}
    assert "7奈米" in node.alt_labels
