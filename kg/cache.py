"""Per-article extraction results, cached between rebuilds (issue 11).

The expensive part of a build (the NER model, the mention finders, the rules and the relation model) is a
pure function of one article and the resources: the code, the ontology and patterns, the lexicon and the
models. Its result — the article's mentions and claims — is stored under a key made of a hash of both, so
`kg rebuild` re-extracts only new or changed articles; resolution, the ontology checks and the exports
run over every article as before, so the exports are byte-identical to a full rebuild. A changed lexicon,
rule, model or line of code changes the resources hash, and nothing stored before is reused; a deleted
file's entries are simply not asked for (and are removed after the build).

Entries are JSON (never pickle: a cache directory is read back, and JSON cannot run code), one file per
article under ``<dir>/<2 hex>/<key>.json``, written atomically.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import astuple
from pathlib import Path

from kg.io import atomic_write_text
from kg.model import Article, Claim, Mention, Sentence

#: bump when the entry layout changes
FORMAT = 1


def resources_key(paths: list[Path], options: tuple) -> str:
    """Hash of every file the extraction depends on (directories: all files below, sorted) and the options."""
    h = hashlib.sha256(f"kg-cache {FORMAT} {options!r}".encode())
    for top in paths:
        files = sorted(p for p in top.rglob("*") if p.is_file()) if top.is_dir() else [top] if top.is_file() else []
        for path in files:
            if "__pycache__" in path.parts:
                continue
            h.update(str(path.name).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


class ExtractionCache:
    """Mentions and claims of articles, by article content and resources."""

    def __init__(self, directory: Path, resources: str):
        self.directory = Path(directory)
        self.resources = resources
        self.used: set[str] = set()
        self.hits = 0
        self.misses = 0

    def key(self, article: Article) -> str:
        raw = "\x1f".join((self.resources, article.doc_name, str(article.index), article.text))
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, article: Article) -> tuple[list[Mention], list[Claim]] | None:
        key = self.key(article)
        self.used.add(key)
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.misses += 1
            return None
        try:
            mentions = [Mention(*m) for m in data["mentions"]]
            claims = [_claim(c, article) for c in data["claims"]]
        except (KeyError, TypeError, ValueError):
            self.misses += 1
            return None
        self.hits += 1
        return mentions, claims

    def put(self, article: Article, mentions: list[Mention], claims: list[Claim]) -> None:
        key = self.key(article)
        self.used.add(key)
        data = {"mentions": [astuple(m) for m in mentions], "claims": [_claim_row(c) for c in claims]}
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(path, json.dumps(data, ensure_ascii=False))
        except OSError:
            pass   # a cache that cannot be written only costs time

    def prune(self) -> int:
        """Remove the entries this build did not ask for (deleted or changed articles, older resources)."""
        removed = 0
        if not self.directory.is_dir():
            return 0
        for path in self.directory.glob("*/*.json"):
            if path.stem not in self.used:
                try:
                    path.unlink()
                    removed += 1
                except OSError:
                    pass
        for sub in self.directory.iterdir():
            if sub.is_dir():
                try:
                    os.rmdir(sub)
                except OSError:
                    pass
        return removed


def _claim_row(claim: Claim) -> list:
    obj = ["m", *astuple(claim.obj)] if isinstance(claim.obj, Mention) else ["n", claim.obj]
    s = claim.sentence
    return [list(astuple(claim.subject)), claim.predicate, obj, [s.start, s.end, s.text], claim.rule, claim.confidence]


def _claim(row: list, article: Article) -> Claim:
    subject, predicate, obj, (start, end, text), rule, confidence = row
    value = Mention(*obj[1:]) if obj[0] == "m" else obj[1]
    return Claim(Mention(*subject), predicate, value, Sentence(article, start, end, text), rule, confidence)
