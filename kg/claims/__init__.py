"""Claims: relations and figures (:class:`~kg.model.Claim`) read from one sentence's mentions.

:mod:`kg.claims.sentences` cuts an article into sentence windows, gives each window the mentions inside it
and asks the rules (``kg/claims/relations.py``, ``kg/claims/rules/``, ``kg/claims/figures.py``) for its claims, then the relation
model (:mod:`kg.claims.relation_model`) for pairs of mentions the rules left alone. A claim names its rule
and a confidence; nothing is resolved or checked against the ontology yet.
"""
