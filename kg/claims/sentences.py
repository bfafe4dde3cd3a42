"""From an article's mentions to its claims, sentence window by sentence window.

A sentence that is too long for the rules (pages without full stops) is cut at clause marks into windows of
at most :data:`MAX_SENTENCE` characters; each window that holds mentions is read by the rules
(``kg/claims/relations.py``) and then, for pairs the rules left alone, by the relation model.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from kg.model import ArticleView, Claim, Mention, Sentence
from kg.claims.relations import extract_claims
from kg.claims.sentence_view import SentenceView

if TYPE_CHECKING:
    from kg.claims.relation_model import RelationModel
    from kg.normalize import Normalizer
    from kg.ontology import Ontology

#: Longer "sentences" (pages without punctuation) are cut at clause marks into windows of this size.
MAX_SENTENCE = 400


def article_claims(view: ArticleView, mentions: list[Mention], relation_model: "RelationModel | None" = None,
                   ontology: "Ontology | None" = None, normalizer: "Normalizer | None" = None) -> list[Claim]:
    """The rules' claims of each sentence window; then the relation model's (when given, with the ontology
    and normaliser it reads with) for pairs the rules left alone. ``mentions`` sorted by start."""
    claims = []
    for sentence, norm, inside in sentence_mentions(view, mentions):
        found = extract_claims(sentence, norm, inside)
        if relation_model is not None and len(inside) > 1:
            found += relation_model.claims(SentenceView(sentence, norm, inside), found, ontology, normalizer)
        claims += found
    return claims


def sentence_mentions(view: ArticleView, mentions: list[Mention]) -> Iterator[tuple[Sentence, str, list[Mention]]]:
    """Each sentence window of the article that holds mentions: (window, its normalised text, the
    mentions inside it). ``mentions`` sorted by start, as :meth:`kg.pipeline.Pipeline.article_mentions` gives them."""
    index = 0
    for sentence in windows(view.sentences):
        while index < len(mentions) and mentions[index].start < sentence.start:
            index += 1
        inside = []
        j = index
        while j < len(mentions) and mentions[j].start < sentence.end:
            if mentions[j].end <= sentence.end:
                inside.append(mentions[j])
            j += 1
        if inside:
            yield sentence, view.norm[sentence.start:sentence.end], inside


def windows(sentences: list[Sentence]) -> list[Sentence]:
    """Cut run-on sentences (no full stops for pages) into clause-aligned windows the rules can afford."""
    out = []
    for s in sentences:
        if len(s.text) <= MAX_SENTENCE:
            out.append(s)
            continue
        start = 0
        while start < len(s.text):
            end = min(len(s.text), start + MAX_SENTENCE)
            if end < len(s.text):
                cut = max(s.text.rfind(mark, start, end) for mark in "，,；;、 ")
                end = cut + 1 if cut > start else end
            out.append(Sentence(s.article, s.start + start, s.start + end, s.text[start:end]))
            start = end
    return out
