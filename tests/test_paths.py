"""kg path (issue 13): shortest connections between two entities, each hop with its evidence."""
from __future__ import annotations

import json

import pytest

from kg.errors import InputError
from kg.paths import find_paths, format_paths


def test_two_companies_listed_on_one_board(seed_graph_path):
    paths = find_paths(seed_graph_path, "摩爾線程", "沐曦")
    assert paths and paths[0].entities == ("MooreThreads", "STARMarket", "MetaX")
    first, second = paths[0].hops
    assert first.predicate == "listedOn" and first.forward and not second.forward
    assert "科创板" in first.sentence and first.document.endswith(".txt")
    text = format_paths(paths, "摩爾線程", "沐曦")
    assert "摩爾線程 —listedOn→ 上海科創板" in text and "上海科創板 ←listedOn— 沐曦" in text


def test_names_in_any_script_or_the_id(seed_graph_path):
    assert find_paths(seed_graph_path, "摩尔线程", "MetaX")[0].entities[-1] == "MetaX"


def test_a_long_way_round_says_how_long(seed_graph_path):
    with pytest.raises(InputError, match=r"has \d+ hops; raise --max-hops"):
        find_paths(seed_graph_path, "摩爾線程", "台積電", max_hops=2)
    paths = find_paths(seed_graph_path, "摩爾線程", "台積電", max_hops=12)
    assert paths and paths[0].entities[0] == "MooreThreads" and paths[0].entities[-1] == "TSMC"
    assert all(hop.sentence for hop in paths[0].hops)


def test_json_and_unknown_names(seed_graph_path):
    data = json.loads(format_paths(find_paths(seed_graph_path, "摩爾線程", "沐曦"), "a", "b", as_json=True))
    assert data[0]["hops"][0]["predicate"] == "listedOn"
    with pytest.raises(InputError, match="no entity called"):
        find_paths(seed_graph_path, "不存在的公司", "沐曦")


def test_cli_path(seed_graph_path):
    from click.testing import CliRunner

    from kg.cli import main

    runner = CliRunner()
    done = runner.invoke(main, ["path", "摩爾線程", "沐曦", "--graph", str(seed_graph_path)])
    assert done.exit_code == 0 and "—listedOn→" in done.output
    as_json = runner.invoke(main, ["path", "摩爾線程", "沐曦", "--graph", str(seed_graph_path), "--format", "json"])
    assert json.loads(as_json.output)[0]["entities"][0] == "MooreThreads"
    missing = runner.invoke(main, ["path", "摩爾線程", "不存在的公司", "--graph", str(seed_graph_path)])
    assert missing.exit_code == 2 and "no entity called" in missing.output
