"""The ontology stage: the core vocabulary (``ontology/kg.ttl``) and its SHACL shapes (``ontology/shapes.ttl``).

``Ontology.load()`` parses and checks both files before any work starts and raises one
:class:`~kg.errors.ConfigError` listing every problem. Afterwards everything the pipeline asks per
claim (:meth:`Ontology.check`) is answered from sets computed at load time, never from the graph.

Class and property names are local names in the ``kg:`` namespace (``"Company"``, ``"develops"``).
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection

from . import resources
from .errors import ConfigError
from .namespaces import KG, OWL, RDF, RDFS, SH, XSD_NS, XSD_STRING

DEFAULT_DIR = resources.ontology_dir()
TBOX_FILE = "kg.ttl"
SHAPES_FILE = "shapes.ttl"

#: Terms of ../shared/ontology-core.md that kg.ttl must declare (it may add more, never drop these). This is
#: the fixed contract kg.ttl is checked against, not a vocabulary to read: everything the stages ask about
#: classes and properties comes from kg.ttl through :mod:`kg.vocabulary`. The core orders below are the
#: orders the legend and the relation model list properties in (rdflib does not keep kg.ttl's).
REQUIRED_CLASSES = (
    "Organization", "Company", "GovernmentAgency", "ResearchInstitution", "Exchange", "Fund",
    "Product", "Chip", "Architecture", "SoftwarePlatform", "System",
    "ProcessNode", "Market", "Technology", "Policy", "Place", "Document", "Evidence",
)
REQUIRED_OBJECT_PROPERTIES = (
    "develops", "usesProcessNode", "manufacturedBy", "targetsMarket", "usesTechnology", "compatibleWith",
    "comparableTo", "acquired", "listedOn", "partnerOf", "investsIn", "restricts", "locatedIn", "basedOn",
    "subsidiaryOf",
)
REQUIRED_DATATYPE_PROPERTIES = (
    "nanometers", "fp32Tflops", "fp16Tflops", "memoryGB", "memoryBandwidthTBps", "transistorCount",
)
REQUIRED_SYMMETRIC = ("compatibleWith", "partnerOf")
REQUIRED_PROVENANCE = (
    "document", "sentence", "startOffset", "endOffset", "extractor", "confidence",
    "fileName", "encoding", "mentionedIn", "foundBy",
)

_PROVENANCE_CLASS = KG.ProvenanceProperty


def local_name(term: URIRef) -> str | None:
    """Local name of a ``kg:`` IRI, None for anything else."""
    s = str(term)
    return s[len(str(KG)):] if s.startswith(str(KG)) else None


def _and(names: Iterable[str]) -> str:
    """``Product or Organization`` / ``Organization, Product or Technology``."""
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


class Ontology:
    """The loaded vocabulary. Build it with :meth:`load`; immutable afterwards."""

    def __init__(self, tbox: Graph, shapes: Graph, directory: Path):
        # Use load(): it checks the files first. This constructor trusts its arguments.
        self._tbox = tbox
        self._shapes = shapes
        self.directory = directory
        self._compiled = None        # the shapes compiled for pyshacl-turbo, on first validation
        self._tbox_nt: bytes | None = None
        classes = {n for c in tbox.subjects(RDF.type, OWL.Class) if (n := local_name(c))}
        classes |= {n for c in tbox.subjects(RDF.type, RDFS.Class) if (n := local_name(c))}
        self._classes = frozenset(classes)

        parents: dict[str, set[str]] = {}
        for c, sup in tbox.subject_objects(RDFS.subClassOf):
            if (cn := local_name(c)) and (sn := local_name(sup)):
                parents.setdefault(cn, set()).add(sn)
        self._parents = {c: frozenset(p) for c, p in parents.items()}
        #: classes declared a subclass of a term outside kg: (Document, Evidence ⊑ prov:Entity, ...)
        self._external = frozenset(n for c, sup in tbox.subject_objects(RDFS.subClassOf)
                                   if (n := local_name(c)) and local_name(sup) is None)
        #: class -> itself and every ancestor (reflexive-transitive rdfs:subClassOf).
        self._ancestors: dict[str, frozenset[str]] = {}
        for c in self._classes | parents.keys():
            seen, todo = {c}, [c]
            while todo:
                for p in parents.get(todo.pop(), ()):
                    if p not in seen:
                        seen.add(p)
                        todo.append(p)
            self._ancestors[c] = frozenset(seen)
        #: class -> itself and every descendant.
        descendants: dict[str, set[str]] = {c: set() for c in self._ancestors}
        for c, ancs in self._ancestors.items():
            for a in ancs:
                descendants.setdefault(a, set()).add(c)

        provenance = {n for p in tbox.subjects(RDF.type, _PROVENANCE_CLASS) if (n := local_name(p))}
        obj = {n for p in tbox.subjects(RDF.type, OWL.ObjectProperty) if (n := local_name(p))}
        dat = {n for p in tbox.subjects(RDF.type, OWL.DatatypeProperty) if (n := local_name(p))}
        self._provenance = frozenset(provenance)
        self._object = frozenset(obj - provenance)
        self._datatype = frozenset(dat - provenance)
        self._symmetric = frozenset(
            n for p in tbox.subjects(RDF.type, OWL.SymmetricProperty) if (n := local_name(p))
        )
        self._domain: dict[str, frozenset[str]] = {}
        self._range: dict[str, frozenset[str]] = {}
        self._said: dict[tuple[str, str], str] = {}  # (prop, "domain"/"range") -> "Product or Organization"
        for prop in obj | dat:
            iri = KG[prop]
            for axis, table, key in ((RDFS.domain, self._domain, "domain"), (RDFS.range, self._range, "range")):
                names = _class_names(tbox, sorted(tbox.objects(iri, axis)))  # union members in file order
                table[prop] = frozenset(names)
                self._said[prop, key] = _and(list(dict.fromkeys(names)) or ["anything"])
        # Precomputed for check(): the classes (with subclasses) allowed as subject / object.
        def closure(names: frozenset[str]) -> frozenset[str]:
            return frozenset(d for n in names for d in descendants.get(n, {n}))

        self._allowed_subject = {p: closure(d) for p, d in self._domain.items()}
        self._allowed_object = {p: closure(r) for p, r in self._range.items()}

    # ------------------------------------------------------------------ loading

    @classmethod
    def load(cls, ontology_dir: Path | str = DEFAULT_DIR) -> "Ontology":
        """Parse and check ``kg.ttl`` and ``shapes.ttl`` in ``ontology_dir``.

        Raises :class:`ConfigError` naming every problem found (missing file, syntax error, a core
        term not declared, a property without domain or range, a shape using an undeclared term).
        """
        directory = Path(ontology_dir)
        problems: list[str] = []
        tbox = parse_turtle(directory / TBOX_FILE, problems)
        shapes = parse_turtle(directory / SHAPES_FILE, problems)
        if tbox is not None:
            problems += _check_tbox(tbox)
        if tbox is not None and shapes is not None:
            shape_problems = _check_shapes(tbox, shapes)
            problems += shape_problems or _probe_shapes(tbox, shapes)
        if problems:
            listing = "\n".join(f"  - {p}" for p in problems)
            raise ConfigError(
                f"the ontology in {directory} has {len(problems)} problem(s):\n{listing}\n"
                f"Fix {TBOX_FILE} / {SHAPES_FILE} (the core vocabulary is ../shared/ontology-core.md) "
                "or restore them with `git checkout -- ontology/`."
            )
        assert tbox is not None and shapes is not None
        return cls(tbox, shapes, directory)

    # ------------------------------------------------------------------ vocabulary

    @property
    def tbox(self) -> Graph:
        """The parsed ``kg.ttl``. Shared, do not modify (copy it first)."""
        return self._tbox

    @property
    def shapes(self) -> Graph:
        """The parsed ``shapes.ttl``. Shared, do not modify."""
        return self._shapes

    @property
    def classes(self) -> frozenset[str]:
        """Every class declared in kg.ttl (entity classes, Document, Evidence, ProvenanceProperty)."""
        return self._classes

    @property
    def object_properties(self) -> frozenset[str]:
        """Relations between entities (``develops``, ...); provenance properties excluded."""
        return self._object

    @property
    def datatype_properties(self) -> frozenset[str]:
        """Figures of entities (``nanometers``, ...); provenance properties excluded."""
        return self._datatype

    @property
    def provenance_properties(self) -> frozenset[str]:
        """``document``, ``sentence``, ``startOffset``, ... (typed ``kg:ProvenanceProperty`` in kg.ttl)."""
        return self._provenance

    @property
    def symmetric(self) -> frozenset[str]:
        return self._symmetric

    def domain(self, prop: str) -> frozenset[str]:
        """Classes named as ``rdfs:domain`` of ``prop`` (unions expanded; empty = unrestricted)."""
        try:
            return self._domain[prop]
        except KeyError:
            raise KeyError(f"unknown property {prop!r}") from None

    def range(self, prop: str) -> frozenset[str]:
        """Classes named as ``rdfs:range`` of ``prop`` (unions expanded). For datatype properties the
        range is a datatype, e.g. ``frozenset()`` here since xsd: names are not kg: classes."""
        try:
            return self._range[prop]
        except KeyError:
            raise KeyError(f"unknown property {prop!r}") from None

    def parents(self, cls: str) -> frozenset[str]:
        """The direct kg: superclasses of ``cls`` (``rdfs:subClassOf``; empty for a top class)."""
        return self._parents.get(cls, frozenset())

    def ancestors(self, cls: str) -> frozenset[str]:
        """``cls`` and every kg: class it is (transitively) a subclass of."""
        return self._ancestors.get(cls, frozenset((cls,)))

    @property
    def entity_classes(self) -> frozenset[str]:
        """The classes of things the graph is about: every class but those that refine a term outside
        kg: (Document and Evidence are prov:Entity, ProvenanceProperty is an rdf:Property)."""
        return self._classes - self._external - {n for n in self._classes if self._ancestors[n] & self._external}

    def is_subclass(self, cls: str, ancestor: str) -> bool:
        """True when ``cls`` is ``ancestor`` or a (transitive) ``rdfs:subClassOf`` it."""
        return ancestor in self._ancestors.get(cls, (cls,))

    def check(self, prop: str, subject_cls: str, object_cls: str | None) -> str | None:
        """None when ``subject_cls prop object_cls`` respects domain and range, else a short reason.

        ``object_cls`` is None for datatype properties (only the domain is checked). The reason reads
        like ``"acquired: range is Company, got Chip"``; the caller appends the names.
        """
        allowed_subject = self._allowed_subject.get(prop)
        if allowed_subject is None:
            return f"{prop}: not a property of the vocabulary"
        if prop in self._provenance:
            return f"{prop}: a provenance property, not a relation"
        if allowed_subject and subject_cls not in allowed_subject:
            return f"{prop}: domain is {self._said[prop, 'domain']}, got {subject_cls}"
        if prop in self._datatype:
            if object_cls is not None:
                return f"{prop}: a datatype property takes a number, got a {object_cls}"
            return None
        if object_cls is None:
            return f"{prop}: range is {self._said[prop, 'range']}, got a literal"
        allowed_object = self._allowed_object[prop]
        if allowed_object and object_cls not in allowed_object:
            return f"{prop}: range is {self._said[prop, 'range']}, got {object_cls}"
        return None

    # ------------------------------------------------------------------ validation

    def validate(self, data: Graph | str) -> tuple[bool, str]:
        """Validate instance data (an rdflib graph or N-Triples text) against shapes.ttl. Returns
        ``(conforms, report_text)``.

        pyshacl-turbo (a SHACL engine in Rust with pySHACL's API) runs the shapes, compiled once, over a
        pyoxigraph store holding the data and kg.ttl, so ``sh:class`` follows ``rdfs:subClassOf``; no
        inference runs over the data, and ``data`` itself is not modified. It gives pySHACL's results
        on our shapes (tests/test_ontology.py, benchmarks/bench_shacl.py) several times faster, and it
        releases the GIL, so a build validates while it writes its exports.
        """
        conforms, _results, report = self.shacl_report(data)
        return conforms, report

    def shacl_report(self, data: Graph | str) -> tuple[bool, Graph, str]:
        """What :meth:`validate` reads: conforms, the SHACL results graph and its text."""
        import pyoxigraph

        text = data if isinstance(data, str) else data.serialize(format="nt")
        store = pyoxigraph.Store()
        store.bulk_load(input=self._tbox_ntriples(), format=pyoxigraph.RdfFormat.N_TRIPLES)
        store.bulk_load(input=text.encode("utf-8"), format=pyoxigraph.RdfFormat.N_TRIPLES)
        conforms, results, report = self._compiled_shapes().validate(
            store, inference="none", abort_on_first=False, allow_infos=True, allow_warnings=True)
        return bool(conforms), results, str(report)

    def _compiled_shapes(self):
        if self._compiled is None:
            from pyshacl_turbo import compile_shapes  # heavy import, only when validating

            self._compiled = compile_shapes(self._shapes)
        return self._compiled

    def _tbox_ntriples(self) -> bytes:
        if self._tbox_nt is None:
            self._tbox_nt = self._tbox.serialize(format="nt", encoding="utf-8")
        return self._tbox_nt

    def __repr__(self) -> str:
        return (f"Ontology({self.directory}, {len(self._classes)} classes, "
                f"{len(self._object)} relations, {len(self._datatype)} figures)")


# ---------------------------------------------------------------------- helpers


def parse_turtle(path: Path, problems: list[str]) -> Graph | None:
    """The parsed Turtle file, or None with the problem appended to ``problems``."""
    if not path.is_file():
        problems.append(f"{path.name}: missing (expected at {path})")
        return None
    g = Graph()
    try:
        g.parse(path, format="turtle")
    except Exception as e:  # rdflib raises several types for bad Turtle
        msg = " ".join(str(e).split())
        problems.append(f"{path.name}: not valid Turtle: {msg[:300]}")
        return None
    if len(g) == 0:
        problems.append(f"{path.name}: empty")
        return None
    return g


def _class_names(g: Graph, nodes: Iterable, problems: list[str] | None = None, where: str = "") -> list[str]:
    """kg: local names of classes given as IRIs or ``owl:unionOf`` lists (nested unions expanded)."""
    out: list[str] = []
    for node in nodes:
        if isinstance(node, URIRef):
            name = local_name(node)
            if name is not None:
                out.append(name)
            elif problems is not None and not str(node).startswith(XSD_NS):
                problems.append(f"{where}: {node} is not a kg: class")
        elif isinstance(node, BNode):
            union = g.value(node, OWL.unionOf)
            if union is None:
                if problems is not None:
                    problems.append(f"{where}: a blank node that is not an owl:unionOf")
                continue
            try:
                members = list(Collection(g, union))
            except Exception:
                members = []
            if not members and problems is not None:
                problems.append(f"{where}: owl:unionOf is not a well-formed, non-empty list")
            out += _class_names(g, members, problems, where)
        elif problems is not None:
            problems.append(f"{where}: {node!r} is not a class")
    return out


def _check_tbox(g: Graph) -> list[str]:
    problems: list[str] = []
    declared = {n for t in (OWL.Class, RDFS.Class) for c in g.subjects(RDF.type, t) if (n := local_name(c))}
    for c in REQUIRED_CLASSES:
        if c not in declared:
            problems.append(f"{TBOX_FILE}: class kg:{c} is not declared (a owl:Class)")
    kinds = {
        OWL.ObjectProperty: (*REQUIRED_OBJECT_PROPERTIES, "document", "mentionedIn"),
        OWL.DatatypeProperty: (*REQUIRED_DATATYPE_PROPERTIES, "sentence", "startOffset", "endOffset",
                               "extractor", "confidence", "fileName", "encoding", "foundBy"),
        OWL.SymmetricProperty: REQUIRED_SYMMETRIC,
        _PROVENANCE_CLASS: REQUIRED_PROVENANCE,
    }
    for kind, names in kinds.items():
        have = {n for p in g.subjects(RDF.type, kind) if (n := local_name(p))}
        for name in names:
            if name not in have:
                problems.append(f"{TBOX_FILE}: kg:{name} is not declared a {g.qname(kind)}")
    for prop in (*REQUIRED_OBJECT_PROPERTIES, *REQUIRED_DATATYPE_PROPERTIES):
        for axis in (RDFS.domain, RDFS.range):
            where = f"{TBOX_FILE}: kg:{prop} {g.qname(axis)}"
            nodes = list(g.objects(KG[prop], axis))
            if not nodes:
                problems.append(f"{where} is missing")
                continue
            for name in _class_names(g, nodes, problems, where):
                if name not in declared:
                    problems.append(f"{where} names kg:{name}, which is not a declared class")
    for c, sup in g.subject_objects(RDFS.subClassOf):
        cn, sn = local_name(c), local_name(sup)
        if cn and sn and sn not in declared:
            problems.append(f"{TBOX_FILE}: kg:{cn} rdfs:subClassOf kg:{sn}, which is not a declared class")
    return problems


def _check_shapes(tbox: Graph, shapes: Graph) -> list[str]:
    """Every kg: term a shape mentions is declared in kg.ttl; there is at least one shape."""
    problems: list[str] = []
    if not any(shapes.subjects(RDF.type, SH.NodeShape)):
        problems.append(f"{SHAPES_FILE}: declares no sh:NodeShape")
    declared = {s for s in tbox.subjects() if isinstance(s, URIRef)}
    used = {o for o in shapes.objects() if isinstance(o, URIRef) and local_name(o) is not None}
    used |= {p for p in shapes.predicates() if local_name(p) is not None}
    for term in sorted(used - declared):
        problems.append(f"{SHAPES_FILE}: uses kg:{local_name(term)}, which {TBOX_FILE} does not declare")
    iri_valued = (SH["class"], SH.datatype, SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf,
                  SH.lessThanOrEquals, SH.equals, SH.disjoint, SH.lessThan)
    for s, p, o in shapes:
        if p in iri_valued and not isinstance(o, URIRef):
            problems.append(f"{SHAPES_FILE}: {shapes.qname(p)} {o.n3()} must be an IRI")
        if p in (SH.minCount, SH.maxCount) and not (isinstance(o, Literal) and isinstance(o.toPython(), int)):
            problems.append(f"{SHAPES_FILE}: {shapes.qname(p)} {o!r} is not an integer")
    return problems


def shacl_result_rows(results: Graph) -> set[tuple]:
    """The results of a SHACL report graph as comparable rows (focus node, path, value, constraint component,
    message, severity), to compare two validators: the source shape is left out (often a blank node),
    literals compare by value ("64"^^xsd:double is "64.0"^^xsd:double; a plain literal is an xsd:string)."""
    def same(term):
        if isinstance(term, Literal):
            return term.datatype or (None if term.language else URIRef(XSD_STRING)), term.language, term.toPython()
        return term
    fields = (SH.focusNode, SH.resultPath, SH.value, SH.sourceConstraintComponent, SH.resultMessage,
              SH.resultSeverity)
    return {tuple(same(results.value(r, f)) for f in fields) for r in results.subjects(RDF.type, SH.ValidationResult)}


def _probe_shapes(tbox: Graph, shapes: Graph) -> list[str]:
    """Compile the shapes and run them once over a tiny graph that every shape targets.

    A malformed constraint (``sh:or`` without a list, ``sh:class`` given a literal, ...) is then found
    at load, not at the end of a build.
    """
    from pyshacl_turbo import compile_shapes

    probe = Graph()
    node = KG["_probe"]
    for target in shapes.objects(None, SH.targetClass):
        probe.add((node, RDF.type, target))
    for target in shapes.objects(None, SH.targetSubjectsOf):
        probe.add((node, target, node))
    for target in shapes.objects(None, SH.targetObjectsOf):
        probe.add((node, target, node))
    for target in shapes.objects(None, SH.targetNode):
        probe.add((target, RDF.type, RDFS.Resource))
    try:
        compile_shapes(shapes).validate(probe + tbox, inference="none", abort_on_first=False)
    except Exception as e:  # pyshacl-turbo raises ValueError or its ReportableRuntimeError
        msg = " ".join(str(e).split())
        return [f"{SHAPES_FILE}: the SHACL validator cannot use the shapes: {type(e).__name__}: {msg[:300]}"]
    return []


__all__ = ["Ontology", "DEFAULT_DIR", "shacl_result_rows"]
