"""kg.candidates: the review list of model-only entities and their promotion into the lexicon."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.candidates import candidates, lexicon_row, promote, table
from kg.cli import main
from kg.errors import ConfigError, InputError

DATA = Path(__file__).parent / "data" / "candidates"
GRAPH = DATA / "graph.ttl"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def lexicon(tmp_path) -> Path:
    path = tmp_path / "lexicon.tsv"
    shutil.copy(ROOT / "ontology" / "lexicon.tsv", path)
    return path


def test_candidates_lists_only_model_entities():
    ids = [c.id for c in candidates(GRAPH)]
    assert ids == ["Lingxiao300", "XinyiTech"]  # Caiyun is also found by the lexicon, MooreThreads only by it


def test_candidates_sorted_by_documents_then_mentions():
    first, second = candidates(GRAPH)
    assert (len(first.documents), first.mentions) == (2, 3)
    assert (len(second.documents), second.mentions) == (1, 1)


def test_candidates_carry_class_confidence_and_two_examples_from_different_documents():
    c = candidates(GRAPH)[0]
    assert c.cls == "Chip" and c.label == "翎霄300"
    assert c.confidence == 0.9
    assert c.documents == ("a.txt", "b.txt")
    assert [d for d, _ in c.examples] == ["b.txt", "a.txt"]  # most confident first, then another document
    assert c.examples[1][1] == "星瀚微推出翎霄300加速卡。"


def test_candidates_min_confidence_filters():
    assert [c.id for c in candidates(GRAPH, min_confidence=0.92)] == ["XinyiTech"]


def test_candidates_missing_graph_is_input_error(tmp_path):
    with pytest.raises(InputError, match="kg rebuild"):
        candidates(tmp_path / "nope.ttl")


def test_table_shows_examples():
    text = table(candidates(GRAPH))
    assert "Lingxiao300\tChip\t翎霄300" in text and "b.txt: 翎霄300採用7納米工藝。" in text


def test_lexicon_row_has_both_scripts_and_valid_id():
    row = lexicon_row(candidates(GRAPH)[1])
    assert row[:2] == ["XinyiTech", "Company"] and row[3] == "芯翼科技" and row[4] == "芯翼科技"


def test_promote_appends_a_row_the_lexicon_loader_accepts(lexicon):
    from kg.mentions.lexicon import Lexicon

    before = len(Lexicon.load(lexicon))
    line = promote(GRAPH, "Lingxiao300", lexicon_path=lexicon)
    assert line.split("\t")[:2] == ["Lingxiao300", "Chip"] and "翎霄 300" in line
    loaded = Lexicon.load(lexicon)
    assert len(loaded) == before + 1 and loaded.by_id["Lingxiao300"].cls == "Chip"


def test_promote_dry_run_leaves_lexicon_alone(lexicon):
    text = lexicon.read_text(encoding="utf-8")
    promote(GRAPH, "XinyiTech", lexicon_path=lexicon, write=False)
    assert lexicon.read_text(encoding="utf-8") == text


def test_promote_class_override(lexicon):
    line = promote(GRAPH, "XinyiTech", lexicon_path=lexicon, cls="ResearchInstitution", write=False)
    assert line.split("\t")[1] == "ResearchInstitution"
    with pytest.raises(ConfigError, match="unknown class"):
        promote(GRAPH, "XinyiTech", lexicon_path=lexicon, cls="Gizmo")


def test_promote_refuses_known_names_and_unknown_ids(lexicon):
    promote(GRAPH, "Lingxiao300", lexicon_path=lexicon)
    with pytest.raises(InputError, match="kg candidates"):
        promote(GRAPH, "MooreThreads", lexicon_path=lexicon)
    with pytest.raises(ConfigError, match="already in the lexicon"):
        promote(GRAPH, "Lingxiao300", lexicon_path=lexicon)


def test_cli_candidates_and_promote(lexicon):
    runner = CliRunner()
    listed = runner.invoke(main, ["candidates", "--graph", str(GRAPH)])
    assert listed.exit_code == 0, listed.output
    assert listed.output.index("Lingxiao300") < listed.output.index("XinyiTech")
    as_json = runner.invoke(main, ["candidates", "--graph", str(GRAPH), "--json"])
    assert '"id": "Lingxiao300"' in as_json.output
    done = runner.invoke(main, ["candidates", "--graph", str(GRAPH), "--promote", "XinyiTech",
                                "--lexicon", str(lexicon)])
    assert done.exit_code == 0, done.output
    assert "XinyiTech\tCompany" in lexicon.read_text(encoding="utf-8")
    missing = runner.invoke(main, ["candidates", "--graph", str(GRAPH), "--promote", "Nope", "--lexicon", str(lexicon)])
    assert missing.exit_code == 2


def test_promoted_name_is_found_by_rules_on_rebuild(tmp_path, lexicon):
    """End to end: model finds an unknown chip, promotion, a rules-only rebuild then knows it."""
    pytest.importorskip("kg.pipeline")
    from kg.mentions.ner import DEFAULT_MODEL_DIR
    from kg.pipeline import BuildOptions, build

    if not (DEFAULT_MODEL_DIR / "kg-ner.json").is_file():
        pytest.skip("no trained model (run `kg train`)")
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "x.txt").write_text(
        "國產GPU芯片新品發布\n\n國產GPU企業芯翼科技近日發布全新GPU芯片，該芯片採用7納米工藝，面向數據中心的AI訓練和推理市場。"
        "芯翼科技表示，這款GPU已與麒麟操作系統實現兼容。芯翼科技的GPU產品還採用了Chiplet技術和HBM內存。\n", encoding="utf-8")
    build(seeds, tmp_path / "with-model", BuildOptions(use_model=True))
    found = {c.label: c for c in candidates(tmp_path / "with-model" / "graph.ttl")}
    assert "芯翼科技" in found, sorted(found)
    promote(tmp_path / "with-model" / "graph.ttl", found["芯翼科技"].id, lexicon_path=lexicon)
    build(seeds, tmp_path / "rules", BuildOptions(use_model=False, lexicon_path=lexicon))
    graph = (tmp_path / "rules" / "graph.ttl").read_text(encoding="utf-8")
    assert "芯翼科技" in graph
    assert [c.id for c in candidates(tmp_path / "rules" / "graph.ttl")] == []


def test_one_name_key_for_book_title_marks():
    """《芯片法案》 and 芯片法案 are one name for the resolver, the lexicon checks and `kg candidates --promote`."""
    from kg.normalize import default_normalizer

    key = default_normalizer().key
    assert key("《晶片與科學法案》") == key("晶片與科學法案") == key("晶片与科学法案")
    assert key("〈星河算〉") == key("星河算")


# ------------------------------------------------------------------ review order: structural junk flags
# Sentences below are made up for these tests; each rule is checked on a name it must flag and on a
# real-looking name in the same shape it must leave alone.

from kg.candidates import junk_flags, name_flags, sentence_flags  # noqa: E402


def test_flag_cut_inside_a_word_or_a_code():
    assert "cut" in sentence_flags("商星河", "本土廠商星河微今日發布新卡。")          # cuts 廠商
    assert "cut" in sentence_flags("X9", "該卡支持AX90指令集。")                        # inside a Latin/digit run
    assert "cut" in sentence_flags("Foo Ba", "英文名稱爲Foo Ba")                        # the text was cut off
    assert sentence_flags("星河微", "本土廠商星河微今日發布新卡。") == set()


def test_flag_part_of_a_known_name():
    assert "part" in sentence_flags("宇芯", "星宇芯科技發布新卡。", known=["星宇芯科技"])
    assert sentence_flags("星宇芯科技", "星宇芯科技發布新卡。", known=["星宇芯"]) == set()


def test_flag_name_goes_on_or_is_a_modifier():
    assert "longer" in sentence_flags("北灣微電子", "北灣微電子中心年內啟用。")
    assert "longer" in sentence_flags("邊端智能", "公司推出邊端智能芯片。", cls="Market")
    assert "longer" not in sentence_flags("北灣微電子", "北灣微電子股份有限公司今日上市。")   # a legal form is not
    assert "longer" not in sentence_flags("星河8B", "星河8B服務器芯片已量產。", cls="Chip")


def test_flag_sources_persons_events_and_litter():
    assert "source" in sentence_flags("晨報網", "綜合晨報網、某某等報導，該卡下月上市。")
    assert "source" in sentence_flags("Foonews", "未能查證Foonews的報道。")
    assert "person" in sentence_flags("Jane Doe", "研究員張某（Jane Doe）表示，需求很大。")
    assert "person" in sentence_flags("Smith", "公司收購了Smith團隊。")
    assert "person" not in sentence_flags("Acme Capital", "投資方包括（Acme Capital）等。")
    assert "event" in sentence_flags("XDC2030", "公司在首屆開發者大會(XDC2030)上發布新架構。")
    assert "litter" in sentence_flags("某某算力", "alt not available名家觀點:加強某某算力建設")
    assert sentence_flags("星河微", "句子裡沒有這個名字。") is None


def test_flag_strings_function_words_and_ordinary_words():
    assert "edge" in name_flags("的星河", "Company") and "edge" in name_flags("星河等", "Company")
    assert "edge" in name_flags("積極的政策", "Policy")
    assert "word" in name_flags("編譯器", "SoftwarePlatform")          # one ordinary word
    assert "word" in name_flags("上半導體", "Company")                 # one character + an ordinary word
    assert "word" in name_flags("Q股", "Exchange")                     # a share class
    assert name_flags("編譯器", "Technology") == []                    # Technology names are often words
    assert name_flags("星河集團", "Company") == []                     # an organisation head makes a name
    assert name_flags("滬主板", "Exchange") == []                      # place abbreviation + board


def test_junk_flags_need_every_sentence_and_titles_keep_de():
    one_clean = ["本土廠商星河微今日發布新卡。", "星河微、寒武紀等公司參展。"]
    assert "cut" in junk_flags("商星河", "Company", one_clean[:1])
    assert junk_flags("星河微", "Company", one_clean) == ()
    assert junk_flags("促進產業發展的若干措施", "Policy", ["國務院印發《促進產業發展的若干措施》。"]) == ()


def test_flagged_candidates_are_listed_after_clean_ones(tmp_path):
    """A fragment the model found in two documents still comes after a clean name found in one."""
    ttl = GRAPH.read_text(encoding="utf-8")
    graph = tmp_path / "graph.ttl"
    graph.write_text(ttl.replace("翎霄300", "的翎霄").replace("翎霄 300", "的翎霄"), encoding="utf-8")
    found = candidates(graph)
    assert [c.id for c in found] == ["XinyiTech", "Lingxiao300"] and found[1].flags == ("edge",)
    assert "flags edge" in table(found)
    assert [c.id for c in candidates(graph, review_order=False)] == ["Lingxiao300", "XinyiTech"]
