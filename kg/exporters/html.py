"""HTML views of the graph: ``graph.html`` (overview) and ``entities/<slug>.html`` (2-hop neighbourhoods).

Both are static pages that work from file:// with the network off: vis-network, read at export time
from the installed ``pyvis`` package (no third-party code is kept in this project; its licence notice,
``kg/assets/vis-network.LICENSE.txt``, goes in front of it), is inlined into the overview and copied once
next to the entity pages (``entities/vis-network.min.js``, with the page script ``entities/kg-view.js``;
a page per entity adds only its own data), positions are
computed here (a seeded Fruchterman-Reingold layout for the overview, a radial one for entity pages)
and physics stays off, so a page is drawn once and does not move. The graph reaches the page as one
JSON document that the page's own script turns into nodes, edges, the side panel and the search index;
every string from the articles is inserted into the DOM as text (``textContent``), never as HTML, and
the JSON is escaped so that it cannot close its ``<script>`` element. Class and property names shown
in the legend and panel are the ``rdfs:label`` of ``ontology/kg.ttl`` (zh-Hant); the panel's timeline
orders an entity's statements by their documents' dates (undated last) and says when each fact was
first and last stated.

Output is deterministic: everything is sorted, the layout seed is fixed, coordinates are rounded and
nothing depends on the clock.
"""
from __future__ import annotations

import importlib.util
import json
import math
import re
from collections import defaultdict, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import rdflib
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from kg.io import atomic_write_text
from kg.namespaces import KG

__all__ = ["export_html", "find_entity_page", "DEFAULT_MAX_OVERVIEW_NODES", "ENTITY_PAGE_MAX_NODES"]

#: Above this many entities the overview draws only the best-connected ones (see benchmarks/bench_html.py
#: for how the limit was measured in headless Chromium).
DEFAULT_MAX_OVERVIEW_NODES = 2500
#: An entity page draws the entity, all its neighbours, and second-hop neighbours up to this many nodes.
ENTITY_PAGE_MAX_NODES = 300
LAYOUT_SEED = 20250812
VIS_JS = "vis-network.min.js"
APP_JS = "kg-view.js"

# Class colours and shapes are the classes.tsv columns of kg.vocabulary (shapes follow the superclass:
# organisations are dots, products diamonds, ...; colours tell the subclasses apart), the legend lists each
# class after its subclasses, and labels are kg.ttl's rdfs:label. A class without a row gets a fallback.
FALLBACK_COLOURS = ["#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#e6550d", "#31a354", "#756bb1"]


@lru_cache(maxsize=1)
def vocabulary_labels() -> dict[str, str]:
    """``{local name: rdfs:label}`` of every ``kg:`` class and property in ``ontology/kg.ttl``, in
    Traditional Chinese (else English, else the local name)."""
    return _vocabulary().labels("zh-Hant")


def _vocabulary():
    from kg.vocabulary import vocabulary

    return vocabulary()


def _property_order() -> list[str]:
    """Legend order of the relations: the vocabulary's (core properties first, in the core order)."""
    return list(_vocabulary().properties)


PREDICATE_COLOURS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                     "#9c755f", "#bab0ac", "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#a6761d",
                     "#17becf", "#bcbd22"]


@lru_cache(maxsize=1)
def _not_relations() -> frozenset[URIRef]:
    """Properties that are bookkeeping (kg:ProvenanceProperty in kg.ttl), not relations worth drawing."""
    return frozenset(KG[p] for p in _vocabulary().provenance_properties)


@lru_cache(maxsize=1)
def _not_entity_classes() -> frozenset[URIRef]:
    """Document, Evidence, ...: kg.ttl classes that are not entity classes."""
    return frozenset(KG[c] for c in _vocabulary().other_classes)


_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_PLACEHOLDER = re.compile(r"/\*@(\w+)@\*/")


# ---------------------------------------------------------------------------------------------- model

@dataclass
class _Entity:
    iri: URIRef
    slug: str
    cls: str
    labels: tuple[str, str, str]          # zh-Hant, zh-Hans, en ("" when missing)
    alts: list[str]
    attrs: list[tuple[str, str, list[int]]] = field(default_factory=list)   # (predicate, value, evidence ids)
    type_ev: list[int] = field(default_factory=list)
    neighbours: set[int] = field(default_factory=set)


@dataclass
class _Model:
    entities: list[_Entity]
    edges: list[tuple[int, str, int, list[int]]]         # (subject index, predicate, object index, evidence ids)
    sentences: list[tuple[str, int]]                      # (sentence, document index)
    docs: list[tuple[str, str, str]]                      # (file name, title, date)
    classes: list[str]
    predicates: list[str]
    incident: list[list[int]] = field(default_factory=list)  # entity index -> indices into edges


def _local(iri: URIRef) -> str:
    text = str(iri)
    return re.split(r"[/#]", text.rstrip("/#"))[-1] or text


#: file names are limited to 255 bytes on common file systems; keep room for "-NN.html"
MAX_SLUG_BYTES = 200


def _slugify(name: str) -> str:
    """A file-name-safe slug of at most MAX_SLUG_BYTES bytes in UTF-8 (a CJK character is 3 bytes): long
    names are cut at a character boundary and keep a short hash of the whole, so they stay distinct."""
    slug = re.sub(r"[^\w.\-]+", "_", name, flags=re.UNICODE).strip("._") or "entity"
    if len(slug.encode("utf-8")) <= MAX_SLUG_BYTES:
        return slug
    import hashlib

    digest = hashlib.sha1(slug.encode("utf-8")).hexdigest()[:10]
    cut = slug.encode("utf-8")[:MAX_SLUG_BYTES - 11].decode("utf-8", errors="ignore")
    return f"{cut}-{digest}"


def _pick_label(graph: rdflib.Graph, subject: URIRef, langs: tuple[str, ...]) -> str:
    found = sorted(str(o) for o in graph.objects(subject, RDFS.label)
                   if isinstance(o, Literal) and (o.language or "").lower() in langs)
    return found[0] if found else ""


def _value_text(value: Literal) -> str:
    py = value.toPython()
    if isinstance(py, float) and py.is_integer() and abs(py) < 1e16:
        return str(int(py))
    if hasattr(py, "normalize"):  # Decimal: drop trailing zeros, no exponent for integers
        text = format(py.normalize(), "f")
        return text
    return str(py)


def _read(graph: rdflib.Graph) -> _Model:
    """Turn the exported graph (docs/graph-schema.md) into sorted plain lists."""
    typed: dict[URIRef, list[URIRef]] = defaultdict(list)
    not_entity, not_relations = _not_entity_classes(), _not_relations()
    for s, t in graph.subject_objects(RDF.type):
        if isinstance(s, URIRef) and isinstance(t, URIRef) and str(t).startswith(str(KG)) \
                and t not in not_entity:
            typed[s].append(t)
    iris = sorted(typed)
    entities: list[_Entity] = []
    index: dict[URIRef, int] = {}
    used: set[str] = set()
    for iri in iris:
        slug = base = _slugify(_local(iri))
        n = 2
        while slug.lower() in used:
            slug, n = f"{base}-{n}", n + 1
        used.add(slug.lower())
        hant = _pick_label(graph, iri, ("zh-hant", "zh-tw", "zh-hk"))
        hans = _pick_label(graph, iri, ("zh-hans", "zh-cn", "zh"))
        en = _pick_label(graph, iri, ("en",))
        if not (hant or hans or en):
            en = _pick_label(graph, iri, ("",)) or _local(iri)
        alts = sorted({str(o) for o in graph.objects(iri, SKOS.altLabel)} - {hant, hans, en})
        index[iri] = len(entities)
        entities.append(_Entity(iri, slug, _vocabulary().most_specific(_local(t) for t in typed[iri]), (hant, hans, en), alts))

    # documents and evidence
    doc_iris = sorted({d for d in graph.objects(None, KG.document) if isinstance(d, URIRef)})
    doc_index = {d: i for i, d in enumerate(doc_iris)}
    docs = []
    for d in doc_iris:
        name = graph.value(d, KG.fileName)
        title = graph.value(d, DCTERMS.title)
        date = graph.value(d, DCTERMS.date)
        docs.append((str(name) if name is not None else _local(d), str(title) if title is not None else "",
                     str(date) if date is not None else ""))
    records = []
    for ev in graph.subjects(RDF.type, KG.Evidence):
        s, p, o = graph.value(ev, RDF.subject), graph.value(ev, RDF.predicate), graph.value(ev, RDF.object)
        sentence, d = graph.value(ev, KG.sentence), graph.value(ev, KG.document)
        if s is None or p is None or o is None or sentence is None:
            continue
        records.append((s, p, o, str(sentence), doc_index.get(d, -1)))
    records.sort(key=lambda r: (str(r[0]), str(r[1]), str(r[2]), r[4], r[3]))
    sentence_index: dict[tuple[str, int], int] = {}
    evidence: dict[tuple, list[int]] = defaultdict(list)
    for s, p, o, sentence, d in records:
        sid = sentence_index.setdefault((sentence, d), len(sentence_index))
        key = (s, p, o.toPython() if isinstance(o, Literal) else o)
        if sid not in evidence[key]:
            evidence[key].append(sid)
    sentences = sorted(sentence_index, key=sentence_index.__getitem__)

    edges: list[tuple[int, str, int, list[int]]] = []
    predicates: set[str] = set()
    for s, p, o in graph:
        if s not in index or p == RDF.type or p in not_relations or p in (RDFS.label, SKOS.altLabel):
            continue
        ent = entities[index[s]]
        ev_ids = evidence.get((s, p, o.toPython() if isinstance(o, Literal) else o), [])
        if isinstance(o, Literal):
            ent.attrs.append((_local(p), _value_text(o), ev_ids))
        elif o in index:
            pred = _local(p)
            predicates.add(pred)
            edges.append((index[s], pred, index[o], ev_ids))
            ent.neighbours.add(index[o])
            entities[index[o]].neighbours.add(index[s])
    for ent in entities:
        ent.attrs.sort()
        ent.type_ev = evidence.get((ent.iri, RDF.type, KG[ent.cls]), [])
    edges.sort(key=lambda e: (e[0], e[1], e[2]))
    legend = _vocabulary().legend_classes
    classes = sorted({e.cls for e in entities}, key=lambda c: (legend.index(c) if c in legend else 99, c))
    pred_order = _property_order()
    preds = sorted(predicates, key=lambda p: (pred_order.index(p) if p in pred_order else 99, p))
    incident: list[list[int]] = [[] for _ in entities]
    for k, (s, _p, o, _ev) in enumerate(edges):
        incident[s].append(k)
        if o != s:
            incident[o].append(k)
    return _Model(entities, edges, sentences, docs, classes, preds, incident)


# --------------------------------------------------------------------------------------------- layout

def _spring_layout(n: int, edges: list[tuple[int, int]], seed: int = LAYOUT_SEED) -> list[tuple[int, int]]:
    """Fruchterman-Reingold with a weak pull to the centre (keeps components together); dense numpy,
    processed in row blocks so memory stays O(block * n). Returns integer pixel coordinates."""
    if n == 0:
        return []
    if n == 1:
        return [(0, 0)]
    import numpy as np

    rng = np.random.default_rng(seed)
    pos = rng.random((n, 2)) - 0.5
    src = np.array([a for a, b in edges] + [b for a, b in edges], dtype=np.int64)
    dst = np.array([b for a, b in edges] + [a for a, b in edges], dtype=np.int64)
    k = 1.0 / math.sqrt(n)
    iterations = 120 if n <= 500 else 80 if n <= 2000 else 50
    temperature = 0.1
    cool = temperature / (iterations + 1)
    block = max(1, 2_000_000 // n)
    x, y = pos[:, 0].copy(), pos[:, 1].copy()
    for _ in range(iterations):
        dispx, dispy = np.zeros(n), np.zeros(n)
        for start in range(0, n, block):
            dx = x[start:start + block, None] - x[None, :]
            dy = y[start:start + block, None] - y[None, :]
            force = dx * dx
            force += dy * dy
            np.maximum(force, 1e-6, out=force)
            np.divide(k * k, force, out=force)            # repulsion k^2/d, along the unit vector
            dispx[start:start + block] = np.einsum("ij,ij->i", dx, force)
            dispy[start:start + block] = np.einsum("ij,ij->i", dy, force)
        if len(src):
            ex, ey = x[src] - x[dst], y[src] - y[dst]
            pull = np.sqrt(ex * ex + ey * ey) / k           # attraction d^2/k
            dispx -= np.bincount(src, ex * pull, minlength=n)
            dispy -= np.bincount(src, ey * pull, minlength=n)
        dispx -= x                                           # gravity: keeps components within ~unit radius
        dispy -= y
        length = np.maximum(np.sqrt(dispx * dispx + dispy * dispy), 1e-9)
        step = np.minimum(length, temperature) / length
        x += dispx * step
        y += dispy * step
        temperature -= cool
    pos = np.stack([x, y], axis=1)
    pos -= pos.mean(axis=0)
    span = float(np.abs(pos).max()) or 1.0
    scale = max(250.0, 70.0 * math.sqrt(n)) / span
    return [(int(round(x * scale)), int(round(y * scale))) for x, y in pos.tolist()]


def _overview_layout(model: _Model, drawn: list[int], pairs: list[tuple[int, int]]) -> dict[int, tuple[int, int]]:
    """Spring layout for the entities with relations; the ones without any are shelved in a grid below
    it (sorted by class and name) instead of being pushed to a wide ring around it."""
    linked = sorted({i for pair in pairs for i in pair})
    renumber = {old: new for new, old in enumerate(linked)}
    coords = _spring_layout(len(linked), [(renumber[a], renumber[b]) for a, b in pairs])
    positions = {drawn[old]: coords[new] for old, new in renumber.items()}
    lonely = sorted((g for i, g in enumerate(drawn) if i not in renumber),
                    key=lambda g: (model.classes.index(model.entities[g].cls), model.entities[g].slug))
    if lonely:
        xs = [x for x, _ in positions.values()] or [0]
        bottom = max((y for _, y in positions.values()), default=-150)
        width = max(max(xs) - min(xs), 600)
        columns = max(1, int(width // 110))
        left = (max(xs) + min(xs)) // 2 - (min(columns, len(lonely)) - 1) * 55
        for k, g in enumerate(lonely):
            positions[g] = (left + (k % columns) * 110, bottom + 180 + (k // columns) * 70)
    return positions


def _radial_layout(focus: int, ring1: list[int], ring2: list[tuple[int, int]]) -> dict[int, tuple[int, int]]:
    """Radial tree: the focus in the middle, neighbours on a circle, each second-hop node on an outer
    circle inside the angular sector of the neighbour it was reached through (``ring2`` holds
    (node, parent) pairs in drawing order). Sectors are sized by the number of children."""
    pos = {focus: (0, 0)}
    children: dict[int, list[int]] = defaultdict(list)
    for node, parent in ring2:
        children[parent].append(node)
    r1 = max(220.0, len(ring1) * 70 / (2 * math.pi))
    r2 = max(r1 + 220.0, len(ring2) * 45 / (2 * math.pi))
    total = sum(max(1, len(children[p])) for p in ring1) or 1
    cursor = -math.pi / 2

    def point(radius: float, angle: float) -> tuple[int, int]:
        return int(round(radius * math.cos(angle))), int(round(radius * math.sin(angle)))

    for parent in ring1:
        kids = children[parent]
        sector = 2 * math.pi * max(1, len(kids)) / total
        pos[parent] = point(r1, cursor + sector / 2)
        for j, kid in enumerate(kids):
            pos[kid] = point(r2, cursor + sector * (j + 0.5) / len(kids))
        cursor += sector
    return pos


# ------------------------------------------------------------------------------------------ rendering

def _json_for_script(data: object) -> str:
    """JSON that is safe inside <script>: no '<', '>', '&', U+2028 or U+2029 appear literally."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return re.sub("[<>&\u2028\u2029]", lambda m: _JSON_ESCAPES[m.group(0)], text)


def _t2s_table(model: _Model) -> dict[str, str]:
    """Traditional -> Simplified character pairs for the characters in the labels, from OpenCC."""
    from kg.normalize import converter

    chars = {ch for e in model.entities for text in (*e.labels, *e.alts) for ch in text if ord(ch) > 0x2E7F}
    t2s, s2t = converter("t2s"), converter("s2t")
    table: dict[str, str] = {}
    for ch in sorted(chars):
        simple = t2s.convert(ch)
        if len(simple) == 1 and simple != ch:
            table[ch] = simple
        trad = s2t.convert(ch)
        if len(trad) == 1 and trad != ch and t2s.convert(trad) == ch:
            table[trad] = ch
    return dict(sorted(table.items()))


def _class_table(model: _Model) -> list[list[str]]:
    rows, extra = [], 0
    labels = vocabulary_labels()
    for cls in model.classes:
        style = _vocabulary().style(cls)
        if style is not None:
            colour, shape = style
        else:
            colour, shape = FALLBACK_COLOURS[extra % len(FALLBACK_COLOURS)], "dot"
            extra += 1
        rows.append([cls, labels.get(cls, cls), colour, shape])
    return rows


def _page_data(model: _Model, drawn: list[int], listed: list[int], positions: dict[int, tuple[int, int]], *,
               focus: int | None, note: str, entity_href: str, t2s: dict[str, str], title: str) -> dict:
    """The JSON the page script reads. ``listed`` entities are searchable; ``drawn`` ones (a subset)
    are on the canvas with their relations to each other and the evidence for them."""
    listed_set = set(listed)
    local = {g: i for i, g in enumerate(sorted(listed_set))}
    drawn_set = set(drawn)
    if len(drawn_set) * 4 < len(model.entities):   # small page: walk the incident edges only
        edge_ids = sorted({k for g in drawn_set for k in model.incident[g]})
        edges = [model.edges[k] for k in edge_ids if model.edges[k][0] in drawn_set and model.edges[k][2] in drawn_set]
    else:
        edges = [e for e in model.edges if e[0] in drawn_set and e[2] in drawn_set]
    sentence_ids = sorted({s for e in edges for s in e[3]}
                          | {s for g in drawn for a in model.entities[g].attrs for s in a[2]}
                          | {s for g in drawn for s in model.entities[g].type_ev})
    sentence_local = {s: i for i, s in enumerate(sentence_ids)}
    doc_ids = sorted({model.sentences[s][1] for s in sentence_ids if model.sentences[s][1] >= 0})
    doc_local = {d: i for i, d in enumerate(doc_ids)}
    cls_index = {c: i for i, c in enumerate(model.classes)}
    pred_index = {p: i for i, p in enumerate(model.predicates)}
    entities = []
    for g in sorted(listed_set):
        e = model.entities[g]
        row = {"id": e.slug, "c": cls_index[e.cls], "l": list(e.labels), "d": len(e.neighbours)}
        if e.alts:
            row["a"] = e.alts
        if g in drawn_set:
            row["x"], row["y"] = positions[g]
            if e.attrs:
                row["at"] = [[p, v, [sentence_local[s] for s in ev]] for p, v, ev in e.attrs]
            if e.type_ev:
                row["te"] = [sentence_local[s] for s in e.type_ev]
        entities.append(row)
    return {
        "title": title,
        "focus": model.entities[focus].slug if focus is not None else None,
        "note": note,
        "href": entity_href,
        "classes": _class_table(model),
        "predicates": [[p, vocabulary_labels().get(p, p), PREDICATE_COLOURS[i % len(PREDICATE_COLOURS)]]
                       for i, p in enumerate(model.predicates)],
        "docs": [list(model.docs[d]) for d in doc_ids],
        "sentences": [[model.sentences[s][0], doc_local.get(model.sentences[s][1], -1)] for s in sentence_ids],
        "entities": entities,
        "edges": [[local[s], pred_index[p], local[o], [sentence_local[x] for x in ev]] for s, p, o, ev in edges],
        "t2s": "".join(k + v for k, v in t2s.items()),
    }


def _asset(name: str) -> str:
    return resources.files("kg").joinpath("assets", name).read_text(encoding="utf-8")


VIS_LICENCE = "vis-network.LICENSE.txt"


def _version_key(path) -> tuple:
    match = re.search(r"vis-(\d+(?:\.\d+)*)", str(path))
    return tuple(int(x) for x in match.group(1).split(".")) if match else ()


def vis_network_source() -> tuple[str, str]:
    """(vis-network's minified code, where it was found): the newest ``vis-<version>/vis-network.min.js``
    shipped in the installed ``pyvis`` package. Raises :class:`kg.errors.ConfigError` without pyvis."""
    from kg.errors import ConfigError

    spec = importlib.util.find_spec("pyvis")   # finds the package without importing it (0.35 s of imports)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("the HTML views take vis-network from the pyvis package, which is not installed: "
                          "pip install 'pyvis>=0.3.2'")
    root = Path(spec.submodule_search_locations[0])
    found = []
    for lib in ("lib", "templates/lib"):
        folder = root.joinpath(*lib.split("/"))
        if folder.is_dir():
            found += [d.joinpath("vis-network.min.js") for d in folder.iterdir()
                      if d.name.startswith("vis-") and d.joinpath("vis-network.min.js").is_file()]
    if not found:
        raise ConfigError(f"no vis-network.min.js inside the installed pyvis package ({root}); "
                          "reinstall it: pip install --force-reinstall 'pyvis>=0.3.2'")
    best = max(found, key=_version_key)
    return best.read_text(encoding="utf-8"), str(best)


def _vis_with_notice() -> str:
    """vis-network preceded by its licence notice, as one script (a ``/*! … */`` comment, kept by minifiers)."""
    code, where = vis_network_source()
    version = ".".join(map(str, _version_key(where))) or "unknown"
    notice = _asset(VIS_LICENCE).replace("*/", "* /").rstrip()
    return f"/*! vis-network {version}, read at export time from the installed pyvis package.\n{notice}\n*/\n{code}"


def _render(template: str, *, data: dict, title: str, scripts: str, csp_script: str) -> str:
    from html import escape

    parts = {
        "TITLE": escape(title),
        "CSP_SCRIPT": csp_script,
        "APP": scripts,
        "DATA": _json_for_script(data),
    }
    return _PLACEHOLDER.sub(lambda m: parts[m.group(1)], template)


def _overview_selection(model: _Model, limit: int) -> list[int]:
    order = sorted(range(len(model.entities)), key=lambda i: (-len(model.entities[i].neighbours),
                                                               model.entities[i].slug))
    return sorted(order[:max(0, limit)])


def _neighbourhood(model: _Model, focus: int, limit: int) -> tuple[list[int], list[tuple[int, int]]]:
    def rank(i: int) -> tuple:
        e = model.entities[i]
        return (model.classes.index(e.cls), -len(e.neighbours), e.slug)

    ring1 = sorted(model.entities[focus].neighbours - {focus}, key=rank)
    seen = {focus, *ring1}
    candidates: dict[int, int] = {}
    for parent in ring1:
        for node in sorted(model.entities[parent].neighbours, key=rank):
            if node not in seen and node not in candidates:
                candidates[node] = parent
    room = max(0, limit - len(seen))
    keep = sorted(candidates, key=lambda i: (-len(model.entities[i].neighbours), model.entities[i].slug))[:room]
    keep_set = set(keep)
    position = {p: i for i, p in enumerate(ring1)}
    ring2 = sorted(((n, candidates[n]) for n in keep_set), key=lambda t: (position[t[1]], rank(t[0])))
    return ring1, ring2


def export_html(graph: rdflib.Graph, out_dir: Path, *,
                max_overview_nodes: int = DEFAULT_MAX_OVERVIEW_NODES) -> list[Path]:
    """Write ``out_dir/graph.html`` and ``out_dir/entities/<slug>.html`` (plus the scripts the entity
    pages share, ``entities/vis-network.min.js`` and ``entities/kg-view.js``); return the paths written,
    overview first."""
    out_dir = Path(out_dir)
    model = _read(graph)
    context = _Context.load(model)
    return [write_overview(model, out_dir, max_overview_nodes, context), *write_entity_pages(model, out_dir, context)]


@dataclass(frozen=True)
class _Context:
    template: str
    vis: str
    app: str
    t2s: dict[str, str]

    @classmethod
    def load(cls, model: _Model) -> "_Context":
        return cls(_asset("html_template.html"), _vis_with_notice(), _asset(APP_JS), _t2s_table(model))


def write_overview(model: _Model, out_dir: Path, max_nodes: int, context: _Context) -> Path:
    """``graph.html``: the best-connected ``max_nodes`` entities drawn, every entity searchable."""
    n = len(model.entities)
    drawn = _overview_selection(model, max_nodes)
    drawn_set = set(drawn)
    local = {g: i for i, g in enumerate(drawn)}
    pairs = sorted({(local[s], local[o]) for s, _p, o, _ev in model.edges if s in drawn_set and o in drawn_set})
    positions = _overview_layout(model, drawn, pairs)
    note = ""
    if len(drawn) < n:
        note = (f"圖中只畫出連接最多的 {len(drawn)} 個實體（共 {n} 個）。其餘實體可用搜尋找到，並在各自的實體頁面中顯示。"
                f" Showing the {len(drawn)} best-connected of {n} entities; search finds all of them and each "
                f"has its own page.")
    data = _page_data(model, drawn, list(range(n)), positions, focus=None, note=note, entity_href="entities/",
                      t2s=context.t2s, title="全圖 Overview")
    for name, code in ((VIS_JS, context.vis), (APP_JS, context.app)):
        if re.search(r"</script|<!--", code, re.IGNORECASE):  # would end or confuse the inline <script>
            raise ValueError(f"{name} cannot be inlined: it contains '</script' or '<!--'")
    scripts = f"<script>{context.vis}</script>\n<script>{context.app}</script>"
    path = Path(out_dir) / "graph.html"
    atomic_write_text(path, _render(context.template, data=data, title="GPU/算力產業知識圖譜", scripts=scripts,
                                    csp_script="'unsafe-inline'"))
    return path


def write_entity_pages(model: _Model, out_dir: Path, context: _Context) -> list[Path]:
    """``entities/<slug>.html`` for every entity, and the two scripts they share."""
    entities_dir = Path(out_dir) / "entities"
    written = []
    for name, code in ((VIS_JS, context.vis), (APP_JS, context.app)):
        atomic_write_text(entities_dir / name, code)
        written.append(entities_dir / name)
    # Each atomic write fsyncs, which dominates on big graphs: pages are rendered here while a small
    # thread pool writes the previous ones (at most 512 rendered pages wait in memory).
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures: deque = deque()
        for focus, ent in enumerate(model.entities):
            path = entities_dir / f"{ent.slug}.html"
            futures.append(pool.submit(atomic_write_text, path, _entity_page(model, focus, context)))
            written.append(path)
            while len(futures) > 512:
                futures.popleft().result()
        for future in futures:
            future.result()
    return written


def _entity_page(model: _Model, focus: int, context: _Context) -> str:
    ent = model.entities[focus]
    ring1, ring2 = _neighbourhood(model, focus, ENTITY_PAGE_MAX_NODES)
    nodes = sorted({focus, *ring1, *(node for node, _ in ring2)})
    hidden = len({m for r in ring1 for m in model.entities[r].neighbours} - set(nodes))
    note = (f"另有 {hidden} 個第二層鄰居未畫出（只保留連接最多的）。 {hidden} more second-hop neighbours "
            f"are not drawn (the best-connected are kept).") if hidden else ""
    label = ent.labels[0] or ent.labels[1] or ent.labels[2]
    data = _page_data(model, nodes, nodes, _radial_layout(focus, ring1, ring2), focus=focus, note=note,
                      entity_href="", t2s=context.t2s, title=f"{label} · 兩層鄰域 2-hop neighbourhood")
    return _render(context.template, data=data, title=f"{label} — GPU/算力產業知識圖譜",
                   scripts=f'<script src="{VIS_JS}"></script>\n<script src="{APP_JS}"></script>',
                   csp_script="'self' file: 'unsafe-inline'")


def find_entity_page(exports_dir: Path, name: str) -> Path:
    """The entity page for ``name``: an IRI slug, or any label or alias in either script or English.

    Looks the name up in the search index embedded in ``graph.html`` (no need to parse graph.ttl).
    Raises :class:`kg.errors.InputError` when there is no overview, no match, or several equally good ones.
    """
    from kg.errors import InputError
    from kg.normalize import default_normalizer

    overview = Path(exports_dir) / "graph.html"
    if not overview.is_file():
        raise InputError(f"{overview} does not exist; run `kg rebuild` first (or pass --exports DIR)")
    match = re.search(r'<script type="application/json" id="kg-data">(.*?)</script>',
                      overview.read_text(encoding="utf-8"), re.S)
    if not match:
        raise InputError(f"{overview} was not written by kg (no embedded graph data); run `kg rebuild`")
    entities = json.loads(match.group(1))["entities"]
    norm = default_normalizer().key   # the project's one name key

    wanted = norm(name)
    exact, partial = [], []
    for e in entities:
        keys = [norm(k) for k in [e["id"], *e["l"], *e.get("a", [])] if k]
        if wanted in keys:
            exact.append(e)
        elif any(wanted in k for k in keys):
            partial.append(e)
    found = exact or partial
    if not found:
        raise InputError(f"no entity called {name!r}; try part of a name, e.g. `kg view 英偉達`")
    if len(found) > 1:
        found.sort(key=lambda e: (-e["d"], e["id"]))
        options = ", ".join(f"{e['id']} ({e['l'][0] or e['l'][2]})" for e in found[:10])
        raise InputError(f"{name!r} matches {len(found)} entities: {options}; give the slug or a full name")
    page = Path(exports_dir) / "entities" / f"{found[0]['id']}.html"
    if not page.is_file():
        raise InputError(f"{page} is missing; run `kg rebuild` to rewrite the entity pages")
    return page
