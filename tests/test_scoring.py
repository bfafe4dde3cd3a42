"""kg.scoring / `kg eval`: the rules of ../shared/eval/README.md on tiny hand-made graphs, the per-region and
per-style breakdown, and agreement with the independent scorer ../shared/eval/score.py."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.scoring import Vocabulary, evaluate, load_index

ROOT = Path(__file__).resolve().parents[1]
SHARED_EVAL = ROOT.parent / "shared" / "eval"
SHARED_SCORER = SHARED_EVAL / "score.py"
DEV = SHARED_EVAL / "dev"
needs_scorer = pytest.mark.skipif(not SHARED_SCORER.exists(), reason="../shared/eval/score.py not beside the repo")

PREFIXES = """@prefix kg: <https://w3id.org/cngpu-kg/ontology#> .
@prefix id: <https://w3id.org/cngpu-kg/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
"""

# A made-up little industry: slug -> (class, labels; the first is rdfs:label, the rest skos:altLabel).
ENTITIES = {
    "Jia": ("Company", ["甲芯科技", "甲芯"]),
    "Jia1": ("Chip", ["甲一"]),
    "Yi": ("Company", ["乙晶圓"]),          # Traditional in the graph, Simplified in the gold
    "Bing": ("Architecture", ["丙架构"]),
    "Ding": ("Company", ["丁集团"]),
    "Wu": ("Company", ["戊科技"]),
    "Geng": ("Chip", ["庚二"]),
    "Infer": ("Market", ["推理"]),
    "Ji": ("Company", ["己公司"]),          # no gold row mentions it
}
TRIPLES = [
    ("Jia", "develops", "Jia1"),          # required in a1
    ("Jia1", "basedOn", "Bing"),          # required in a1
    ("Jia", "subsidiaryOf", "Ding"),      # required in a2
    ("Wu", "partnerOf", "Jia"),           # gold has it the other way round; partnerOf is symmetric
    ("Jia1", "manufacturedBy", "Yi"),     # forbidden in a1
    ("Jia1", "comparableTo", "Geng"),     # gold has it the other way round; comparableTo is not symmetric
    ("Ji", "partnerOf", "Jia"),           # Ji is unknown to the gold: unjudged
    ("Jia1", "targetsMarket", "Infer"),   # optional in a3
]
FIGURES = [("Jia1", "fp16Tflops", "100.5")]

GOLD = """# doc\tsubject\tpredicate\tobject\tstatus\tevidence
doc\tsubject\tpredicate\tobject\tstatus\tevidence
a1.txt\t甲芯科技|甲芯\tdevelops\t甲一\trequired\t甲芯发布甲一
a1.txt\t甲一\tbasedOn\t丙架构\trequired\t甲一基于丙架构
a1.txt\t甲一\tmanufacturedBy\t乙晶圆\tforbidden\t并非乙晶圆代工
a1.txt\t甲芯\ta\tCompany\trequired\t甲芯科技
a1.txt\t甲一\ta\tChip\trequired\t甲一芯片
a2.txt\t甲芯\tsubsidiaryOf\t丁集团\trequired\t丁集团旗下甲芯
a2.txt\t甲芯\tpartnerOf\t戊科技\trequired\t甲芯与戊科技合作
a2.txt\t庚二\tcomparableTo\t甲一\trequired\t庚二性能接近甲一
a2.txt\t甲芯\tinvestsIn\t戊科技\trequired\t甲芯投资戊科技
a3.txt\t甲一\ttargetsMarket\t推理\toptional\t用于推理
a3.txt\t丁集团\tacquired\t乙晶圆\trequired\t丁集团收购乙晶圆
a3.txt\t丁集团\ta\tOrganization\trequired\t丁集团
a3.txt\t甲一\tfp16Tflops\t100\trequired\tFP16 100 TFLOPS
"""

INDEX = """file\turl\tdate\tregion\tstyle\tchars
a1.txt\tunknown\tunknown\tmainland\tnews\t100
a2.txt\thttps://example.org/a2\t2025-01-02\tmainland\tblog\t120
a3.txt\tunknown\tunknown\ttaiwan\tnews\t90
"""


def write_graph(path: Path, entities=ENTITIES, triples=TRIPLES, figures=FIGURES, extra: str = "") -> Path:
    lines = [PREFIXES]
    for slug, (cls, labels) in entities.items():
        alts = "".join(f' ; skos:altLabel "{label}"' for label in labels[1:])
        lines.append(f'id:{slug} a kg:{cls} ; rdfs:label "{labels[0]}"{alts} .')
    lines += [f"id:{s} kg:{p} id:{o} ." for s, p, o in triples]
    lines += [f"id:{s} kg:{p} {v} ." for s, p, v in figures]
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


@pytest.fixture
def case(tmp_path):
    """(graph, gold, index) paths of the made-up example; the index is not beside the gold."""
    graph = write_graph(tmp_path / "graph.ttl")
    (tmp_path / "gold").mkdir()
    gold = tmp_path / "gold" / "gold.tsv"
    gold.write_text(GOLD, encoding="utf-8")
    index = tmp_path / "articles.tsv"
    index.write_text(INDEX, encoding="utf-8")
    return graph, gold, index


def group(scores, dimension, value):
    return next(g for g in scores.breakdown if (g.dimension, g.value) == (dimension, value))


# ---------------------------------------------------------------------- the rules


def test_overall_numbers_by_hand(case):
    graph, gold, _ = case
    s = evaluate(graph, gold)
    # required relation rows: develops, basedOn, subsidiaryOf, partnerOf hit; comparableTo, investsIn, acquired miss
    assert (s.relations_found, s.relations_required) == (4, 7)
    # judged: develops, basedOn, subsidiaryOf, partnerOf, targetsMarket right; manufacturedBy, comparableTo wrong
    assert (s.correct_triples, s.judged_triples) == (5, 7)
    assert s.relation_precision == pytest.approx(5 / 7) and s.relation_recall == pytest.approx(4 / 7)
    assert s.relation_f1 == pytest.approx(40 / 63)
    assert s.unjudged_triples == 1
    assert s.per_predicate["a"] == [3, 3]            # Company, Chip, and Company counted as an Organization
    assert s.per_predicate["fp16Tflops"] == [1, 1]   # 100.5 is within 1 % of 100
    assert len(s.forbidden_hits) == 1 and not s.breakdown


def test_unjudged_triples_are_neither_right_nor_wrong(case, tmp_path):
    graph, gold, _ = case
    s = evaluate(graph, gold)
    assert s.unjudged == [("己公司", "partnerOf", "甲芯")]
    assert all(w[1] != "己公司" for w in s.wrong)
    more = write_graph(tmp_path / "more.ttl", triples=TRIPLES + [("Ji", "investsIn", "Wu"), ("Jia", "acquired", "Ji")])
    s2 = evaluate(more, gold)
    assert s2.unjudged_triples == 3
    assert (s2.correct_triples, s2.judged_triples) == (5, 7)
    assert "UNJUDGED\t己公司\tinvestsIn\t戊科技" in s2.table(verbose=True)


def test_forbidden_row_is_a_hit_and_a_wrong_triple(case):
    graph, gold, _ = case
    s = evaluate(graph, gold)
    assert [(r["doc"], r["predicate"]) for r in s.forbidden_hits] == [("a1.txt", "manufacturedBy")]
    assert ("FORBIDDEN", "甲一", "manufacturedBy", "乙晶圆") in s.wrong
    assert s.precision_per_predicate["manufacturedBy"] == [0, 1]
    assert "forbidden=1" in s.table()


def test_symmetric_properties_match_either_way(case):
    graph, gold, _ = case
    s = evaluate(graph, gold)
    assert s.per_predicate["partnerOf"] == [1, 1]             # gold 甲芯→戊科技, graph 戊科技→甲芯
    assert s.precision_per_predicate["partnerOf"] == [1, 1]   # Ji partnerOf Jia is unjudged, not judged
    assert s.per_predicate["comparableTo"] == [0, 1]          # not symmetric: reversed is a miss ...
    assert ("unsupported", "甲一", "comparableTo", "庚二") in s.wrong   # ... and a wrong triple
    assert "compatibleWith" in Vocabulary.from_ontology().symmetric


def test_based_on_and_subsidiary_of_are_scored(case, tmp_path):
    vocab = Vocabulary.from_ontology()
    assert {"basedOn", "subsidiaryOf"} <= vocab.object_properties
    graph, gold, _ = case
    s = evaluate(graph, gold)
    assert s.per_predicate["basedOn"] == [1, 1] and s.precision_per_predicate["basedOn"] == [1, 1]
    assert s.per_predicate["subsidiaryOf"] == [1, 1] and s.precision_per_predicate["subsidiaryOf"] == [1, 1]
    wrong = write_graph(tmp_path / "wrong.ttl", triples=TRIPLES + [("Geng", "basedOn", "Bing"), ("Wu", "subsidiaryOf", "Ding")])
    s2 = evaluate(wrong, gold)
    assert s2.precision_per_predicate["basedOn"] == [1, 2]
    assert s2.precision_per_predicate["subsidiaryOf"] == [1, 2]
    assert (s2.correct_triples, s2.judged_triples) == (5, 9)


def test_a_property_beyond_the_core_is_not_scored(case, tmp_path):
    graph, gold, _ = case
    odd = write_graph(tmp_path / "odd.ttl", extra="id:Jia kg:rivalOf id:Wu .\n")
    assert evaluate(odd, gold).as_dict() == evaluate(graph, gold).as_dict()


# ---------------------------------------------------------------------- the breakdown


def test_breakdown_numbers_by_hand(case):
    graph, gold, index = case
    s = evaluate(graph, gold, index)
    assert [(g.dimension, g.value, g.articles) for g in s.breakdown] == [
        ("region", "mainland", 2), ("region", "taiwan", 1), ("style", "blog", 1), ("style", "news", 2)]
    # (found, required, correct, judged, unjudged, forbidden hits), each group scored on its own gold rows
    expected = {
        ("region", "mainland"): (4, 6, 4, 6, 2, 1),   # 推理 is only known to a3: targetsMarket unjudged
        ("region", "taiwan"): (0, 1, 1, 2, 6, 0),     # manufacturedBy is unsupported there (forbidden only in a1)
        ("style", "blog"): (2, 4, 2, 4, 4, 0),        # develops is unsupported by a2's rows
        ("style", "news"): (2, 3, 3, 5, 3, 1),        # subsidiaryOf: both ends known to a1/a3, no row
    }
    for (dimension, value), numbers in expected.items():
        g = group(s, dimension, value).scores
        got = (g.relations_found, g.relations_required, g.correct_triples, g.judged_triples, g.unjudged_triples,
               len(g.forbidden_hits))
        assert got == numbers, (dimension, value)
    news = group(s, "style", "news").scores
    assert news.relation_f1 == pytest.approx(2 * (3 / 5) * (2 / 3) / (3 / 5 + 2 / 3))
    assert s.unindexed_docs == []
    # the overall numbers do not change with an index
    assert (s.correct_triples, s.judged_triples, s.unjudged_triples) == (5, 7, 1)


def test_breakdown_table_and_json(case):
    graph, gold, index = case
    result = CliRunner().invoke(main, ["eval", "--gold", str(gold), "--graph", str(graph), "--index", str(index)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    row = next(line for line in lines if line.startswith("style=news"))
    assert row.split() == ["style=news", "2", "2/3", "3/5", "0.632", "1"]
    assert lines.index(row) > next(i for i, line in enumerate(lines) if line.startswith("subsidiaryOf"))
    assert "unjudged triples: 1" in result.output and "relations: P=0.714 R=0.571" in result.output

    result = CliRunner().invoke(main, ["eval", "--gold", str(gold), "--graph", str(graph), "--index", str(index), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["unjudged_triples"] == 1 and data["judged_triples"] == 7
    assert data["breakdown"]["region"]["taiwan"] == {
        "articles": 1, "relations_found": 0, "relations_required": 1, "correct_triples": 1, "judged_triples": 2,
        "unjudged_triples": 6, "relation_recall": 0.0, "relation_precision": 0.5, "relation_f1": 0.0,
        "forbidden_hits": 0}


def test_index_beside_the_gold_is_used_by_default(case):
    graph, gold, index = case
    plain = CliRunner().invoke(main, ["eval", "--gold", str(gold), "--graph", str(graph)])
    assert plain.exit_code == 0 and "region=" not in plain.output
    (gold.parent / "index.tsv").write_text(INDEX, encoding="utf-8")
    found = CliRunner().invoke(main, ["eval", "--gold", str(gold), "--graph", str(graph)])
    assert found.exit_code == 0, found.output
    assert "region=mainland" in found.output and "style=blog" in found.output


def test_gold_documents_missing_from_the_index_are_named(case, tmp_path):
    graph, gold, _ = case
    partial = tmp_path / "partial.tsv"
    partial.write_text("\n".join(INDEX.splitlines()[:3]) + "\n", encoding="utf-8")
    s = evaluate(graph, gold, partial)
    assert s.unindexed_docs == ["a3.txt"]
    assert "not in the index (in no group): a3.txt" in s.table()


@pytest.mark.parametrize("content, message", [
    (None, "not found"),
    ("", "empty"),
    ("file\turl\tdate\tregion\tchars\na1.txt\tu\td\tmainland\t1\n", "lacks column(s) style"),
    (INDEX + "a4.txt\tunknown\tunknown\tmainland\n", "column(s), the header has 6"),
    (INDEX + INDEX.splitlines()[1] + "\n", "listed twice"),
    ("file\turl\tdate\tregion\tstyle\tchars\n", "lists no article"),
    (b"file\turl\tdate\tregion\tstyle\tchars\na1.txt\t\xff\td\tr\ts\t1\n", "cannot read"),
])
def test_bad_index_is_one_line_exit_2(case, tmp_path, content, message):
    graph, gold, _ = case
    index = tmp_path / "bad-index.tsv"
    if isinstance(content, bytes):
        index.write_bytes(content)
    elif content is not None:
        index.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", "--gold", str(gold), "--graph", str(graph), "--index", str(index)])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error:") and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1 and message in result.output


def test_malformed_default_index_is_exit_2(case):
    graph, gold, _ = case
    (gold.parent / "index.tsv").write_text("file\tregion\na1.txt\tmainland\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", "--gold", str(gold), "--graph", str(graph)])
    assert result.exit_code == 2 and result.output.startswith("error:")
    assert len(result.output.strip().splitlines()) == 1


def test_index_directory_is_exit_2(case, tmp_path):
    graph, gold, _ = case
    result = CliRunner().invoke(main, ["eval", "--gold", str(gold), "--graph", str(graph), "--index", str(tmp_path)])
    assert result.exit_code == 2 and "not a file" in result.output


def test_load_index_rows(case):
    rows = load_index(case[2])
    assert [r["file"] for r in rows] == ["a1.txt", "a2.txt", "a3.txt"] and rows[1]["style"] == "blog"


# ---------------------------------------------------------------------- agreement with score.py


def independent(graph: Path, gold: Path, docs: list[str] | None = None) -> dict:
    cmd = [sys.executable, str(SHARED_SCORER), str(graph), "--gold", str(gold), "--json"]
    if docs:
        cmd += ["--docs", ",".join(docs)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.splitlines()[0])


def assert_same(ours, theirs: dict, where: str) -> None:
    mine = ours.as_dict()
    for key in ("relation_recall", "relation_precision", "relation_f1", "relations_required", "relations_found",
                "judged_triples", "unjudged_triples", "entity_type_recall", "forbidden_hits"):
        assert mine[key] == theirs[key], f"{where}: {key}"
    assert mine["recall_per_predicate"] == theirs["per_predicate"], where


def assert_agrees_with_score_py(graph: Path, gold: Path, index: Path) -> None:
    scores = evaluate(graph, gold, index)
    assert_same(scores, independent(graph, gold), "overall")
    rows = load_index(index)
    for g in scores.breakdown:
        docs = sorted(r["file"] for r in rows if r[g.dimension] == g.value)
        assert_same(g.scores, independent(graph, gold, docs), f"{g.dimension}={g.value}")


@needs_scorer
def test_agrees_with_score_py_on_the_made_up_case(case):
    assert_agrees_with_score_py(*case)


@pytest.mark.slow
@needs_scorer
@pytest.mark.skipif(not (DEV / "gold.tsv").exists(), reason="../shared/eval/dev not beside the repo")
def test_agrees_with_score_py_on_a_dev_rebuild(tmp_path):
    kg = Path(sys.executable).with_name("kg")
    cmd = [str(kg)] if kg.exists() else [sys.executable, "-m", "kg.cli"]
    out = tmp_path / "dev-exports"
    subprocess.run(cmd + ["rebuild", "--seeds", str(DEV), "--out", str(out), "--no-model", "-q"],
                   capture_output=True, text=True, check=True)
    graph, gold, index = out / "graph.ttl", DEV / "gold.tsv", DEV / "index.tsv"
    scores = evaluate(graph, gold, index)
    theirs = independent(graph, gold)
    assert scores.relation_precision == pytest.approx(theirs["relation_precision"], abs=0.0005)
    assert scores.relation_recall == pytest.approx(theirs["relation_recall"], abs=0.0005)
    assert scores.unjudged_triples == theirs["unjudged_triples"]
    assert_agrees_with_score_py(graph, gold, index)
