"""The finished graph of a build: what every exporter receives (``export(built, directory)``)."""
from __future__ import annotations

from dataclasses import dataclass, field

from kg.graph.builder import GraphBuilder, ViewGraph
from kg.model import Document
from kg.report import BuildReport

#: Evidence sentences per fact carried into the HTML views (graph.ttl keeps up to 5 per fact and document).
VIEW_EVIDENCE_PER_FACT = 3


@dataclass
class BuiltGraph:
    """What exporters receive: the graph's builder (entities, facts, evidence), the build's report, the
    documents read, and the whole graph's triples serialised once as Turtle and N-Triples."""

    builder: GraphBuilder
    report: BuildReport
    documents: list[Document]
    all_triples: set = field(default_factory=set, repr=False)
    turtle: str = ""
    ntriples: str = ""

    def view_graph(self) -> ViewGraph:
        """The graph with a few evidence sentences per fact: what a browser view needs to show."""
        return ViewGraph(self.builder.view_triples(VIEW_EVIDENCE_PER_FACT))
