"""The vocabulary of the graph, in one place: every class and property name the code uses comes from here.

Read from ``ontology/kg.ttl`` (classes, superclasses, object and datatype properties with domain and
range, labels in zh-Hant / zh-Hans / en) through :class:`kg.ontology.Ontology`, the one subclass
reasoner, plus ``ontology/classes.tsv`` for what kg.ttl does not say: each entity class's colour and
shape in the HTML views, whether the lexicon may name it, its position among the NER model's labels,
and the project's class order (rdflib does not keep kg.ttl's). Property order is the core order of
``kg.ontology.REQUIRED_*`` then any property kg.ttl adds, by name.

    from kg.vocabulary import vocabulary
    voc = vocabulary()                    # the default kg.ttl, parsed once per process
    voc.is_a("Chip", "Product")           # True
    voc.label("Chip", "zh-Hant")          # 晶片
    voc.domain("develops")                # frozenset({'Organization'})

A new class is a block in kg.ttl and a row in classes.tsv; no Python changes. ``tests/test_vocabulary.py``
fails when a Python module types a class or property name list of its own.
"""
from __future__ import annotations

import csv
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import RDFS

from kg.errors import ConfigError
from kg.ontology import (DEFAULT_DIR, REQUIRED_DATATYPE_PROPERTIES, REQUIRED_OBJECT_PROPERTIES, TBOX_FILE,
                         Ontology, local_name, parse_turtle)

CLASSES_FILE = "classes.tsv"
CLASSES_HEADER = ["class", "colour", "shape", "lexicon", "ner"]
#: the scripts labels are kept in, as BCP 47 tags of kg.ttl's rdfs:label literals
SCRIPTS = ("zh-Hant", "zh-Hans", "en")


def _ordered(names: Iterable[str], core: Iterable[str]) -> tuple[str, ...]:
    """``names`` in the core order, then the others by name."""
    names = set(names)
    first = [n for n in core if n in names]
    return (*first, *sorted(names - set(first)))


class Vocabulary:
    """Classes, properties and labels of one kg.ttl. Immutable; build with :meth:`load` or :func:`vocabulary`."""

    def __init__(self, ontology: Ontology, rows: list[dict[str, str]], source: Path | None = None):
        self.ontology = ontology
        where = f"{source or CLASSES_FILE}"
        entity = ontology.entity_classes
        listed = [r["class"] for r in rows]
        problems = [f"{where}: {c} is not an entity class of {TBOX_FILE}" for c in listed if c not in entity]
        problems += [f"{where}: {TBOX_FILE} class {c} has no row" for c in sorted(entity - set(listed))]
        problems += [f"{where}: {c} has two rows" for c in sorted({c for c in listed if listed.count(c) > 1})]
        ner = {}
        for r in rows:
            if r["lexicon"] not in ("yes", "no"):
                problems.append(f"{where}: {r['class']}: lexicon must be yes or no, not {r['lexicon']!r}")
            if r["ner"]:
                if not r["ner"].isdigit():
                    problems.append(f"{where}: {r['class']}: ner must be a position (1, 2, ...) or empty")
                else:
                    ner[r["class"]] = int(r["ner"])
        if sorted(ner.values()) != list(range(1, len(ner) + 1)):
            problems.append(f"{where}: the ner positions must be 1..{len(ner)}, each once")
        if problems:
            raise ConfigError("the class table has problems:\n  " + "\n  ".join(problems))

        #: entity classes, in the project's class order (classes.tsv)
        self.entity_classes: tuple[str, ...] = tuple(listed)
        #: class -> its direct superclass, for entity classes that have one
        self.superclass: dict[str, str] = {}
        for c in listed:
            parents = sorted(ontology.parents(c) & entity)
            if parents:
                self.superclass[c] = parents[0]
        #: entity class -> the classes its entities are typed with in the graph: itself, and both parents of
        #: a class with two (an InstructionSet is also typed Architecture and Technology, for queries
        #: and scorers without RDFS inference); the class itself comes first
        self.typed_as: dict[str, tuple[str, ...]] = {}
        for c in listed:
            parents = sorted(ontology.parents(c) & entity)
            self.typed_as[c] = (c, *parents) if len(parents) > 1 else (c,)
        #: entity class -> itself and its superclasses
        self.ancestors: dict[str, frozenset[str]] = {c: ontology.ancestors(c) & entity for c in listed}
        #: classes a lexicon row may have (the others are found by patterns only)
        self.lexicon_classes: tuple[str, ...] = tuple(r["class"] for r in rows if r["lexicon"] == "yes")
        #: the NER model's labels, in the order of its tags
        self.ner_labels: tuple[str, ...] = tuple(sorted(ner, key=ner.__getitem__))
        self._style = {r["class"]: (r["colour"], r["shape"]) for r in rows}
        #: legend order: every class after its subclasses, otherwise in class order
        order: list[str] = []

        def visit(c: str) -> None:
            for child in listed:
                if self.superclass.get(child) == c:
                    visit(child)
            order.append(c)

        for c in listed:
            if c not in self.superclass:
                visit(c)
        self.legend_classes: tuple[str, ...] = tuple(order)

        self.object_properties: tuple[str, ...] = _ordered(ontology.object_properties, REQUIRED_OBJECT_PROPERTIES)
        self.datatype_properties: tuple[str, ...] = _ordered(ontology.datatype_properties, REQUIRED_DATATYPE_PROPERTIES)
        self.provenance_properties: frozenset[str] = ontology.provenance_properties
        self.symmetric: frozenset[str] = ontology.symmetric
        #: classes that are not entity classes (Document, Evidence, ProvenanceProperty)
        self.other_classes: frozenset[str] = ontology.classes - entity

        labels: dict[str, dict[str, str]] = {}
        for subject, label in ontology.tbox.subject_objects(RDFS.label):
            if isinstance(subject, URIRef) and isinstance(label, Literal) and (name := local_name(subject)):
                labels.setdefault(name, {}).setdefault((label.language or "").lower(), str(label))
        self._labels = labels

    # ------------------------------------------------------------------ loading

    @classmethod
    def load(cls, ontology_dir: Path | str | None = None) -> "Vocabulary":
        """kg.ttl and classes.tsv of ``ontology_dir`` (default: the project's ``ontology/``); kg.ttl is
        only parsed here: :meth:`kg.ontology.Ontology.load` is the full check a build runs first."""
        directory = Path(ontology_dir or DEFAULT_DIR)
        problems: list[str] = []
        tbox = parse_turtle(directory / TBOX_FILE, problems)
        if tbox is None:
            raise ConfigError(f"the ontology in {directory} cannot be read: {'; '.join(problems)}")
        from rdflib import Graph

        return cls.from_ontology(Ontology(tbox, Graph(), directory))

    @classmethod
    def from_ontology(cls, ontology: Ontology) -> "Vocabulary":
        """The vocabulary of a loaded ontology, with the classes.tsv next to its kg.ttl."""
        return cls(ontology, read_class_table(Path(ontology.directory) / CLASSES_FILE),
                   Path(ontology.directory) / CLASSES_FILE)

    # ------------------------------------------------------------------ questions

    @property
    def classes(self) -> frozenset[str]:
        """Every class kg.ttl declares (entity classes, Document, Evidence, ProvenanceProperty)."""
        return self.ontology.classes

    @property
    def properties(self) -> tuple[str, ...]:
        """Object then datatype properties (no provenance ones), each in core order."""
        return (*self.object_properties, *self.datatype_properties)

    @property
    def terms(self) -> frozenset[str]:
        """Every kg: local name kg.ttl declares: classes and all properties."""
        return frozenset(self.classes | set(self.properties) | self.provenance_properties)

    def is_a(self, cls: str, ancestor: str) -> bool:
        """True when ``cls`` is ``ancestor`` or one of its subclasses."""
        return self.ontology.is_subclass(cls, ancestor)

    def most_specific(self, classes) -> str:
        """Of the classes one entity is typed with (``typed_as``), the one the others are parents of."""
        found = sorted(classes)
        return next((c for c in found if all(self.is_a(c, other) for other in found)), found[0])

    def family(self, cls: str) -> str:
        """The direct superclass of ``cls``, else ``cls`` itself."""
        return self.superclass.get(cls, cls)

    def domain(self, prop: str) -> frozenset[str]:
        return self.ontology.domain(prop)

    def range(self, prop: str) -> frozenset[str]:
        return self.ontology.range(prop)

    def style(self, cls: str) -> tuple[str, str] | None:
        """(colour, vis-network shape) of an entity class, None for a name classes.tsv does not list."""
        return self._style.get(cls)

    def label(self, term: str, script: str = "zh-Hant") -> str:
        """The ``rdfs:label`` of a class or property in ``script`` (zh-Hant, zh-Hans, en), else in English,
        else the local name itself."""
        found = self._labels.get(term, {})
        return found.get(script.lower()) or found.get("en") or term

    def labels(self, script: str = "zh-Hant") -> dict[str, str]:
        """``{local name: label}`` of every labelled class and property, see :meth:`label`."""
        return {name: self.label(name, script) for name in sorted(self._labels)}

    def __repr__(self) -> str:
        return (f"Vocabulary({self.ontology.directory}, {len(self.entity_classes)} entity classes, "
                f"{len(self.object_properties)} relations, {len(self.datatype_properties)} figures)")


def read_class_table(path: Path) -> list[dict[str, str]]:
    """The rows of classes.tsv (comment lines start with ``#``), as dicts keyed by the header."""
    if not path.is_file():
        raise ConfigError(f"class table not found: {path}")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE) if r and not r[0].startswith("#")]
    if not rows or rows[0][:len(CLASSES_HEADER)] != CLASSES_HEADER:
        raise ConfigError(f"{path}: first line must be the header {' '.join(CLASSES_HEADER)}")
    return [dict(zip(CLASSES_HEADER, (c.strip() for c in row + [""] * len(CLASSES_HEADER)))) for row in rows[1:]]


@lru_cache(maxsize=None)
def vocabulary(ontology_dir: Path | None = None) -> Vocabulary:
    """The vocabulary of ``ontology_dir`` (default: the project's), loaded once per process."""
    return Vocabulary.load(ontology_dir)


__all__ = ["Vocabulary", "vocabulary", "read_class_table", "CLASSES_FILE", "SCRIPTS"]
