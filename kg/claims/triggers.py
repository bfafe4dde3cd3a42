"""Trigger words of the relation rules (`ontology/triggers.tsv`): spelt once, named by class.

    from kg.claims.triggers import trigger
    DEVELOP_VERB = re.compile(trigger("develop"))          # 推出|发布|研发|…
    COMPARE_VERB = re.compile(f"(?:{trigger('compare')})(?:了)?$")

A class is a list of words over the normalised Simplified text; each word is a regular-expression
alternative (a lookahead may narrow it). The file is read and checked once, on first use: a malformed
row, an empty class, a word that is not a valid pattern or a class the rules ask for that the file lacks
is a :class:`~kg.errors.ConfigError` naming the file and line.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from kg import resources
from kg.errors import ConfigError

DEFAULT_PATH = resources.triggers_path()
HEADER = ["class", "words", "meaning"]
_NAME = re.compile(r"^[a-z][a-z_]*$")


def read_triggers(path: Path) -> dict[str, tuple[str, ...]]:
    """Trigger classes of ``path``; every problem at once in one ConfigError."""
    if not path.is_file():
        raise ConfigError(f"trigger words not found: {path}")
    problems: list[str] = []
    classes: dict[str, tuple[str, ...]] = {}
    header_seen = False
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        where = f"{path.name} line {lineno}"
        if not header_seen:
            header_seen = True
            if cells[:len(HEADER)] != HEADER:
                problems.append(f"{where}: the header must be {' '.join(HEADER)}")
            continue
        if len(cells) < 2:
            problems.append(f"{where}: expected class<TAB>words<TAB>meaning")
            continue
        name, words = cells[0].strip(), cells[1].split()
        if not _NAME.match(name):
            problems.append(f"{where}: bad class name {name!r}")
        elif name in classes:
            problems.append(f"{where}: class {name!r} given twice")
        if not words:
            problems.append(f"{where}: class {name!r} has no words")
        for word in words:
            try:
                re.compile(word)
            except re.error as error:
                problems.append(f"{where}: {word!r} is not a valid pattern ({error})")
        classes[name] = tuple(words)
    if problems:
        raise ConfigError("trigger words have problems:\n  " + "\n  ".join(problems))
    return classes


@lru_cache(maxsize=None)
def _classes(path: Path = DEFAULT_PATH) -> dict[str, tuple[str, ...]]:
    return read_triggers(path)


def words(name: str) -> tuple[str, ...]:
    """The words of one trigger class."""
    classes = _classes()
    if name not in classes:
        raise ConfigError(f"{DEFAULT_PATH.name}: no trigger class {name!r} (the rules use it)")
    return classes[name]


def trigger(name: str) -> str:
    """One trigger class as a regular-expression alternation (longest words first)."""
    return "|".join(sorted(words(name), key=len, reverse=True))
