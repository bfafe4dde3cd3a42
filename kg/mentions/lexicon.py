"""The curated lexicon (`ontology/lexicon.tsv`): names, aliases and classes. Never relations."""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from kg import resources
from kg.errors import ConfigError
from kg.vocabulary import vocabulary

HEADER = ["id", "class", "en", "zh_hant", "zh_hans", "aliases"]
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")
DEFAULT_PATH = resources.lexicon_path()


@dataclass(frozen=True)
class LexiconEntry:
    id: str
    cls: str
    en: str
    zh_hant: str
    zh_hans: str
    aliases: tuple[str, ...]

    @property
    def surface_forms(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for form in (self.zh_hant, self.zh_hans, self.en, *self.aliases):
            if form:
                seen.setdefault(form, None)
        return tuple(seen)


class Lexicon:
    """Entries by id, in file order (the order breaks ties between same-string entries)."""

    def __init__(self, entries: list[LexiconEntry], path: Path | None = None):
        self.entries = entries
        self.by_id = {e.id: e for e in entries}
        self.path = path

    def __len__(self) -> int:
        return len(self.entries)

    @classmethod
    def load(cls, path: Path | None = None) -> "Lexicon":
        """Read and validate the TSV; every problem is reported at once in one ConfigError."""
        path = Path(path or DEFAULT_PATH)
        if not path.is_file():
            raise ConfigError(f"lexicon not found: {path}")
        problems: list[str] = []
        entries: list[LexiconEntry] = []
        seen: set[str] = set()
        lexicon_classes = vocabulary().lexicon_classes   # entity classes but ProcessNode (classes.tsv)
        with path.open(encoding="utf-8", newline="") as handle:
            rows = [r for r in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
                    if r and not r[0].startswith("#")]
        if not rows or rows[0][: len(HEADER)] != HEADER:
            raise ConfigError(f"{path}: first line must be the header {' '.join(HEADER)}")
        for lineno, row in enumerate(rows[1:], start=2):
            row = row + [""] * (len(HEADER) - len(row))
            ident, klass, en, hant, hans, aliases = (c.strip() for c in row[:6])
            where = f"{path.name} row {lineno} ({ident or '?'})"
            if not _ID.match(ident):
                problems.append(f"{where}: bad id")
            elif ident in seen:
                problems.append(f"{where}: duplicate id")
            if klass not in lexicon_classes:
                problems.append(f"{where}: unknown class {klass!r}")
            if not (en or hant or hans):
                problems.append(f"{where}: no label")
            seen.add(ident)
            entries.append(LexiconEntry(ident, klass, en, hant, hans,
                                        tuple(a.strip() for a in aliases.split("|") if a.strip())))
        if problems:
            raise ConfigError("lexicon has problems:\n  " + "\n  ".join(problems))
        return cls(entries, path)

    def without_names(self, names: set[str], key) -> "Lexicon":
        """A copy lacking every entry one of whose surface forms has a key in ``names`` (held-out evaluation)."""
        kept = [e for e in self.entries if not any(key(f) in names for f in e.surface_forms)]
        return Lexicon(kept, self.path)
