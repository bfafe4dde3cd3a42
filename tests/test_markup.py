"""Saved web pages: markup is blanked in place, so articles read clean and offsets still hit the file."""
from __future__ import annotations

from pathlib import Path

from kg.ingest.documents import read_document
from kg.ingest.readers.html import detect, to_text
from kg.pipeline import BuildOptions, build

PAGE = Path(__file__).parent / "data" / "documents" / "web_page.html"


def test_markup_blanking_keeps_every_offset():
    text = PAGE.read_text(encoding="utf-8")
    blanked = to_text(text)
    assert len(blanked) == len(text)
    assert "<" not in blanked and "var x" not in blanked and "color:red" not in blanked
    assert blanked.index("摩尔线程今日发布") == text.index("摩尔线程今日发布")
    assert "©" in blanked


def test_markup_detection():
    assert detect(PAGE.read_text(encoding="utf-8"))
    assert not detect("英偉達H100芯片採用台積電4納米工藝，A<B 且 C>D。\n")


def test_markup_page_article_has_no_tags_or_script():
    document = read_document(PAGE)
    kept = "".join(a.text for a in document.kept)
    assert "MTT S5000" in kept
    assert "<" not in kept and "英伟达H100" not in kept   # the script's string is not article text
    assert document.text.startswith("<!DOCTYPE html>")    # the original is kept for offsets


def test_markup_page_builds_facts_with_offsets_into_the_file(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / PAGE.name).write_bytes(PAGE.read_bytes())
    build(seeds, tmp_path / "out", BuildOptions(use_model=False, formats=("turtle",)))
    ttl = (tmp_path / "out" / "graph.ttl").read_text(encoding="utf-8")
    assert "kg:compatibleWith" in ttl and "<b>" not in ttl
