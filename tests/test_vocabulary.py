"""One vocabulary: class and property names reach the code from ontology/kg.ttl (kg.vocabulary) only.

``test_no_vocabulary_list_typed_into_code`` scans every module of ``kg/`` for list, tuple, set and dict
displays holding two or more names of kg.ttl's entity classes or domain properties (object and datatype
properties; provenance properties such as ``document`` or ``confidence`` double as column names and are
not counted). Such a display is a copy of the vocabulary that drifts from kg.ttl; take the names from
:func:`kg.vocabulary.vocabulary` instead. Allowed, and why:

* :data:`VOCABULARY_MODULES`: the vocabulary itself (kg.ttl's reader, and the fixed core of
  ../shared/ontology-core.md that kg.ttl is checked against);
* :data:`RULE_MODULES`: the extraction rules, whose class tuples say which classes a pattern accepts
  (``MAKER = ("Company", "ResearchInstitution")``) and whose claims name their predicate
  (``(subject, "develops", product, "rule:…")``): rule logic, not a copy of the vocabulary;
* :data:`ALLOWED`: a few named class selections that are behaviour of one stage, each with its reason.

A display with a single name (a class given as the one argument of a test, ``is_a(("Organization",))``, a
claim tuple) is never counted.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from kg.ontology import Ontology
from kg.vocabulary import Vocabulary, read_class_table, vocabulary

KG_DIR = Path(__file__).resolve().parents[1] / "kg"

VOCABULARY_MODULES = {"kg/vocabulary.py", "kg/ontology.py"}
RULE_MODULES = {"kg/mentions/context.py", "kg/claims/sentence_view.py", "kg/mentions/finder.py", "kg/claims/figures.py", "kg/claims/relations.py"}
RULE_PACKAGES = ("kg/claims/rules/",)
#: (module, assigned name) -> why the class names are there
ALLOWED = {
    ("kg/mentions/ner.py", "_GENERIC_OK"): "the junk filter's exception for classes whose names are ordinary words",
    ("kg/training/train.py", "SHAPED"): "augmentation: classes whose synthetic names have a recognisable shape",
}


def _displays(tree: ast.AST):
    """(assigned name or None, node) for every list/tuple/set/dict display."""
    named: dict[int, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and node.value is not None:
                    for inner in ast.walk(node.value):
                        named.setdefault(id(inner), target.id)
    for node in ast.walk(tree):
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            yield named.get(id(node)), node, node.elts
        elif isinstance(node, ast.Dict):
            yield named.get(id(node)), node, [k for k in node.keys if k is not None] + list(node.values)


def _copies(root: Path, names: frozenset[str]) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = f"kg/{path.relative_to(root).as_posix()}"
        if rel in VOCABULARY_MODULES or rel in RULE_MODULES or rel.startswith(RULE_PACKAGES):
            continue
        for assigned, node, elts in _displays(ast.parse(path.read_text(encoding="utf-8"))):
            hits = sorted({e.value for e in elts if isinstance(e, ast.Constant) and e.value in names})
            if len(hits) >= 2 and (rel, assigned) not in ALLOWED:
                found.append(f"{rel}:{node.lineno} {assigned or ''} {hits}")
    return found


def _scanned_names() -> frozenset[str]:
    voc = vocabulary()
    return frozenset((*voc.entity_classes, *voc.object_properties, *voc.datatype_properties))


def test_no_vocabulary_list_typed_into_code():
    copies = _copies(KG_DIR, _scanned_names())
    assert not copies, ("class/property names typed into Python; read them from kg.vocabulary.vocabulary() "
                        "(or see the allow-list in this test's docstring):\n  " + "\n  ".join(copies))


def test_the_scan_finds_a_copy(tmp_path):
    (tmp_path / "bad.py").write_text('COLOURS = {"Chip": "#f00", "System": "#0f0"}\nONE = ("Chip",)\n',
                                     encoding="utf-8")
    assert _copies(tmp_path, _scanned_names()) == ["kg/bad.py:1 COLOURS ['Chip', 'System']"]


def test_allow_list_entries_still_exist():
    for (module, name) in ALLOWED:
        tree = ast.parse((KG_DIR.parent / module).read_text(encoding="utf-8"))
        assert any(assigned == name for assigned, _node, _elts in _displays(tree)), f"{module}: {name} is gone"


def test_vocabulary_is_kg_ttl():
    voc = vocabulary()
    onto = Ontology.load()
    assert set(voc.entity_classes) == onto.entity_classes
    assert set(voc.object_properties) == onto.object_properties
    assert set(voc.datatype_properties) == onto.datatype_properties
    assert voc.other_classes == {"Document", "Evidence", "ProvenanceProperty"}
    for cls in voc.entity_classes:
        assert voc.ancestors[cls] == {a for a in voc.entity_classes if onto.is_subclass(cls, a)}
        assert voc.style(cls) is not None
    for term in (*voc.entity_classes, *voc.properties):
        for script in ("zh-Hant", "zh-Hans", "en"):
            assert voc.label(term, script) != term or script == "en", (term, script)
    assert voc.label("Chip", "zh-Hant") == "晶片" and voc.label("Chip", "zh-Hans") == "芯片"
    assert voc.label("comparableTo") == "性能相當於"


def test_model_names_are_derived_from_the_vocabulary():
    import kg.model as model

    voc = vocabulary()
    assert model.ENTITY_CLASSES == voc.entity_classes
    assert model.ANCESTORS == voc.ancestors and model.ANCESTORS["Chip"] == {"Chip", "Product"}
    assert model.SUPERCLASS["Company"] == "Organization" and "Place" not in model.SUPERCLASS
    assert model.is_a("Fund", "Organization") and not model.is_a("Chip", "Organization")


def test_orders_the_models_and_the_legend_rely_on():
    voc = vocabulary()
    # the shipped NER model's tags and the relation model's class placeholders are numbered in these orders
    assert voc.ner_labels[:2] == ("Company", "Organization") and len(voc.ner_labels) == 13
    assert {"Product", "ProcessNode", "Place"}.isdisjoint(voc.ner_labels)
    assert voc.entity_classes[:2] == ("Organization", "Company")
    legend = voc.legend_classes
    for cls, parent in voc.superclass.items():
        assert legend.index(cls) < legend.index(parent)
    assert "ProcessNode" not in voc.lexicon_classes and "Place" in voc.lexicon_classes


def _copy_ontology(tmp_path: Path) -> Path:
    import shutil

    from kg.ontology import DEFAULT_DIR

    for name in ("kg.ttl", "shapes.ttl", "classes.tsv"):
        shutil.copy(DEFAULT_DIR / name, tmp_path / name)
    return tmp_path


def test_a_class_of_kg_ttl_without_a_row_is_refused(tmp_path):
    from kg.errors import ConfigError

    directory = _copy_ontology(tmp_path)
    table = directory / "classes.tsv"
    table.write_text("".join(line for line in table.read_text(encoding="utf-8").splitlines(keepends=True)
                             if not line.startswith("Fund\t")), encoding="utf-8")
    with pytest.raises(ConfigError, match="Fund has no row"):
        Vocabulary.load(directory)


def test_a_new_class_needs_only_kg_ttl_and_a_row(tmp_path):
    directory = _copy_ontology(tmp_path)
    with (directory / "kg.ttl").open("a", encoding="utf-8") as fh:
        fh.write('\nkg:Foundry a owl:Class ; rdfs:subClassOf kg:Company ;\n'
                 '    rdfs:label "Foundry"@en , "晶圓廠"@zh-Hant , "晶圆厂"@zh-Hans .\n')
    with (directory / "classes.tsv").open("a", encoding="utf-8") as fh:
        fh.write("Foundry\t#123456\tdot\tyes\t\n")
    voc = Vocabulary.load(directory)
    assert voc.is_a("Foundry", "Organization") and voc.ancestors["Foundry"] == {"Foundry", "Company", "Organization"}
    assert voc.label("Foundry", "zh-Hans") == "晶圆厂" and voc.style("Foundry") == ("#123456", "dot")
    assert voc.legend_classes.index("Foundry") < voc.legend_classes.index("Company")
    assert read_class_table(directory / "classes.tsv")[-1]["class"] == "Foundry"
