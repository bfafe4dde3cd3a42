"""ontology/triggers.tsv: the rules' trigger words, spelt once, checked on load."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from kg.errors import ConfigError
from kg.claims.triggers import DEFAULT_PATH, read_triggers

KG = Path(__file__).resolve().parents[1] / "kg"


def _used_classes() -> set[str]:
    """Classes named by the Python frames (trigger("x")) and by the rule table's patterns (<x>)."""
    from kg.claims.rules.table import DEFAULT_PATH as RULES, read_table
    used = set()
    for path in KG.rglob("*.py"):
        used |= set(re.findall(r"trigger\(\s*[\"'](\w+)[\"']\s*\)", path.read_text(encoding="utf-8")))
    for row in read_table(RULES):
        used |= set(re.findall(r"<(\w+)>", row.pattern))
    return used


def test_every_class_the_rules_use_is_in_the_file_and_every_class_is_used():
    classes = read_triggers(DEFAULT_PATH)
    used = _used_classes()
    assert used, "no rule names a trigger class"
    assert used <= set(classes), used - set(classes)
    assert set(classes) <= used, f"unused trigger classes: {set(classes) - used}"


def test_a_word_is_spelt_once_per_class():
    for name, words in read_triggers(DEFAULT_PATH).items():
        assert len(words) == len(set(words)), name


@pytest.mark.parametrize("body, needle", [
    ("develop\t推出 (发布\tbad", "line 2: '(发布' is not a valid pattern"),
    ("develop\t\tempty", "line 2: class 'develop' has no words"),
    ("develop\t推出\tx\ndevelop\t发布\ty", "line 3: class 'develop' given twice"),
    ("Develop\t推出\tx", "line 2: bad class name 'Develop'"),
])
def test_bad_rows_are_rejected_with_file_and_line(tmp_path, body, needle):
    path = tmp_path / "triggers.tsv"
    path.write_text("class\twords\tmeaning\n" + body + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        read_triggers(path)
    assert f"triggers.tsv {needle}" in str(error.value)


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="trigger words not found"):
        read_triggers(tmp_path / "none.tsv")
