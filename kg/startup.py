"""Start-up: every resource a build reads, loaded and checked once, every problem collected.

A build starts only when the ontology, the lexicon and the rule table load and fit each other, and a model
that was asked for can be read; otherwise :func:`raise_problems` raises one :class:`~kg.errors.ConfigError`
listing them all (exit 2) before any work. A NER or relation model that cannot be loaded is a warning and a
rules-only build, unless ``--require-model`` makes it a problem.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from kg.errors import ConfigError

Loaded = TypeVar("Loaded")


def collect(loader: Callable[[], Loaded], problems: list[str]) -> Loaded | None:
    """What ``loader`` loads, or None with its ConfigError's message added to ``problems``."""
    try:
        return loader()
    except ConfigError as error:
        problems.append(str(error))
        return None


def load_ner_model(model_dir: Path | None, problems: list[str]):
    """(the NER model, its note for the report), or (None, why not): the shipped model when ``model_dir`` is
    None (its absence only a note), else the one in ``model_dir`` (its absence a problem)."""
    try:
        from kg.mentions.ner import NerModel
    except ImportError:
        return None, "not installed"
    try:
        model = NerModel.load(model_dir)
    except ConfigError as error:
        if model_dir is not None:
            problems.append(str(error))
        return None, f"unavailable ({error}); rules only"
    return model, model.name


def load_relation_model(directory: Path | None, problems: list[str], required: bool):
    """(the relation model, its note for the report), or (None, why not): a model not trained, or that would
    never speak, is left out; one that cannot be loaded is a problem when ``required`` or named."""
    from kg.claims.relation_model import DEFAULT_MODEL_DIR, RelationModel

    if directory is None and not required and not (DEFAULT_MODEL_DIR / "model.json").is_file():
        return None, "not trained (`kg train --relations-only`)"
    try:
        model = RelationModel.load(directory)
    except ConfigError as error:
        if required or directory is not None:
            problems.append(str(error))
        return None, f"unavailable ({error})"
    if model.threshold > 1.0:   # it would never speak: do not spend the time asking it
        return None, f"{model.name} silent (no threshold kept the rules' precision on held-out training articles)"
    return model, f"{model.name} (threshold {model.threshold:.2f})"


def model_warning(note: str, require_model: bool, problems: list[str], warnings: list[str]) -> None:
    """A model that could not be loaded: a problem under ``--require-model``, else a warning line."""
    note = note.removesuffix("; rules only")
    if require_model:
        problems.append(f"{note} (--require-model)")
    else:
        warnings.append(f"{note}; this build used the rules only in its place "
                        "(`kg rebuild --require-model` makes this an error)")


def raise_problems(problems: list[str]) -> None:
    """One ConfigError naming every problem (one line for one), if there are any."""
    if len(problems) == 1 and "\n" not in problems[0]:
        raise ConfigError(f"cannot start: {problems[0]}")
    if problems:
        raise ConfigError("cannot start:\n  " + "\n  ".join(problems))
