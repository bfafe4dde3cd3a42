"""Where the project's resources are: the one module that knows.

The resources are the ontology (``ontology/``: kg.ttl, shapes.ttl, classes.tsv, lexicon.tsv, triggers.tsv,
patterns/rules.tsv), the trained models (``models/ner``, ``models/rel``), the named queries (``queries/``),
the NER training data (``data/ner``) and the page assets (``kg/assets``, package data). They are looked up
under one home directory, the first of:

1. ``$KG_HOME``, when set (read when kg is imported): a directory with the same layout, e.g. a copy of
   ``ontology/`` with a changed lexicon;
2. the source checkout the package runs from (``kg/..``: a clone, or an editable install);
3. ``<prefix>/share/cngpu-kg``, where a wheel installs them (``[tool.setuptools.data-files]`` in
   pyproject.toml), so a non-editable ``pip install .`` builds the seeds too.

Training and evaluation read files that only a checkout has (``seeds/``, ``tests/data``, ``../shared``):
they use :func:`checkout`.
"""
from __future__ import annotations

import os
import sysconfig
from importlib import resources as _importlib_resources
from pathlib import Path

ENV_HOME = "KG_HOME"
#: where a wheel puts the resources, under the installation's data prefix
SHARE_DIR = "share/cngpu-kg"
_MARKER = Path("ontology") / "kg.ttl"


def checkout() -> Path:
    """The directory above the ``kg`` package: the repository root in a clone or an editable install."""
    return Path(__file__).resolve().parents[1]


def home() -> Path:
    """The resource home: ``$KG_HOME``, else the checkout when it has ``ontology/kg.ttl``, else the
    installed share directory (else the checkout again, so that messages name a real place)."""
    env = os.environ.get(ENV_HOME)
    if env:
        return Path(env).expanduser().resolve()
    source = checkout()
    if (source / _MARKER).is_file():
        return source
    installed = Path(sysconfig.get_path("data")) / SHARE_DIR
    if (installed / _MARKER).is_file():
        return installed
    return source


def ontology_dir() -> Path:
    return home() / "ontology"


def lexicon_path() -> Path:
    return ontology_dir() / "lexicon.tsv"


def triggers_path() -> Path:
    return ontology_dir() / "triggers.tsv"


def rules_path() -> Path:
    return ontology_dir() / "patterns" / "rules.tsv"


def models_dir() -> Path:
    return home() / "models"


def ner_model_dir() -> Path:
    return models_dir() / "ner"


def relation_model_dir() -> Path:
    return models_dir() / "rel"


def queries_dir() -> Path:
    return home() / "queries"


def ner_data_dir() -> Path:
    return home() / "data" / "ner"


def assets_dir() -> Path:
    """The HTML/JS assets: package data of ``kg`` itself (always installed with it)."""
    return Path(str(_importlib_resources.files("kg").joinpath("assets")))


__all__ = ["ENV_HOME", "SHARE_DIR", "home", "checkout", "ontology_dir", "lexicon_path", "triggers_path", "rules_path",
           "models_dir", "ner_model_dir", "relation_model_dir", "queries_dir", "ner_data_dir", "assets_dir"]
