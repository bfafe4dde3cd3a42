"""End-to-end behaviour of `build`: bad input, atomic publishing, determinism, provenance offsets."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import rdflib

from kg.errors import InputError
from kg.namespaces import KG
from kg.pipeline import BuildOptions, build

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
RULES = BuildOptions(use_model=False, formats=("turtle", "ntriples", "report"))
GPU_TEXT = "英偉達H100芯片採用台積電4納米工藝，集成800億晶體管。沐曦的MXN100採用7納米製程，已在推理側得到應用。\n"


def test_pipeline_missing_seeds_dir_is_input_error(tmp_path):
    with pytest.raises(InputError, match="not found"):
        build(tmp_path / "nope", tmp_path / "out", RULES)


def test_pipeline_empty_seeds_dir_is_input_error(tmp_path):
    (tmp_path / "seeds").mkdir()
    with pytest.raises(InputError, match="no articles"):
        build(tmp_path / "seeds", tmp_path / "out", RULES)


def test_pipeline_bad_files_reported_rest_built(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a_empty.txt").write_bytes(b"")
    (seeds / "b_binary.txt").write_bytes(bytes(range(256)) * 40)
    (seeds / "c_gb18030.txt").write_bytes(GPU_TEXT.replace("英偉達", "英伟达").encode("gb18030"))
    (seeds / "d_big5.txt").write_bytes(GPU_TEXT.encode("big5"))
    report = build(seeds, tmp_path / "out", RULES)
    assert report.exit_code == 0
    problems = "\n".join(report.problems)
    assert "a_empty.txt" in problems and "b_binary.txt" in problems
    graph = rdflib.Graph().parse(tmp_path / "out" / "graph.ttl")
    encodings = {str(o) for o in graph.objects(None, KG.encoding)}
    assert {"gb18030", "big5"} <= encodings
    assert len(list(graph.subject_objects(KG.develops))) >= 2


def test_pipeline_nothing_buildable_keeps_previous_exports(tmp_path):
    out = tmp_path / "out"
    build(SEEDS, out, RULES)
    before = (out / "graph.ttl").read_bytes()
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.txt").write_bytes(b"\x00\x01\x02" * 100)
    with pytest.raises(InputError, match="nothing could be built"):
        build(bad, out, RULES)
    assert (out / "graph.ttl").read_bytes() == before
    assert not [p for p in out.iterdir() if p.name.startswith(".staging")]


def test_pipeline_deterministic_across_runs_and_orderings(tmp_path):
    first, second = tmp_path / "s1", tmp_path / "s2"
    first.mkdir()
    second.mkdir()
    for path in sorted(SEEDS.glob("*.txt")):
        shutil.copy(path, first / path.name)
    for path in sorted(SEEDS.glob("*.txt"), reverse=True):
        shutil.copy(path, second / path.name)
    build(first, tmp_path / "o1", RULES)
    build(second, tmp_path / "o2", RULES)
    for name in ("graph.ttl", "graph.nt"):
        assert (tmp_path / "o1" / name).read_bytes() == (tmp_path / "o2" / name).read_bytes()


def test_pipeline_evidence_offsets_point_into_the_file(tmp_path):
    build(SEEDS, tmp_path / "out", RULES)
    graph = rdflib.Graph().parse(tmp_path / "out" / "graph.ttl")
    checked = 0
    for ev in graph.subjects(rdflib.RDF.type, KG.Evidence):
        doc = graph.value(ev, KG.document)
        name = str(graph.value(doc, KG.fileName))
        start, end = int(graph.value(ev, KG.startOffset)), int(graph.value(ev, KG.endOffset))
        original = (SEEDS / name).read_text(encoding="utf-8")[start:end]
        sentence = str(graph.value(ev, KG.sentence))
        # cleaning only deletes characters (line breaks inside words, a chart title printed mid-sentence),
        # so the sentence is a subsequence of the original span
        remaining = iter(original)
        assert all(ch in remaining for ch in sentence if not ch.isspace()), (sentence, original)
        checked += 1
    assert checked > 50


def test_pipeline_unrelated_columns_give_nothing(tmp_path):
    build(SEEDS, tmp_path / "out", RULES)
    text = (tmp_path / "out" / "graph.ttl").read_text(encoding="utf-8")
    for name in ("中金公司", "世紀21", "聯儲局", "特區政府", "外資投資基金", "利嘉閣", "房屋委員會", "兩融", "人民銀行"):
        assert name not in text


@pytest.mark.slow
def test_pipeline_50mb_single_line_file(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    line = GPU_TEXT.strip().replace("\n", "")
    with (seeds / "huge.txt").open("w", encoding="utf-8") as handle:
        for _ in range(50_000_000 // len(line.encode("utf-8")) + 1):
            handle.write(line)
    (seeds / "ok.txt").write_text(GPU_TEXT, encoding="utf-8")
    report = build(seeds, tmp_path / "out", BuildOptions(use_model=False, validate=False, formats=("ntriples", "report")))
    assert report.exit_code == 0
    assert (tmp_path / "out" / "graph.nt").stat().st_size > 0


def test_pipeline_report_lists_dropped_columns(tmp_path):
    build(SEEDS, tmp_path / "out", RULES)
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "| 000_01e9f8b696474cfd.txt | 國產算力GPGPU的挑戰與機遇 | yes |" in report
    assert "流動性充裕 A股兩融再破2萬億 | no |" in report


def test_every_build_is_validated_and_a_failing_graph_still_exports(tmp_path):
    """SHACL runs on every build (beside the exports, in a thread): a graph that fails the shapes gives
    exit code 1, the SHACL report in report.md, and the exports all the same."""
    from kg.ontology import DEFAULT_DIR

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.txt").write_text(GPU_TEXT, encoding="utf-8")
    assert build(seeds, tmp_path / "ok", RULES).shacl == "conforms"

    strict = tmp_path / "ontology"
    shutil.copytree(DEFAULT_DIR, strict)
    shapes = (strict / "shapes.ttl").read_text(encoding="utf-8")
    # every evidence record must now name two documents: none does
    shapes = shapes.replace("sh:path kg:document ;\n        sh:minCount 1 ; sh:maxCount 1 ;",
                            "sh:path kg:document ;\n        sh:minCount 2 ;")
    assert "sh:minCount 2" in shapes
    (strict / "shapes.ttl").write_text(shapes, encoding="utf-8")
    options = BuildOptions(use_model=False, ontology_dir=strict, formats=("turtle", "ntriples", "report"))
    report = build(seeds, tmp_path / "bad", options)
    assert report.shacl == "DOES NOT CONFORM" and report.exit_code == 1
    assert (tmp_path / "bad" / "graph.ttl").read_bytes() == (tmp_path / "ok" / "graph.ttl").read_bytes()
    assert "## SHACL report" in (tmp_path / "bad" / "report.md").read_text(encoding="utf-8")
