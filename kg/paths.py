"""How are two entities connected? `kg path A B`: the shortest chains of relations between them.

    from kg.paths import find_paths, format_paths
    paths = find_paths("exports/graph.ttl", "摩爾線程", "台積電", max_hops=4)
    print(format_paths(paths))

Entities are found by any label or alias, in either script or English (one name key, as everywhere).
The fact graph is read from the export with pyoxigraph and searched with networkx as an undirected graph
(a chain may follow a relation against its direction: 摩爾線程 —listedOn→ 科創板 ←listedOn— 沐曦); each hop
carries its predicate, direction and the evidence sentence and document that state it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from kg.errors import InputError
from kg.namespaces import ID_NS, KG_NS, RDF_OBJECT, RDF_PREDICATE, RDF_SUBJECT, RDFS_LABEL, SKOS_ALT_LABEL
from kg.normalize import default_normalizer

_KG, _ID = KG_NS, ID_NS
_NAME_PREDICATES = (RDFS_LABEL, SKOS_ALT_LABEL)
#: how many shortest paths at most are listed
MAX_PATHS = 5

_FACTS = f"""
SELECT ?s ?p ?o (MIN(STR(?sentence)) AS ?evidence) (MIN(?file) AS ?document) WHERE {{
  ?s ?p ?o .
  FILTER(STRSTARTS(STR(?s), "{_ID}") && STRSTARTS(STR(?o), "{_ID}") && STRSTARTS(STR(?p), "{_KG}"))
  OPTIONAL {{ ?e <{RDF_SUBJECT}> ?s ;
                 <{RDF_PREDICATE}> ?p ;
                 <{RDF_OBJECT}> ?o ;
                 <{_KG}sentence> ?sentence ; <{_KG}document> ?doc . ?doc <{_KG}fileName> ?file }}
}} GROUP BY ?s ?p ?o
"""


@dataclass(frozen=True)
class Hop:
    source: str            # entity id the hop leaves
    predicate: str
    target: str
    forward: bool          # True when the fact reads source —predicate→ target
    sentence: str
    document: str


@dataclass(frozen=True)
class Connection:
    entities: tuple[str, ...]
    labels: tuple[str, ...]
    hops: tuple[Hop, ...]


def _load(graph_path: Path):
    from kg.query import GraphStore

    return GraphStore.load(graph_path)


def _names(store) -> dict[str, set[str]]:
    import pyoxigraph as ox

    key = default_normalizer().key
    names: dict[str, set[str]] = {}
    for predicate in _NAME_PREDICATES:
        for quad in store.store.quads_for_pattern(None, ox.NamedNode(predicate), None):
            ident = quad.subject.value
            if ident.startswith(_ID):
                local = ident[len(_ID):]
                names.setdefault(key(quad.object.value), set()).add(local)
                names.setdefault(key(local), set()).add(local)   # the id itself (MooreThreads) names it too
    return names


def resolve_name(names: dict[str, set[str]], name: str) -> str:
    """The one entity ``name`` means (its id or any label/alias); InputError when none or several."""
    found = names.get(default_normalizer().key(name))
    if not found:
        raise InputError(f"no entity called {name!r} in the graph")
    if len(found) > 1:
        raise InputError(f"{name!r} names {len(found)} entities ({', '.join(sorted(found))}); give one of these ids")
    return next(iter(found))


def find_paths(graph_path: Path | str, a: str, b: str, *, max_hops: int = 4) -> list[Connection]:
    """The shortest chains (at most :data:`MAX_PATHS`, each at most ``max_hops`` relations) from a to b."""
    import networkx as nx

    if max_hops < 1:
        raise InputError("--max-hops must be at least 1")
    store = _load(Path(graph_path))
    names = _names(store)
    start, goal = resolve_name(names, a), resolve_name(names, b)
    graph = nx.MultiGraph()
    for s, p, o, sentence, document in store.run(_FACTS).rows:
        subject, obj = s.value[len(_ID):], o.value[len(_ID):]
        graph.add_edge(subject, obj, key=p.value[len(_KG):], subject=subject,
                       sentence=sentence.value if sentence is not None else "",
                       document=document.value if document is not None else "")
    if start == goal or start not in graph or goal not in graph or not nx.has_path(graph, start, goal):
        return []
    shortest = nx.shortest_path_length(graph, start, goal)
    if shortest > max_hops:
        raise InputError(f"the shortest connection between {a} and {b} has {shortest} hops; "
                         f"raise --max-hops to see it")
    chosen = sorted(nx.all_shortest_paths(graph, start, goal))[:MAX_PATHS]
    return [_path(store, graph, chain) for chain in chosen]


def _path(store, graph, chain: list[str]) -> Connection:
    hops = []
    for source, target in zip(chain, chain[1:]):
        predicate, data = sorted(graph.get_edge_data(source, target).items())[0]
        hops.append(Hop(source, predicate, target, data["subject"] == source, data["sentence"], data["document"]))
    labels = tuple(store.label(_ID + ident) or ident for ident in chain)
    return Connection(tuple(chain), labels, tuple(hops))


def format_paths(paths: list[Connection], a: str, b: str, *, as_json: bool = False) -> str:
    """``kg path``'s output for the connections ``paths`` between ``a`` and ``b``: text, one hop a line with its
    evidence, or JSON (``as_json``)."""
    if as_json:
        return json.dumps([{"entities": list(p.entities), "labels": list(p.labels),
                            "hops": [hop.__dict__ for hop in p.hops]} for p in paths], ensure_ascii=False, indent=2) + "\n"
    if not paths:
        return f"no connection between {a} and {b} in the graph\n"
    lines = []
    for n, path in enumerate(paths, start=1):
        lines.append(f"path {n}: " + " — ".join(path.labels) + f"  ({len(path.hops)} hop{'s' if len(path.hops) > 1 else ''})")
        for hop, left, right in zip(path.hops, path.labels, path.labels[1:]):
            arrow = f"—{hop.predicate}→" if hop.forward else f"←{hop.predicate}—"
            lines.append(f"  {left} {arrow} {right}")
            sentence = hop.sentence if len(hop.sentence) <= 160 else hop.sentence[:159] + "…"
            lines.append(f"      「{sentence}」 ({hop.document})")
    return "\n".join(lines) + "\n"
