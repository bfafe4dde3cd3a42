"""Entity resolution: one entity per real thing across scripts, aliases and misspellings.

Lexicon mentions carry their entry id. Names the lexicon lacks (patterns, the model) are looked up by
their comparison key among the lexicon's surface forms of a compatible class, else become new
entities whose readable id is derived from the name. Two things sharing a string but not a class
stay two entities."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from kg.mentions.finder import format_number
from kg.mentions.lexicon import Lexicon
from kg.model import Mention
from kg.normalize import Normalizer
from kg.vocabulary import vocabulary


@dataclass
class Entity:
    id: str
    cls: str
    labels: dict[str, str]                        # language tag -> label
    alt_labels: set[str] = field(default_factory=set)
    found_by: set[str] = field(default_factory=set)
    documents: set[str] = field(default_factory=set)
    nanometers: float | None = None
    confidence: float = 1.0                       # best confidence of the mentions that made it

    def all_labels(self) -> set[str]:
        return set(self.labels.values()) | self.alt_labels


def _family(cls: str) -> str:
    return vocabulary().family(cls)


class Resolver:
    def __init__(self, lexicon: Lexicon, normalizer: Normalizer):
        self.lexicon = lexicon
        self.normalizer = normalizer
        self.entities: dict[str, Entity] = {}
        self._by_key: dict[tuple[str, str], str] = {}   # (comparison key, class family) -> lexicon id
        for entry in lexicon.entries:
            for form in entry.surface_forms:
                self._by_key.setdefault((normalizer.key(form), _family(entry.cls)), entry.id)
        self._new_ids: dict[tuple[str, str], str] = {}   # (key, class) -> id of a name the lexicon lacks

    def resolve(self, mention: Mention, doc_name: str) -> Entity:
        """The entity a mention names (created on first sight), with the mention's surface recorded."""
        ident = mention.key or self._lookup(mention)
        entity = self.entities.get(ident)
        if entity is None:
            entity = self._create(ident, mention)
            self.entities[ident] = entity
        if mention.text not in entity.labels.values():
            entity.alt_labels.add(mention.text.strip())
        entity.found_by.add(mention.source)
        entity.documents.add(doc_name)
        entity.confidence = max(entity.confidence, mention.confidence)
        return entity

    def _lookup(self, mention: Mention) -> str:
        key = self.normalizer.key(mention.text)
        known = self._by_key.get((key, _family(mention.cls)))
        if known is not None:
            return known
        return self._new_ids.setdefault((key, mention.cls), self._new_id(key, mention))

    def _new_id(self, key: str, mention: Mention) -> str:
        text = mention.text.strip()
        slug = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-") if text.isascii() else key
        slug = slug or key
        taken = {i for (k, c), i in self._new_ids.items() if c != mention.cls} | set(self.lexicon.by_id)
        return f"{slug}_{mention.cls}" if slug in taken else slug

    def _create(self, ident: str, mention: Mention) -> Entity:
        entry = self.lexicon.by_id.get(ident)
        n = self.normalizer
        if entry is not None:
            hant = entry.zh_hant or n.to_traditional(entry.zh_hans or entry.en)
            hans = entry.zh_hans or n.to_simplified(entry.zh_hant or entry.en)
            labels = {"zh-Hant": hant, "zh-Hans": hans}
            if entry.en:
                labels["en"] = entry.en
            alts = {a for a in entry.aliases if a not in labels.values()}
            return Entity(ident, entry.cls, labels, alts)
        if mention.cls == "ProcessNode" and mention.value is not None:
            nm = format_number(mention.value)
            return Entity(ident, "ProcessNode", {"en": f"{nm}nm", "zh-Hant": f"{nm}納米", "zh-Hans": f"{nm}纳米"},
                          nanometers=mention.value)
        text = mention.text.strip()
        labels = {"zh-Hant": n.to_traditional(text), "zh-Hans": n.to_simplified(text)}
        if text.isascii():
            labels["en"] = text
        return Entity(ident, mention.cls, labels, confidence=mention.confidence)
