"""The ontology check: what may enter the graph, and whether the finished graph conforms.

A claim's ends are resolved to entities and its predicate's domain and range checked against ``kg.ttl``
(:func:`check_claim`): a claim that breaks them becomes a :class:`~kg.report.Rejection` in the report, one
that fits a :class:`~kg.model.Fact` with its evidence sentence. What a mention alone establishes (the class
of a name only the NER model found, a process node's nanometres) becomes a fact of its own
(:func:`mention_facts`). The finished graph is validated against the SHACL shapes in a thread while the
exports are written (:func:`start_validation`); the report waits for the verdict.
"""
from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Iterator

from kg.claims.sentences import MAX_SENTENCE
from kg.model import Article, ArticleView, Claim, Fact, Mention, Sentence
from kg.ontology import Ontology
from kg.report import BuildReport, Rejection
from kg.resolve import Entity, Resolver


def check_claim(ontology: Ontology, claim: Claim, resolver: Resolver, report: BuildReport) -> Fact | None:
    """The claim as a fact between resolved entities, or None (and a rejection in ``report``) when its
    predicate's domain or range does not admit the ends' classes."""
    article = claim.sentence.article
    subject = resolver.resolve(claim.subject, article.doc_name)
    figure = not isinstance(claim.obj, Mention)
    obj = None if figure else resolver.resolve(claim.obj, article.doc_name)
    reason = ontology.check(claim.predicate, subject.cls, None if figure else obj.cls)
    if reason is not None:
        report.rejected.append(Rejection(article.doc_name, claim.sentence.text, subject.labels.get("zh-Hant", subject.id),
                                         claim.predicate, str(claim.obj) if figure else obj.labels.get("zh-Hant", obj.id),
                                         claim.rule, reason))
        return None
    start, end = article.offsets.to_original_span(claim.sentence.start, claim.sentence.end)
    return Fact(subject.id, claim.predicate, claim.obj if figure else obj.id, article.doc_name,
                claim.sentence.text.strip(), start, end, claim.rule, claim.confidence)


def mention_facts(view: ArticleView, mentions: list[Mention], resolver: Resolver) -> Iterator[Fact]:
    """Every mention becomes (part of) an entity; model-found classes and node sizes get evidence: those facts."""
    starts = [s.start for s in view.sentences]
    for mention in mentions:
        entity = resolver.resolve(mention, view.article.doc_name)
        if mention.source.startswith("model:") or mention.cls == "ProcessNode":
            fact = mention_fact(entity, mention, view.article, view.sentences, starts)
            if fact is not None:
                yield fact


def mention_fact(entity: Entity, mention: Mention, article: Article, sentences: list[Sentence],
                 starts: list[int]) -> Fact | None:
    """Evidence for what a mention alone establishes: a model-found entity's class, a node's nanometres."""
    i = bisect.bisect_right(starts, mention.start) - 1
    if i < 0 or not sentences[i].start <= mention.start < sentences[i].end:
        return None
    sentence = sentences[i]
    start, end = article.offsets.to_original_span(sentence.start, sentence.end)
    text = sentence.text.strip()[:MAX_SENTENCE * 2]
    if mention.cls == "ProcessNode":
        if mention.value is None:   # a named process (N+3) whose size the name does not say
            return None
        return Fact(entity.id, "nanometers", mention.value, article.doc_name, text, start, end,
                    mention.source, 1.0)
    return Fact(entity.id, "type", entity.cls, article.doc_name, text, start, end, mention.source, mention.confidence)


def start_validation(ontology: Ontology, ntriples: str, report: BuildReport,
                     enabled: bool = True) -> "Validation | None":
    """SHACL over the whole graph (``ntriples``), in a thread: the validator releases the GIL, so it runs while
    the exports are written; :meth:`Validation.finish` waits for it. Not ``enabled``: noted in the report."""
    if not enabled:
        report.shacl = "skipped (--no-validate)"
        return None
    return Validation(ontology, ntriples, report)


class Validation:
    """SHACL validation of a finished graph in a background thread; :meth:`finish` waits for it and puts
    the verdict into the report (an error inside the validator is raised there)."""

    def __init__(self, ontology: Ontology, ntriples: str, report: BuildReport):
        self._report = report
        self._outcome: tuple[bool, str] | BaseException | None = None
        self._seconds = 0.0
        self._thread = threading.Thread(target=self._run, args=(ontology, ntriples), name="kg-shacl", daemon=True)
        self._thread.start()

    def _run(self, ontology: Ontology, ntriples: str) -> None:
        started = time.perf_counter()
        try:
            self._outcome = ontology.validate(ntriples)
        except BaseException as error:  # handed to the build thread by finish()
            self._outcome = error
        self._seconds = time.perf_counter() - started

    def finish(self) -> None:
        self._thread.join()
        if isinstance(self._outcome, BaseException):
            raise self._outcome
        conforms, text = self._outcome
        report = self._report
        report.timings["shacl"] = self._seconds
        report.shacl = "conforms" if conforms else "DOES NOT CONFORM"
        report.shacl_ok = conforms
        if not conforms:
            report.shacl_text = text
