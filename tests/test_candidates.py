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
    from kg.lexicon import Lexicon

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
    from kg.ner import DEFAULT_MODEL_DIR
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
