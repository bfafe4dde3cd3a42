"""ontology/patterns/rules.tsv: one row per rule; every example is a test, the table is checked at start-up."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from kg.errors import ConfigError
from kg.ontology import Ontology
from kg.claims.rules import FIGURE_FRAMES, FRAMES, check_rules
from kg.claims.rules.table import DEFAULT_PATH, check_table, read_table

from test_relations import Reader

KG = Path(__file__).resolve().parents[1] / "kg"
ROWS = read_table(DEFAULT_PATH)


@pytest.fixture(scope="module")
def reader():
    return Reader()


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.id)
def test_every_rule_example_gives_its_triple(row, reader):
    claims = reader.claims(row.example)
    expected = reader.parse(row.expect)
    assert expected <= claims, f"{row.id}: expected {expected}, got {sorted(claims)}"


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.id)
def test_every_rule_example_is_given_by_its_own_rule(row, reader):
    """The example must exercise the row's rule, not another rule giving the same triple."""
    from kg.model import Article, OffsetMap, Sentence
    from kg.claims.relations import extract_claims
    text = row.example
    norm = reader.normalizer.normalize(text)
    article = Article("case.txt", 0, None, text, OffsetMap(), True, 1.0)
    claims = extract_claims(Sentence(article, 0, len(text), text), norm, reader.finder.find(text, norm))
    assert row.id in {c.rule for c in claims}, f"{row.id} did not fire on its example"


def test_rule_ids_in_code_and_table_agree():
    """A Python frame's rule ids are in its code; a pattern row's rule is the row alone."""
    in_code = set()
    for path in KG.rglob("*.py"):
        in_code |= set(re.findall(r'"(rule:[a-z][a-z0-9.\-]*)"', path.read_text(encoding="utf-8")))
    in_code.discard("rule:acquired.list")   # the example id in kg/model.py's docstring
    patterns = {r.id for r in ROWS if r.frame.startswith("patterns.")}
    assert patterns and not (in_code & patterns)
    assert in_code | patterns == {r.id for r in ROWS}


def test_shipped_table_fits_the_vocabulary():
    check_rules(Ontology.load())


def _table_with(tmp_path, old: str, new: str) -> Path:
    path = tmp_path / "rules.tsv"
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize("old, new, needle", [
    ("\tdevelops\tOrganization\tProduct\t0.85\t", "\tdevelop\tOrganization\tProduct\t0.85\t", "predicate 'develop' is not in the vocabulary"),
    ("\tlistedOn\tCompany\tExchange\t", "\tlistedOn\tCompany\tMarket\t", "listedOn: range is Exchange, got Market"),
    ("\tlistedOn\tCompany\tExchange\t", "\tlistedOn\tCompany\tBourse\t", "class 'Bourse' is not in the vocabulary"),
    ("rule:listed\tcorporate.listed\t", "rule:listed\tcorporate.listing\t", "no frame 'corporate.listing'"),
    # the pattern column (kg/claims/rules/patterns.py)
    ("\tS <acquire> ~14 O+", "\tS <acquires> ~14 O+", "no trigger class 'acquires'"),
    ("\tS <acquire> ~14 O+", "\tS <acquire> ~14 X+", "cannot read"),
    ("\tS <acquire> ~14 O+", "\tS <acquire> ~14 S", "needs one S and one O"),
    ("\tS <acquire> ~14 O+", "\t", "frame patterns.verb needs a pattern"),
    ("\t沐曦 develops MXN100", "\t沐曦 develops MXN100\tS O", "only patterns.* frames read a pattern"),
])
def test_start_up_rejects_a_row_that_does_not_fit(tmp_path, old, new, needle):
    path = _table_with(tmp_path, old, new)
    with pytest.raises(ConfigError) as error:
        check_table(read_table(path), set(FRAMES) | FIGURE_FRAMES, Ontology.load(), path)
    message = str(error.value)
    assert needle in message and re.search(r"rules\.tsv line \d+", message), message


@pytest.mark.parametrize("text, expected", [
    ("英偉達收購了Mellanox。", {("Nvidia", "acquired", "Mellanox")}),
    ("英偉達計劃收購Arm。", set()),                                   # a plan: modality blocks the verb frame
    ("賽靈思被AMD所收購。", {("AMD", "acquired", "Xilinx")}),
    ("總部設在上海的壁仞科技發布了BR100。", {("Biren", "locatedIn", "Shanghai")}),
    ("格蘭菲是兆芯的子公司，格蘭菲的母公司兆芯也發布了新品。", {("Glenfly", "subsidiaryOf", "Zhaoxin")}),
])
def test_pattern_rules_read_structure_not_one_sentence(reader, text, expected):
    got = {c for c in reader.claims(text) if c[1] in ("acquired", "locatedIn", "subsidiaryOf")}
    assert expected <= got and (expected or not got), got


@pytest.mark.parametrize("old, new, needle", [
    ("\t0.85\t", "\t1.5\t", "confidence must be a number in (0, 1]"),
    ("rule:develops.possessive\t", "rule:develops.adjacent\t", "rule id 'rule:develops.adjacent' given twice"),
])
def test_malformed_rows_are_rejected_with_file_and_line(tmp_path, old, new, needle):
    path = _table_with(tmp_path, old, new)
    with pytest.raises(ConfigError) as error:
        read_table(path)
    assert needle in str(error.value) and "rules.tsv line" in str(error.value)


def test_a_row_without_example_is_rejected(tmp_path):
    row = ROWS[0]
    path = _table_with(tmp_path, f"\t{row.example}\t{row.expect}", "\t\t")
    with pytest.raises(ConfigError, match="needs an example sentence"):
        read_table(path)


def test_pipeline_start_up_refuses_a_bad_table_with_file_and_line(tmp_path, monkeypatch):
    import kg.claims.rules.table as table
    from kg.pipeline import BuildOptions, Pipeline

    bad = _table_with(tmp_path, "rule:listed\tcorporate.listed\tlistedOn\tCompany\tExchange\t",
                      "rule:listed\tcorporate.listed\tlistedOn\tCompany\tMarket\t")
    monkeypatch.setattr(table, "DEFAULT_PATH", bad)
    with pytest.raises(ConfigError, match=r"rules\.tsv line \d+ \(rule:listed\): listedOn: range is Exchange, got Market"):
        Pipeline(BuildOptions(use_model=False))
