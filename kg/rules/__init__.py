"""Relation rules, one module per family of predicates. Each rule reads a SentenceView and yields
(subject item, predicate, object item, rule id, confidence); `kg.relations` runs them all."""
from __future__ import annotations

from kg.rules import corporate, links, markets, policy, products

#: every rule, in the order their claims are kept when two rules give the same triple
RULES = (
    products.develops, products.based_on, products.process_nodes, products.manufactured, products.foundry_process_used_for,
    markets.markets, markets.technologies,
    links.compatible, links.comparable,
    corporate.acquired, corporate.acquired_passive, corporate.listed, corporate.partners,
    corporate.invests, corporate.invested_by, corporate.investors_listed, corporate.shareholders, corporate.subsidiary,
    policy.restricts, policy.located, policy.nationality,
)

__all__ = ["RULES"]
