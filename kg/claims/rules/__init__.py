"""Relation rule frames, one module per family of predicates. Each frame reads a SentenceView and yields
(subject item, predicate, object item, rule id); `kg.claims.relations` runs them all. Which rule ids a frame
gives, their confidences and the order the frames run in are data: ontology/patterns/rules.tsv, whose
`pattern` column also holds whole rules for the two pattern frames (kg/claims/rules/patterns.py)."""
from __future__ import annotations

from kg.claims.rules import corporate, links, markets, patterns, policy, products
from kg.claims.rules.table import check_table, read_table, rule_table

#: every relation frame by its name in the rule table
FRAMES = {f"{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}": fn for fn in (
    products.develops, products.based_on, products.process_nodes, products.manufactured,
    products.foundry_process_used_for, markets.markets, markets.technologies, links.compatible, links.comparable,
    corporate.listed, corporate.listed_qualifier, corporate.partners, corporate.invests,
    corporate.invested_by, corporate.investors_listed, corporate.backers, corporate.shareholders, corporate.subsidiary,
    policy.restricts, policy.restricts_listed, policy.located, policy.nationality,
    patterns.verb, patterns.sequence,
)}
#: frames of figures (kg/claims/figures.py) are named in the table too
FIGURE_FRAMES = {"figures.figures"}


def _in_table_order() -> tuple:
    order: list[str] = []
    for spec in rule_table().values():
        if spec.frame in FRAMES and spec.frame not in order:
            order.append(spec.frame)
    return tuple(FRAMES[name] for name in order)


#: the relation frames in the order of their first row in the rule table (the precedence)
RULES = _in_table_order()


def check_rules(ontology, path=None) -> None:
    """Start-up check of the rule table against the frames and the loaded vocabulary (ConfigError)."""
    from kg.claims.rules.table import DEFAULT_PATH
    check_table(read_table(path or DEFAULT_PATH), set(FRAMES) | FIGURE_FRAMES, ontology, path or DEFAULT_PATH)


__all__ = ["FRAMES", "RULES", "check_rules"]
