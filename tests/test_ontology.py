"""ontology/kg.ttl declares the core vocabulary, shapes.ttl checks instance data, kg.ontology reads both."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from kg.errors import ConfigError
from kg.namespaces import KG
from kg.ontology import DEFAULT_DIR, Ontology, shacl_result_rows

CORE_MD = Path(__file__).resolve().parents[2] / "shared" / "ontology-core.md"

# Fallback when ../shared/ontology-core.md is not next to the repository (a bare clone).
CORE_CLASSES = {
    "Organization": None, "Company": "Organization", "GovernmentAgency": "Organization",
    "ResearchInstitution": "Organization", "Exchange": "Organization", "Fund": "Organization",
    "Product": None, "Chip": "Product", "Architecture": "Product", "SoftwarePlatform": "Product",
    "System": "Product", "ProcessNode": None, "Market": None, "Technology": None, "Policy": None,
    "Place": None, "Document": None,
}
CORE_OBJECT_PROPERTIES = {
    "develops": ({"Organization"}, {"Product"}),
    "usesProcessNode": ({"Product"}, {"ProcessNode"}),
    "manufacturedBy": ({"Product"}, {"Company"}),
    "targetsMarket": ({"Product", "Organization"}, {"Market"}),
    "usesTechnology": ({"Product", "Organization"}, {"Technology"}),
    "compatibleWith": ({"Product"}, {"Product"}),
    "comparableTo": ({"Product"}, {"Product"}),
    "acquired": ({"Company"}, {"Company"}),
    "listedOn": ({"Company"}, {"Exchange"}),
    "partnerOf": ({"Organization"}, {"Organization"}),
    "investsIn": ({"Organization"}, {"Organization", "Product", "Technology"}),
    "restricts": ({"Policy"}, {"Product", "Organization", "Place"}),
    "locatedIn": ({"Organization"}, {"Place"}),
    "basedOn": ({"Product"}, {"Architecture"}),
    "subsidiaryOf": ({"Organization"}, {"Organization"}),
}
CORE_DATATYPE_PROPERTIES = {
    "nanometers": {"ProcessNode"}, "fp32Tflops": {"Chip"}, "fp16Tflops": {"Chip"}, "memoryGB": {"Chip"},
    "memoryBandwidthTBps": {"Chip", "Technology"}, "transistorCount": {"Chip"},
}
SYMMETRIC = {"compatibleWith", "partnerOf"}
PROVENANCE = {
    "document", "sentence", "startOffset", "endOffset", "extractor", "confidence",
    "fileName", "encoding", "mentionedIn", "foundBy",
}


def _table(md: str, heading: str) -> list[list[str]]:
    """Rows (cells) of the first Markdown table under ``## heading``."""
    section = md.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return [[c.strip() for c in r.strip("|").split("|")] for r in rows[2:]]


def _names(cell: str) -> list[str]:
    """``Product, Organization or Place`` / ``Chip or Technology`` -> class names."""
    return [s.strip() for s in re.split(r",|\bor\b", cell) if s.strip()]


def _core_from_markdown():
    md = CORE_MD.read_text(encoding="utf-8")
    classes = {}
    for cls_cell, *_ in _table(md, "Classes"):
        m = re.match(r"`kg:(\w+)`(?:\s*⊑\s*(\w+))?", cls_cell)
        classes[m.group(1)] = m.group(2)
    objects = {}
    for prop_cell, _meaning, dr in _table(md, "Object properties (domain → range)"):
        dom, rng = dr.split("→")
        objects[re.search(r"kg:(\w+)", prop_cell).group(1)] = (set(_names(dom)), set(_names(rng)))
    datatypes = {}
    for prop_cell, on, value in _table(md, "Datatype properties"):
        assert "xsd:decimal" in value
        for prop in re.findall(r"kg:(\w+)", prop_cell):
            datatypes[prop] = set(_names(on))
    return classes, objects, datatypes


if CORE_MD.is_file():
    CORE_CLASSES, CORE_OBJECT_PROPERTIES, CORE_DATATYPE_PROPERTIES = _core_from_markdown()


@pytest.fixture(scope="module")
def onto() -> Ontology:
    return Ontology.load()


# ---------------------------------------------------------------------- the vocabulary


def test_markdown_tables_parsed_completely():
    assert len(CORE_CLASSES) == 17
    assert len(CORE_OBJECT_PROPERTIES) == 15
    assert len(CORE_DATATYPE_PROPERTIES) == 6


@pytest.mark.parametrize("cls", sorted(CORE_CLASSES) + ["Evidence"])
def test_tbox_declares_class_with_labels(onto, cls):
    g = onto.tbox
    iri = KG[cls]
    assert (iri, RDF.type, OWL.Class) in g
    langs = sorted(lbl.language for lbl in g.objects(iri, RDFS.label))
    assert langs == ["en", "zh-Hans", "zh-Hant"]
    assert g.value(iri, RDFS.comment) is not None
    assert cls in onto.classes


@pytest.mark.parametrize("cls", sorted(CORE_CLASSES))
def test_tbox_subclass_of_as_in_core(onto, cls):
    parent = CORE_CLASSES[cls]
    supers = {o for o in onto.tbox.objects(KG[cls], RDFS.subClassOf) if str(o).startswith(str(KG))}
    assert supers == ({KG[parent]} if parent else set())
    if parent:
        assert onto.is_subclass(cls, parent)
        assert not onto.is_subclass(parent, cls)
    assert onto.is_subclass(cls, cls)


def test_document_is_prov_entity(onto):
    assert (KG.Document, RDFS.subClassOf, URIRef("http://www.w3.org/ns/prov#Entity")) in onto.tbox


@pytest.mark.parametrize("prop", sorted(CORE_OBJECT_PROPERTIES))
def test_object_property_domain_and_range_as_in_core(onto, prop):
    domain, range_ = CORE_OBJECT_PROPERTIES[prop]
    assert (KG[prop], RDF.type, OWL.ObjectProperty) in onto.tbox
    assert prop in onto.object_properties
    assert onto.domain(prop) == frozenset(domain)
    assert onto.range(prop) == frozenset(range_)
    labels = {lbl.language for lbl in onto.tbox.objects(KG[prop], RDFS.label)}
    assert labels == {"en", "zh-Hans", "zh-Hant"}


@pytest.mark.parametrize("prop", sorted(CORE_DATATYPE_PROPERTIES))
def test_datatype_property_domain_and_decimal_range(onto, prop):
    assert (KG[prop], RDF.type, OWL.DatatypeProperty) in onto.tbox
    assert prop in onto.datatype_properties
    assert onto.domain(prop) == frozenset(CORE_DATATYPE_PROPERTIES[prop])
    assert (KG[prop], RDFS.range, URIRef("http://www.w3.org/2001/XMLSchema#decimal")) in onto.tbox


def test_property_sets_exact(onto):
    assert onto.object_properties == frozenset(CORE_OBJECT_PROPERTIES)
    assert onto.datatype_properties == frozenset(CORE_DATATYPE_PROPERTIES)
    assert onto.symmetric == frozenset(SYMMETRIC)
    assert onto.provenance_properties == frozenset(PROVENANCE)
    for prop in SYMMETRIC:
        assert (KG[prop], RDF.type, OWL.SymmetricProperty) in onto.tbox


def test_provenance_properties_typed(onto):
    xsd = "http://www.w3.org/2001/XMLSchema#"
    assert onto.domain("document") == {"Evidence"} and onto.range("document") == {"Document"}
    assert onto.range("mentionedIn") == {"Document"}
    for prop, dt in {"startOffset": "integer", "endOffset": "integer", "confidence": "decimal",
                     "extractor": "string", "sentence": "string", "fileName": "string"}.items():
        assert (KG[prop], RDFS.range, URIRef(xsd + dt)) in onto.tbox, prop


def test_domain_of_unknown_property_raises(onto):
    with pytest.raises(KeyError, match="nope"):
        onto.domain("nope")


# ---------------------------------------------------------------------- check()


@pytest.mark.parametrize("prop, subj, obj", [
    ("develops", "Company", "Chip"),
    ("develops", "ResearchInstitution", "SoftwarePlatform"),
    ("targetsMarket", "Company", "Market"),
    ("targetsMarket", "Chip", "Market"),
    ("investsIn", "Fund", "Technology"),
    ("investsIn", "Fund", "Company"),
    ("restricts", "Policy", "Place"),
    ("usesProcessNode", "Chip", "ProcessNode"),
    ("compatibleWith", "SoftwarePlatform", "Architecture"),
    ("memoryBandwidthTBps", "Technology", None),
    ("nanometers", "ProcessNode", None),
])
def test_check_accepts(onto, prop, subj, obj):
    assert onto.check(prop, subj, obj) is None


@pytest.mark.parametrize("prop, subj, obj, reason", [
    ("acquired", "Company", "Chip", "acquired: range is Company, got Chip"),
    ("usesProcessNode", "Company", "ProcessNode", "usesProcessNode: domain is Product, got Company"),
    ("listedOn", "Company", "Market", "listedOn: range is Exchange, got Market"),
    ("targetsMarket", "Place", "Market", "targetsMarket: domain is Product or Organization, got Place"),
    ("restricts", "Policy", "Market", "restricts: range is Product, Organization or Place, got Market"),
    ("fp32Tflops", "Company", None, "fp32Tflops: domain is Chip, got Company"),
    ("develops", "Company", None, "develops: range is Product, got a literal"),
])
def test_check_rejects_with_reason(onto, prop, subj, obj, reason):
    assert onto.check(prop, subj, obj) == reason


def test_check_rejects_unknown_and_provenance_properties(onto):
    assert "not a property" in onto.check("owns", "Company", "Company")
    assert onto.check("document", "Evidence", "Document") is not None


# ---------------------------------------------------------------------- SHACL validation

PREFIXES = """
@prefix kg: <https://w3id.org/cngpu-kg/ontology#> .
@prefix id: <https://w3id.org/cngpu-kg/id/> .
@prefix doc: <https://w3id.org/cngpu-kg/doc/> .
@prefix ev: <https://w3id.org/cngpu-kg/evidence/> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""

VALID = PREFIXES + """
id:MetaX a kg:Company ;
    rdfs:label "沐曦"@zh-Hant, "沐曦"@zh-Hans, "MetaX"@en ;
    skos:altLabel "沐曦股份", "沐曦集成電路" ;
    kg:mentionedIn doc:000_01e9f8b696474cfd ;
    kg:foundBy "lexicon" ;
    kg:develops id:MXN100 ;
    kg:locatedIn id:Shanghai .
id:MXN100 a kg:Chip ;
    rdfs:label "MXN100"@en ;
    kg:usesProcessNode id:node-7nm ;
    kg:targetsMarket id:Inference ;
    kg:fp32Tflops 24.0 .
id:node-7nm a kg:ProcessNode ;
    rdfs:label "7nm"@en, "7納米"@zh-Hant, "7纳米"@zh-Hans ;
    kg:nanometers 7.0 .
id:Inference a kg:Market ; rdfs:label "推理"@zh-Hant, "推理"@zh-Hans, "inference"@en .
id:Shanghai a kg:Place ; rdfs:label "上海"@zh-Hant, "上海"@zh-Hans, "Shanghai"@en .
id:HBM a kg:Technology ; rdfs:label "HBM"@en ; kg:memoryBandwidthTBps 3.35 .
id:ExportControl a kg:Policy ; rdfs:label "出口管制"@zh-Hant ; kg:restricts id:MXN100, id:MetaX .
id:BigFund a kg:Fund ; rdfs:label "大基金"@zh-Hans ; kg:investsIn id:MetaX, id:HBM ; kg:targetsMarket id:Inference .

ev:3f9a1c2b7d4e5f60 a kg:Evidence ;
    rdf:subject id:MetaX ; rdf:predicate kg:develops ; rdf:object id:MXN100 ;
    kg:document doc:000_01e9f8b696474cfd ;
    kg:sentence "在製程工藝方面，沐曦的MXN100採用7納米製程。" ;
    kg:startOffset 5311 ; kg:endOffset 5398 ;
    kg:extractor "rule:develops.possessive" ;
    kg:confidence 0.9 .
ev:0000000000000001 a kg:Evidence ;
    rdf:subject id:MXN100 ; rdf:predicate kg:fp32Tflops ; rdf:object 24.0 ;
    kg:document doc:000_01e9f8b696474cfd ;
    kg:sentence "MXN100的FP32算力達24 TFLOPS。" ;
    kg:startOffset 0 ; kg:endOffset 20 ;
    kg:extractor "rule:figure.tflops" ;
    kg:confidence 1.0 .

doc:000_01e9f8b696474cfd a kg:Document, prov:Entity ;
    kg:fileName "000_01e9f8b696474cfd.txt" ;
    dcterms:title "國產算力GPGPU的挑戰與機遇", "另一篇" ;
    dcterms:date "2025-08-12"^^xsd:date ;
    kg:encoding "utf-8" .
"""


def _graph(ttl: str) -> Graph:
    return Graph().parse(data=ttl, format="turtle")


def test_valid_instance_graph_conforms(onto):
    g = _graph(VALID)
    n = len(g)
    conforms, report = onto.validate(g)
    assert conforms, report
    assert len(g) == n  # the data graph is not touched (no T-Box mixed in)


def test_integer_confidence_is_not_decimal(onto):
    # Turtle `1` is xsd:integer and Python 1.0 is xsd:double: the builder must write Decimal values.
    conforms, report = onto.validate(_graph(VALID.replace("kg:confidence 1.0", "kg:confidence 1")))
    assert not conforms and "https://w3id.org/cngpu-kg/evidence/0000000000000001" in report


PLANTED_VIOLATIONS = [
    ("id:MetaX kg:develops id:Inference .", "id/MetaX", "develops"),
    ("id:Nolabel a kg:Chip .", "id/Nolabel", "rdfs:label"),
    ('id:Twolabels a kg:Chip ; rdfs:label "A"@en, "B"@en .', "id/Twolabels", "label"),
    ('ev:3f9a1c2b7d4e5f60 kg:confidence "high" .', "evidence/3f9a1c2b7d4e5f60", "confidence"),
    ("ev:1 kg:confidence 1.5 .", "evidence/1", "confidence"),
    ('''ev:nodoc a kg:Evidence ; rdf:subject id:MetaX ; rdf:predicate kg:develops ; rdf:object id:MXN100 ;
        kg:sentence "s" ; kg:startOffset 0 ; kg:endOffset 1 ; kg:extractor "x" ; kg:confidence 0.5 .''',
     "evidence/nodoc", "document"),
    ('id:MXN100 kg:memoryGB "64" .', "id/MXN100", "memoryGB"),
    ("id:MXN100 kg:memoryGB 64.0e0 .", "id/MXN100", "memoryGB"),  # xsd:double, not decimal
    ("id:MetaX kg:nanometers 7.0 .", "id/MetaX", "nanometers"),
    ("id:MetaX kg:acquired id:MXN100 .", "id/MetaX", "acquired"),
    ("id:Shanghai kg:targetsMarket id:Inference .", "id/Shanghai", "targetsMarket"),
    ("id:MXN100 a kg:Product .", "id/MXN100", "rdf:type"),
    ("doc:nofile a kg:Document .", "doc/nofile", "fileName"),
]


@pytest.mark.parametrize("extra, focus, needle", PLANTED_VIOLATIONS)
def test_invalid_instance_graph_reports_focus_node(onto, extra, focus, needle):
    conforms, report = onto.validate(_graph(VALID + extra))
    assert not conforms
    prefix = {"id": "id:", "evidence": "ev:", "doc": "doc:"}[focus.split("/")[0]]
    node = prefix + focus.split("/")[1]
    assert f"Focus Node: {node}\n" in report or f"https://w3id.org/cngpu-kg/{focus}" in report, report
    assert needle in report


@pytest.mark.parametrize("extra", [""] + [row[0] for row in PLANTED_VIOLATIONS])
def test_validator_gives_pyshacls_results(onto, extra):
    """Ontology.validate runs pyshacl-turbo; pySHACL is the reference: the same verdict and the same
    results, on the valid graph and on every planted violation."""
    import pyshacl

    data = _graph(VALID + extra)
    conforms, results, _text = onto.shacl_report(data)
    ref_conforms, ref_results, _ref_text = pyshacl.validate(data, shacl_graph=onto.shapes, ont_graph=onto.tbox,
                                                            inference="none", allow_infos=True, allow_warnings=True)
    assert conforms == ref_conforms == (extra == "")
    assert shacl_result_rows(results) == shacl_result_rows(ref_results)


def test_subclass_reasoning_uses_tbox(onto):
    # A Fund investing in a Chip is fine only because Fund ⊑ Organization and Chip ⊑ Product.
    g = _graph(PREFIXES + """
id:F a kg:Fund ; rdfs:label "F"@en ; kg:investsIn id:C .
id:C a kg:Chip ; rdfs:label "C"@en .
""")
    assert onto.validate(g)[0]


# ---------------------------------------------------------------------- loading errors


def _copy(tmp_path: Path) -> Path:
    d = tmp_path / "ontology"
    shutil.copytree(DEFAULT_DIR, d)
    return d


def test_load_malformed_tbox_names_problem(tmp_path):
    d = _copy(tmp_path)
    (d / "kg.ttl").write_text((DEFAULT_DIR / "kg.ttl").read_text(encoding="utf-8") + "\nkg:broken a ;\n",
                              encoding="utf-8")
    with pytest.raises(ConfigError, match=r"kg\.ttl: not valid Turtle"):
        Ontology.load(d)


def test_load_lists_every_problem_at_once(tmp_path):
    d = _copy(tmp_path)
    text = (DEFAULT_DIR / "kg.ttl").read_text(encoding="utf-8")
    text = text.replace("rdfs:domain kg:Policy ;", "")                      # restricts loses its domain
    text = text.replace("kg:Market a owl:Class ;", "kg:Market a rdfs:Resource ;")  # Market undeclared
    (d / "kg.ttl").write_text(text, encoding="utf-8")
    (d / "shapes.ttl").unlink()
    with pytest.raises(ConfigError) as err:
        Ontology.load(d)
    msg = str(err.value)
    assert "shapes.ttl: missing" in msg
    assert "kg:restricts rdfs:domain is missing" in msg
    assert "class kg:Market is not declared" in msg
    assert "kg:targetsMarket rdfs:range names kg:Market" in msg


def test_load_rejects_shape_with_undeclared_term(tmp_path):
    d = _copy(tmp_path)
    text = (DEFAULT_DIR / "shapes.ttl").read_text(encoding="utf-8").replace("kg:listedOn ;", "kg:listedAt ;", 1)
    (d / "shapes.ttl").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="kg:listedAt"):
        Ontology.load(d)


def test_load_missing_directory(tmp_path):
    with pytest.raises(ConfigError) as err:
        Ontology.load(tmp_path / "absent")
    assert "kg.ttl: missing" in str(err.value) and "shapes.ttl: missing" in str(err.value)


def test_loaded_literal_types_are_decimal():
    # Guard for the builder: Python floats become xsd:double, which the shapes reject.
    from decimal import Decimal
    assert Literal(Decimal("7")).datatype == URIRef("http://www.w3.org/2001/XMLSchema#decimal")


def test_load_rejects_shape_the_validator_cannot_build(tmp_path):
    d = _copy(tmp_path)
    text = (DEFAULT_DIR / "shapes.ttl").read_text(encoding="utf-8")
    text = text.replace("sh:or ( [ sh:class kg:Chip ] [ sh:class kg:Technology ] ) ;", "sh:or kg:Chip ;")
    (d / "shapes.ttl").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="the SHACL validator cannot use the shapes"):
        Ontology.load(d)


def test_load_rejects_literal_class_in_shape(tmp_path):
    d = _copy(tmp_path)
    text = (DEFAULT_DIR / "shapes.ttl").read_text(encoding="utf-8").replace("sh:class kg:Exchange ;", 'sh:class "Exchange" ;')
    (d / "shapes.ttl").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match='sh:class "Exchange" must be an IRI'):
        Ontology.load(d)


# ---------------------------------------------------------------------- shapes agree with kg.ttl

SHACL = "http://www.w3.org/ns/shacl#"


def _shape_classes(g: Graph, node) -> set[str]:
    """Classes a shape node requires: its sh:class, or the sh:class of each member of its sh:or."""
    from rdflib.collection import Collection
    sh_class, sh_or = URIRef(SHACL + "class"), URIRef(SHACL + "or")
    out = {str(c).split("#")[1] for c in g.objects(node, sh_class)}
    for lst in g.objects(node, sh_or):
        for member in Collection(g, lst):
            out |= {str(c).split("#")[1] for c in g.objects(member, sh_class)}
    return out


@pytest.mark.parametrize("prop", sorted(CORE_OBJECT_PROPERTIES) + sorted(CORE_DATATYPE_PROPERTIES))
def test_shape_domain_and_range_match_tbox(onto, prop):
    g = onto.shapes
    shapes = list(g.subjects(URIRef(SHACL + "targetSubjectsOf"), KG[prop]))
    assert len(shapes) == 1, f"one shape must target the subjects of kg:{prop}"
    shape = shapes[0]
    assert _shape_classes(g, shape) == onto.domain(prop)
    (prop_shape,) = [p for p in g.objects(shape, URIRef(SHACL + "property"))
                     if (p, URIRef(SHACL + "path"), KG[prop]) in g]
    if prop in onto.object_properties:
        assert _shape_classes(g, prop_shape) == onto.range(prop)
    else:
        assert g.value(prop_shape, URIRef(SHACL + "datatype")) == URIRef("http://www.w3.org/2001/XMLSchema#decimal")


def test_evidence_predicates_are_the_vocabulary(onto):
    from rdflib.collection import Collection
    g = onto.shapes
    (lst,) = [lst for shape, lst in g.subject_objects(URIRef(SHACL + "in"))
              if (shape, URIRef(SHACL + "path"), RDF.predicate) in g]
    allowed = {str(p) for p in Collection(g, lst)}
    expected = {str(KG[p]) for p in onto.object_properties | onto.datatype_properties} | {str(RDF.type)}
    assert allowed == expected
