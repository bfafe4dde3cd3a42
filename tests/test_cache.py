"""Incremental rebuilds (kg/cache.py): reused extraction gives the same exports as a full rebuild."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import assert_same_exports
from kg.pipeline import BuildOptions, build

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
NEW_ARTICLE = ("國產GPU新聞\n\n壁仞科技今日發布BR106晶片，採用7納米工藝，面向數據中心市場。"
               "該公司表示，BR106由台積電代工。\n")


@pytest.mark.slow
def test_add_change_delete_give_the_exports_of_a_full_rebuild(tmp_path):
    corpus = tmp_path / "articles"
    shutil.copytree(SEEDS, corpus)
    out, cache = tmp_path / "out", tmp_path / "cache"
    first = build(corpus, out, BuildOptions(cache_dir=cache))
    assert (first.articles_reused, first.articles_extracted) == (0, first.kept)

    (corpus / "new.txt").write_text(NEW_ARTICLE, encoding="utf-8")                       # add
    changed = sorted(corpus.glob("00*.txt"))[0]
    changed.write_text(changed.read_text(encoding="utf-8").replace("沐曦", "沐曦股份", 1), encoding="utf-8")  # change
    sorted(corpus.glob("00*.txt"))[-1].unlink()                                         # delete
    again = build(corpus, out, BuildOptions(cache_dir=cache))
    assert again.articles_extracted == 2 and again.articles_reused == again.kept - 2

    full = build(corpus, tmp_path / "full", BuildOptions(cache=False))
    assert full.articles_reused == full.articles_extracted == 0
    assert_same_exports(out, tmp_path / "full")
    # entries of the changed and deleted articles are gone: one per article of this build
    assert len(list(cache.glob("*/*.json"))) == again.kept


def test_a_changed_lexicon_reuses_nothing(tmp_path):
    lexicon = tmp_path / "lexicon.tsv"
    shutil.copy(Path(__file__).resolve().parents[1] / "ontology" / "lexicon.tsv", lexicon)
    cache, options = tmp_path / "cache", dict(use_model=False, lexicon_path=lexicon)
    build(SEEDS, tmp_path / "a", BuildOptions(cache_dir=cache, **options))
    assert build(SEEDS, tmp_path / "a", BuildOptions(cache_dir=cache, **options)).articles_extracted == 0
    with lexicon.open("a", encoding="utf-8") as handle:
        handle.write("\nTestOnlyCo\tCompany\tTest Only Co\t測試專用公司\t测试专用公司\t\n")
    rebuilt = build(SEEDS, tmp_path / "a", BuildOptions(cache_dir=cache, **options))
    assert rebuilt.articles_reused == 0 and rebuilt.articles_extracted == rebuilt.kept


def test_a_damaged_entry_is_extracted_again(tmp_path):
    cache = tmp_path / "cache"
    build(SEEDS, tmp_path / "a", BuildOptions(use_model=False, cache_dir=cache))
    entry = sorted(cache.glob("*/*.json"))[0]
    entry.write_text("{not json", encoding="utf-8")
    again = build(SEEDS, tmp_path / "b", BuildOptions(use_model=False, cache_dir=cache))
    assert again.articles_extracted == 1
    build(SEEDS, tmp_path / "c", BuildOptions(use_model=False, cache=False))
    assert_same_exports(tmp_path / "b", tmp_path / "c")
