"""The graph: resolved entities, checked facts and documents as sorted RDF triples.

:mod:`kg.graph.builder` turns them into triples (``docs/graph-schema.md``: entities, facts, evidence
records, documents) and :mod:`kg.graph.rdf` is our own sorted Turtle / N-Triples writer (fast and
byte-identical from run to run); :class:`kg.graph.built.BuiltGraph` is the finished graph with its report
and documents: what every exporter receives.
"""
