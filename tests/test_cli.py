"""The CLI is thin: exit codes and messages map library outcomes; every command is documented."""
from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from kg.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_cli_rebuild_writes_exports_and_summary(tmp_path):
    result = CliRunner().invoke(main, ["rebuild", "--seeds", str(ROOT / "seeds"), "--out", str(tmp_path), "--no-model", "-q"])
    assert result.exit_code == 0, result.output
    assert "entities:" in result.output and "relations:" in result.output
    for name in ("graph.ttl", "graph.nt", "graph.html", "report.md"):
        assert (tmp_path / name).stat().st_size > 0


def test_cli_rebuild_missing_dir_is_one_line_exit_2(tmp_path):
    result = CliRunner().invoke(main, ["rebuild", "--seeds", str(tmp_path / "missing"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert result.output.strip().startswith("error:") and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_cli_eval_prints_per_predicate(seed_graph_path):
    result = CliRunner().invoke(main, ["eval", "--gold", str(ROOT / "tests/data/seeds-gold.tsv"), "--graph", str(seed_graph_path)])
    assert result.exit_code == 0, result.output
    assert re.search(r"develops\s+\d+/\d+", result.output)
    assert "relations: P=" in result.output


def test_cli_every_command_has_help_and_readme_mention():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, command in main.commands.items():
        assert command.help, f"kg {name} has no help text"
        assert f"kg {name}" in readme, f"README does not mention `kg {name}`"
