"""The claims stage: typed mentions + trigger words + sentence structure → claims.

Every rule frame (kg/claims/rules/) reads one sentence through its normalised, Simplified view, so triggers are
written once for all scripts (ontology/triggers.tsv), and yields (subject, predicate, object, rule id).
Rule ids, their confidences and their precedence live in ontology/patterns/rules.tsv. Rules never
consult what a name *is* beyond its class: the lexicon knows names, the sentence says the facts."""
from __future__ import annotations

from kg.claims.figures import figure_claims
from kg.model import Claim, Mention, Sentence
from kg.claims.rules.dispatch import frames_for
from kg.claims.rules.table import confidence, fits
from kg.claims.sentence_view import SentenceView


def extract_claims(sentence: Sentence, norm: str, mentions: list[Mention]) -> list[Claim]:
    """All claims one sentence makes. ``norm`` is the sentence's normalised text; ``mentions`` lie inside it."""
    view = SentenceView(sentence, norm, mentions)
    seen: set[tuple] = set()
    claims: list[Claim] = []
    for rule in frames_for(view.items):   # the frames that can give a kept claim here
        for subject, predicate, obj, rule_id in rule(view):
            if subject is obj or not fits(rule_id, subject, obj):
                continue
            key = (subject.index, predicate, obj.index)
            if key in seen:
                continue
            seen.add(key)
            claims.append(Claim(subject.mention, predicate, obj.mention, sentence, rule_id,
                                round(confidence(rule_id) * min(subject.mention.confidence, obj.mention.confidence), 3)))
    claims += figure_claims(view)
    return claims
