"""Training data and training of the relation model (kg/claims/relation_model.py).

Each training article is read exactly as the pipeline reads it (``kg.ingest.documents.read_document``, kept
articles, the pipeline's rule mentions with the anaphors of kg/mentions/context.py; no NER model), cut into the
same sentence windows, and every candidate pair of a window is labelled from the gold:

* positive for predicate p when a ``required``/``optional`` row of that document has p, its subject forms
  match the subject mention and its object forms the object mention (normalised keys of the mention's
  text and of every surface form of its lexicon entry), and the row's evidence lies in that window
  (normalised, spaces removed, substring either way); symmetric predicates in both directions;
* left out of training when it matches such a row whose evidence is elsewhere (the fact is right, this
  sentence may not say it);
* a hard negative (``NONE``, double weight) when it matches a ``forbidden`` row;
* ``NONE`` otherwise.

The rule cases (tests/data/relations/cases.tsv) add their sentences: expected claims positive, rejected
ones hard negatives, the other pairs ``NONE`` unless the rules claim them.

Augmentation: every article is read a second time in the other script (OpenCC t2s/s2t), through the
same mention finding. (Entity swaps within a class are not done: the features never read a name's
text, names between the pair are placeholders of their class, so a swap would give the same features.)

Calibration and threshold come from internal cross-validation by article over the training articles:
each round trains on the others, predicts the held-out ones; a map from raw probability and predicate to
the share of right claims among pairs the rules left alone is fitted on all rounds (Platt scaling with
one offset per predicate, see kg.claims.relation_model.fit_platt), and the threshold
is the one that maximises F0.5 of rules + model on the held-out rounds while keeping their precision
within ``max_precision_drop`` of the rules' own, never below the rules' own held-out precision
(``floor_at_rules``: a claim the model adds must be expected to be as right as the rules' claims are;
when no threshold qualifies it is 1.01 and the model adds nothing). Then the model is trained on
everything.
"""
from __future__ import annotations

import csv
import random
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from kg import resources
from kg.claims.relation_model import (NONE, PREDICATES, FitConfig, RelationModel, ViewInfo, calibrated, candidates,
                                      entity_key, features, fit, fit_platt)
from kg.claims.sentences import sentence_mentions
from kg.ingest.documents import read_document
from kg.model import Article, Mention, OffsetMap, Sentence
from kg.claims.relations import extract_claims
from kg.claims.sentence_view import SentenceView
from kg.vocabulary import vocabulary

ROOT = resources.checkout()               # training reads the checkout (seeds/, tests/data, ../shared)
SEEDS_DIR = ROOT / "seeds"
SEEDS_GOLD = ROOT / "tests" / "data" / "seeds-gold.tsv"
CASES = ROOT / "tests" / "data" / "relations" / "cases.tsv"
DEV_DIR = ROOT.parent / "shared" / "eval" / "dev"
DEV_GOLD = DEV_DIR / "gold.tsv"
CASES_DOC = "cases.tsv"
FORBIDDEN_WEIGHT = 2.0
_SPACE = re.compile(r"\s+")
_CLAIM_PREDICATE = re.compile(r" (" + "|".join((*PREDICATES, *vocabulary().datatype_properties)) + r") ")

Progress = Callable[[str], None] | None


@dataclass(frozen=True)
class TrainingConfig:
    fit: FitConfig = field(default_factory=FitConfig)
    inner_folds: int = 5
    script_copy: bool = True          # each article also in the other script
    ruled_pairs: bool = True          # also learn from pairs the rules relate (the model never speaks on them)
    min_threshold: float = 0.5        # never add claims estimated right less than half of the time
    floor_at_rules: bool = True       # nor claims estimated less precise than the rules are (held out)
    max_precision_drop: float = 0.01  # held-out precision of rules + model may not fall below the rules' own by more
    beta: float = 0.5                 # F-beta the threshold maximises (precision first)
    unjudged_as_wrong: bool = True    # a claim about a name the gold does not know counts as wrong when calibrating
    calibration_shrink: float = 2.0   # L2 on the per-predicate calibration offsets


@dataclass(frozen=True)
class GoldRow:
    id: int
    doc: str
    subject: frozenset[str]
    predicate: str
    obj: frozenset[str]
    status: str
    evidence: str                     # normalised, spaces removed


@dataclass
class PairExample:
    doc: str
    sentence: int                     # id of the sentence window (unique over a preparation)
    features: list[str]
    fits: tuple[str, ...]
    target: dict[str, float]          # predicates that hold (empty: NONE)
    weight: float
    trainable: bool                   # False: right fact, evidence elsewhere (left out of training)
    subject_key: str
    object_key: str
    ruled: bool                       # the rules related these two entities in this sentence
    correct: frozenset[str]           # predicates for which the fact matches a required/optional row of the doc
    hits: dict[str, frozenset[int]]   # predicate -> required rows it finds
    judged: bool                      # both ends are entities the doc's gold knows
    copy: bool = False                # from the other-script reading
    where: str = ""                   # "subject | object | sentence", for reading errors (not a feature)


@dataclass
class FactInfo:
    correct: bool
    judged: bool
    hits: frozenset[int]


@dataclass
class DocData:
    name: str
    examples: list[PairExample]
    rule_facts: dict[tuple, FactInfo] = field(default_factory=dict)
    required: frozenset[int] = frozenset()
    has_gold: bool = True


def fact_key(predicate: str, subject: str, obj: str) -> tuple[str, str, str]:
    if predicate in vocabulary().symmetric:
        subject, obj = sorted((subject, obj))
    return predicate, subject, obj


# ------------------------------------------------------------------------------------------------ gold

def load_gold(path: Path, normalizer, first_id: int = 0) -> dict[str, list[GoldRow]]:
    """Every row of a gold TSV, by document, with subject and object forms as normalised keys (the
    object's only for object properties); ids count up from ``first_id``."""
    out: dict[str, list[GoldRow]] = defaultdict(list)
    rid = first_id
    with Path(path).open(encoding="utf-8") as handle:
        for line in handle:
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.split("\t")
            if cols[0] == "doc" or len(cols) < 5:
                continue
            cols += [""] * (6 - len(cols))
            doc, subject, predicate, obj, status, evidence = cols[:6]
            keys = lambda forms: frozenset(normalizer.key(f) for f in forms.split("|") if f.strip())
            obj_keys = keys(obj) if predicate in PREDICATES else frozenset()
            out[doc].append(GoldRow(rid, doc, keys(subject), predicate, obj_keys, status.strip(),
                                    _SPACE.sub("", normalizer.normalize(evidence))))
            rid += 1
    return dict(out)


def gold_entities(rows: Iterable[GoldRow]) -> frozenset[str]:
    keys: set[str] = set()
    for r in rows:
        keys |= r.subject
        if r.predicate in PREDICATES:
            keys |= r.obj
    return frozenset(keys)


# ------------------------------------------------------------------------------------------- preparing

class Preparer:
    """Reads articles as the pipeline does and turns their sentence windows into labelled pairs."""

    def __init__(self, pipeline=None):
        if pipeline is None:
            from kg.pipeline import BuildOptions, Pipeline
            pipeline = Pipeline(BuildOptions(use_model=False, use_relation_model=False))
        self.pipeline = pipeline
        self.normalizer = pipeline.normalizer
        self.lexicon = pipeline.lexicon
        self.ontology = pipeline.ontology
        self._forms: dict[str, frozenset[str]] = {}
        self._sentence_ids = 0

    def key_set(self, mention: Mention) -> frozenset[str]:
        """Every key the mention may be known by: its text's, its lexicon entry's surface forms', a node's labels."""
        key = self.normalizer.key
        out = {key(mention.text)}
        if mention.key:
            forms = self._forms.get(mention.key)
            if forms is None:
                entry = self.lexicon.by_id.get(mention.key)
                found = {key(f) for f in entry.surface_forms} if entry is not None else set()
                forms = self._forms[mention.key] = frozenset(found)
            out |= forms
        if mention.cls == "ProcessNode" and mention.value is not None:
            from kg.mentions.finder import format_number
            nm = format_number(mention.value)
            out |= {key(f"{nm}nm"), key(f"{nm}纳米")}
        return frozenset(out)

    def _next_sentence(self) -> int:
        self._sentence_ids += 1
        return self._sentence_ids

    # -- articles with gold -------------------------------------------------------------------------
    def document(self, path: Path, rows: Sequence[GoldRow], script_copy: bool = True) -> DocData:
        name = Path(path).name
        rel_rows = [r for r in rows if r.predicate in PREDICATES and r.status in ("required", "optional", "forbidden")]
        known = gold_entities(rows)
        data = DocData(name, [], required=frozenset(r.id for r in rel_rows if r.status == "required"))
        document = read_document(Path(path))
        for article in document.kept:
            readings = [(article, False)]
            if script_copy:
                other = self._other_script(article)
                if other is not None:
                    readings.append((other, True))
            for reading, copy in readings:
                view = self.pipeline.article_view(reading)
                mentions = self.pipeline.article_mentions(view)
                for sentence, norm, inside in sentence_mentions(view, mentions):
                    self._sentence(data, sentence, norm, inside, rel_rows, known, copy)
        return data

    def _other_script(self, article: Article) -> Article | None:
        n = self.normalizer
        simplified = n.to_simplified(article.text)
        changed = sum(1 for a, b in zip(simplified, article.text) if a != b)
        traditional = changed * 50 > len(article.text)
        other = simplified if traditional else n.to_traditional(article.text)
        if len(other) != len(article.text):
            convert = n.to_simplified if traditional else n.to_traditional
            other = "".join(c if len(c := convert(ch)) == 1 else ch for ch in article.text)
        return None if other == article.text else replace(article, text=other)

    def _sentence(self, data: DocData, sentence: Sentence, norm: str, inside: list[Mention],
                  rows: Sequence[GoldRow], known: frozenset[str], copy: bool) -> None:
        view = SentenceView(sentence, norm, inside)
        rule_claims = [c for c in extract_claims(sentence, norm, inside)
                       if isinstance(c.obj, Mention) and c.predicate in PREDICATES]
        key = lambda m: entity_key(m, self.normalizer)
        ruled = {frozenset((key(c.subject), key(c.obj))) for c in rule_claims}
        if not copy:
            for c in rule_claims:
                ks, ko = self.key_set(c.subject), self.key_set(c.obj)
                correct, _, hits, _ = self._match(c.predicate, ks, ko, rows, "")
                fk = fact_key(c.predicate, key(c.subject), key(c.obj))
                info = data.rule_facts.get(fk)
                judged = bool(ks & known) and bool(ko & known)
                if info is None:
                    data.rule_facts[fk] = FactInfo(correct, judged, hits)
                else:
                    info.correct |= correct
                    info.hits |= hits
        if len(inside) < 2:
            return
        cands = candidates(view, self.ontology, self.normalizer)
        if not cands:
            return
        sid = self._next_sentence()
        info = ViewInfo(view)
        flat = _SPACE.sub("", norm)
        for cand in cands:
            a, b = cand.subject.mention, cand.obj.mention
            ka, kb = self.key_set(a), self.key_set(b)
            positives, correct, hits, forbidden, elsewhere = set(), set(), {}, False, False
            for p in cand.fits:
                ok, here, found, bad = self._match(p, ka, kb, rows, flat)
                if ok:
                    correct.add(p)
                    if found:
                        hits[p] = found
                    if here:
                        positives.add(p)
                    else:
                        elsewhere = True
                forbidden |= bad
            if positives:
                target, weight, trainable = {p: 1.0 for p in positives}, 1.0, True
            elif elsewhere:
                target, weight, trainable = {}, 0.0, False
            else:
                target, weight, trainable = {}, FORBIDDEN_WEIGHT if forbidden else 1.0, True
            data.examples.append(PairExample(
                data.name, sid, features(view, cand.subject, cand.obj, info), cand.fits, target, weight, trainable,
                key(a), key(b), frozenset((key(a), key(b))) in ruled, frozenset(correct), hits,
                bool(ka & known) and bool(kb & known), copy, f"{a.text} | {b.text} | {sentence.text}"))

    @staticmethod
    def _match(predicate: str, ks: frozenset[str], ko: frozenset[str], rows: Sequence[GoldRow], sentence: str):
        """(right: a required/optional row matches, said here: one of them has its evidence in
        ``sentence``, the required rows matched, forbidden: a forbidden row matches)."""
        symmetric = predicate in vocabulary().symmetric
        ok = here = bad = False
        found: set[int] = set()
        for r in rows:
            if r.predicate != predicate:
                continue
            if not ((ks & r.subject and ko & r.obj) or (symmetric and ko & r.subject and ks & r.obj)):
                continue
            if r.status == "forbidden":
                bad = True
                continue
            ok = True
            if r.status == "required":
                found.add(r.id)
            if sentence and r.evidence and (r.evidence in sentence or sentence in r.evidence):
                here = True
        return ok, here, frozenset(found), bad

    # -- the rule cases ---------------------------------------------------------------------------------
    def cases(self, path: Path = CASES) -> DocData:
        """Sentences of the rule cases: expected claims positive, rejected ones hard negatives."""
        data = DocData(CASES_DOC, [], has_gold=False)
        with Path(path).open(encoding="utf-8", newline="") as handle:
            rows = [r for r in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE) if r and not r[0].startswith("#")]
        header = rows[0]
        key = lambda m: entity_key(m, self.normalizer)
        for raw in rows[1:]:
            case = dict(zip(header, raw + [""] * (len(header) - len(raw))))
            text = case["text"]
            if not text.strip():
                continue
            norm = self.normalizer.normalize(text)
            mentions = self.pipeline.finder.find(text, norm)
            article = Article(CASES_DOC, 0, None, text, OffsetMap(), True, 1.0)
            sentence = Sentence(article, 0, len(text), text)
            view = SentenceView(sentence, norm, mentions)
            expect, reject = self._specs(case["expect"]), self._specs(case["reject"])
            rule_claims = [c for c in extract_claims(sentence, norm, mentions) if isinstance(c.obj, Mention)]
            ruled = {frozenset((key(c.subject), key(c.obj))) for c in rule_claims}
            cands = candidates(view, self.ontology, self.normalizer)
            if not cands:
                continue
            sid = self._next_sentence()
            info = ViewInfo(view)
            for cand in cands:
                a, b = cand.subject.mention, cand.obj.mention
                positives = {p for p in cand.fits if self._spec_match(expect, p, a, b)}
                negative = any(self._spec_match(reject, p, a, b) for p in cand.fits)
                pair_ruled = frozenset((key(a), key(b))) in ruled
                if positives:
                    target, weight = {p: 1.0 for p in positives}, 1.0
                elif negative:
                    target, weight = {}, FORBIDDEN_WEIGHT
                elif pair_ruled:
                    continue   # the rules claim something the case does not list: neither way
                else:
                    target, weight = {}, 1.0
                data.examples.append(PairExample(CASES_DOC, sid, features(view, cand.subject, cand.obj, info),
                                                 cand.fits, target, weight, True, key(a), key(b), pair_ruled,
                                                 frozenset(positives), {}, True, False, f"{a.text} | {b.text} | {text}"))
        return data

    def _specs(self, spec: str) -> list[tuple[tuple[str, str | None], str, tuple[str, str | None]]]:
        out = []
        for part in filter(None, (p.strip() for p in spec.split(";"))):
            pieces = _CLAIM_PREDICATE.split(part, maxsplit=1)
            if len(pieces) != 3 or pieces[1] not in PREDICATES:
                continue
            out.append((self._name(pieces[0]), pieces[1], self._name(pieces[2])))
        return out

    def _name(self, name: str) -> tuple[str, str | None]:
        """(key of the name, the lexicon id it reads as, if any) — as tests/test_relations.py reads names."""
        found = self.pipeline.finder.find(name, self.normalizer.normalize(name))
        whole = [m for m in found if m.start == 0 and m.end == len(name)]
        tail = [m for m in found if m.end == len(name)]
        pick = whole[0] if whole else (tail[-1] if tail else None)
        return self.normalizer.key(name), (pick.key if pick is not None else None)

    def _spec_match(self, specs, predicate: str, a: Mention, b: Mention) -> bool:
        ka, kb = self.key_set(a), self.key_set(b)

        def same(name, mention, keys):
            return name[0] in keys or (name[1] is not None and name[1] == mention.key)

        symmetric = predicate in vocabulary().symmetric
        for s, p, o in specs:
            if p != predicate:
                continue
            if (same(s, a, ka) and same(o, b, kb)) or (symmetric and same(s, b, kb) and same(o, a, ka)):
                return True
        return False


def prepare(sources: Sequence[tuple[Path, Path]], include_cases: bool = True, script_copy: bool = True,
            preparer: Preparer | None = None, progress: Progress = None) -> tuple[list[DocData], DocData | None]:
    """Labelled pairs of every article in each (articles directory, gold TSV) source that the gold
    covers, and of the rule cases."""
    say = progress or (lambda m: None)
    preparer = preparer or Preparer()
    docs: list[DocData] = []
    rid = 0
    for directory, gold_path in sources:
        gold = load_gold(gold_path, preparer.normalizer, first_id=rid)
        rid += sum(len(v) for v in gold.values()) + 1
        for name in sorted(gold):
            path = Path(directory) / name
            if path.is_file():
                docs.append(preparer.document(path, gold[name], script_copy=script_copy))
        say(f"read {directory}: {sum(1 for name in gold if (Path(directory) / name).is_file())} article file(s)")
    cases = preparer.cases() if include_cases and CASES.is_file() else None
    return docs, cases


def default_sources(include_dev: bool = True) -> list[tuple[Path, Path]]:
    sources = [(SEEDS_DIR, SEEDS_GOLD)]
    if include_dev and DEV_GOLD.is_file():
        sources.append((DEV_DIR, DEV_GOLD))
    return sources


# -------------------------------------------------------------------------------------------- training

def _rows(examples: Iterable[PairExample], config: "TrainingConfig"):
    return [(e.features, e.fits, e.target, e.weight) for e in examples if e.trainable and e.weight > 0
            and (config.ruled_pairs or not e.ruled) and (config.script_copy or not e.copy)]


def _fold_of(names: Sequence[str], k: int, seed: int) -> dict[str, int]:
    order = sorted(names)
    random.Random(seed).shuffle(order)
    return {name: i % k for i, name in enumerate(order)}


def score_examples(model: RelationModel, examples: Sequence[PairExample]) -> list[tuple[str, float]]:
    """(best fitting predicate, its raw probability) for each example."""
    if not examples:
        return []
    encoded = [model.encode(e.features) for e in examples]
    masks = np.array([model.label_mask(e.fits) for e in examples])
    probs = model.probabilities(encoded, masks)
    out = []
    for row, mask in zip(probs, masks):
        scores = np.where(mask, row, -1.0)
        scores[0] = -1.0
        best = int(scores.argmax())
        out.append((model.labels[best], float(row[best])) if mask.sum() > 1 else (NONE, 0.0))
    return out


@dataclass
class HeldOut:
    """One held-out pair the rules left alone, with the model's best predicate and raw probability."""

    example: PairExample
    label: str
    raw: float

    @property
    def right(self) -> bool:
        return self.label in self.example.correct


Calibrate = Callable[[float, str], float]


def emitted(held: Sequence[HeldOut], calibrate: Calibrate, threshold: float) -> list[HeldOut]:
    """What the pipeline would add: per sentence and pair of entities the best one, at or above ``threshold``."""
    best: dict[tuple, tuple[float, HeldOut]] = {}
    for h in held:
        if h.label == NONE or h.example.ruled:
            continue
        c = calibrate(h.raw, h.label)
        if c < threshold:
            continue
        k = (h.example.doc, h.example.sentence, frozenset((h.example.subject_key, h.example.object_key)))
        if k not in best or (c, h.raw) > (best[k][0], best[k][1].raw):
            best[k] = (c, h)
    return [h for _, h in best.values()]


def combined_scores(docs: Sequence[DocData], added: Sequence[HeldOut], unjudged_as_wrong: bool) -> dict[str, float]:
    """Fact-level precision/recall of the rules' facts plus ``added`` on ``docs`` (as score.py counts)."""
    facts: dict[tuple, FactInfo] = {}
    for d in docs:
        for k, info in d.rule_facts.items():
            facts[(d.name, *k)] = info
    for h in added:
        e = h.example
        k = (e.doc, *fact_key(h.label, e.subject_key, e.object_key))
        if k not in facts:
            facts[k] = FactInfo(h.right, e.judged, e.hits.get(h.label, frozenset()))
    tp = sum(1 for f in facts.values() if f.correct and f.judged)
    fp = sum(1 for f in facts.values() if not f.correct and (f.judged or unjudged_as_wrong))
    found = set().union(*(f.hits for f in facts.values())) if facts else set()
    required = set().union(*(d.required for d in docs)) if docs else set()
    p = tp / (tp + fp) if tp + fp else 0.0
    r = len(found & required) / len(required) if required else 0.0
    return {"p": p, "r": r, "tp": tp, "fp": fp, "found": len(found & required), "required": len(required)}


def f_beta(p: float, r: float, beta: float) -> float:
    b2 = beta * beta
    return (1 + b2) * p * r / (b2 * p + r) if p + r else 0.0


def calibration_data(held: Sequence[HeldOut], unjudged_as_wrong: bool) -> list[tuple[float, str, bool]]:
    """(raw, predicate, right?) of the held-out pairs the rules left alone (where the model speaks)."""
    return [(h.raw, h.label, h.right and h.example.judged) for h in held
            if h.label != NONE and not h.example.ruled and h.raw >= 0.02 and (h.example.judged or unjudged_as_wrong)]


def choose_threshold(docs: Sequence[DocData], held: Sequence[HeldOut], calibrate: Calibrate,
                     config: TrainingConfig) -> tuple[float, dict]:
    """The threshold that maximises F-beta of rules + model on the held-out rounds, precision kept."""
    rules = combined_scores(docs, [], config.unjudged_as_wrong)
    best_t, best = 1.01, dict(rules, f=f_beta(rules["p"], rules["r"], config.beta), added=0)
    floor = max(config.min_threshold, rules["p"] if config.floor_at_rules else 0.0)
    values = sorted({calibrate(h.raw, h.label) for h in held if h.label != NONE and not h.example.ruled}, reverse=True)
    for t in values:
        if t < floor:
            break
        added = emitted(held, calibrate, t)
        s = combined_scores(docs, added, config.unjudged_as_wrong)
        if s["p"] < rules["p"] - config.max_precision_drop:
            continue
        f = f_beta(s["p"], s["r"], config.beta)
        if f > best["f"] + 1e-9:
            best_t, best = t, dict(s, f=f, added=len(added))
    return best_t, {"rules": rules, "chosen": best, "floor": round(floor, 4)}


def train_relation_model(docs: Sequence[DocData], cases: DocData | None, out_dir: Path | str | None = None,
                         config: TrainingConfig | None = None, seed: int = 0, progress: Progress = None
                         ) -> tuple[RelationModel, dict]:
    """Internal CV (calibration, threshold), then the final fit on all of ``docs`` and ``cases``."""
    config = config or TrainingConfig()
    say = progress or (lambda m: None)
    t0 = time.perf_counter()
    extra = list(cases.examples) if cases is not None else []
    gold_docs = [d for d in docs if d.has_gold]
    fold = _fold_of([d.name for d in gold_docs], config.inner_folds, seed)
    held: list[HeldOut] = []
    for k in range(config.inner_folds):
        test = [d for d in gold_docs if fold[d.name] == k]
        if not test:
            continue
        train_rows = _rows([e for d in docs if fold.get(d.name) != k for e in d.examples] + extra, config)
        model = fit(train_rows, config.fit, seed=seed + 1 + k)
        examples = [e for d in test for e in d.examples if not e.copy]
        for e, (label, raw) in zip(examples, score_examples(model, examples)):
            held.append(HeldOut(e, label, raw))
        say(f"relation model: inner round {k + 1}/{config.inner_folds} ({len(test)} held-out articles, "
            f"{len(train_rows)} training pairs, {time.perf_counter() - t0:.1f}s)")
    calibration = fit_platt(calibration_data(held, config.unjudged_as_wrong), PREDICATES, config.calibration_shrink)
    calibrate = lambda raw, label: calibrated(calibration, raw, label)
    threshold, chosen = choose_threshold(gold_docs, held, calibrate, config) if held else (1.01, {})
    rows = _rows([e for d in docs for e in d.examples] + extra, config)
    model = fit(rows, config.fit, seed=seed)
    model.calibration = calibration
    model.threshold = threshold
    model.meta.update({
        "trained_on": sorted(d.name for d in docs) + ([CASES_DOC] if cases is not None else []),
        "training": {"inner_folds": config.inner_folds, "script_copy": config.script_copy,
                     "ruled_pairs": config.ruled_pairs,
                     "min_threshold": config.min_threshold, "floor_at_rules": config.floor_at_rules,
                     "max_precision_drop": config.max_precision_drop,
                     "beta": config.beta, "unjudged_as_wrong": config.unjudged_as_wrong,
                     "calibration_shrink": config.calibration_shrink},
        "inner_cv": _rounded(chosen),
        "n_pairs": len(rows), "n_positive": sum(1 for r in rows if r[2]),
    })
    if out_dir is not None:
        model.save(out_dir)
    stats = {"seconds": time.perf_counter() - t0, "pairs": len(rows), "positives": sum(1 for r in rows if r[2]),
             "features": len(model.feature_names), "threshold": threshold, "inner_cv": chosen}
    return model, stats


def _rounded(value):
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


@dataclass
class RelationTrainReport:
    out_dir: Path
    seconds: float
    articles: int
    pairs: int
    positives: int
    features: int
    threshold: float
    inner_cv: dict
    size_bytes: int
    sources: list[str]

    def summary(self) -> str:
        chosen, rules = self.inner_cv.get("chosen", {}), self.inner_cv.get("rules", {})
        return (f"trained {self.out_dir} in {self.seconds:.0f}s on {self.articles} article(s) "
                f"({', '.join(self.sources)}): {self.pairs} pairs ({self.positives} positive), {self.features} "
                f"features, threshold {self.threshold:.2f}; internal CV rules P {rules.get('p', 0):.3f} "
                f"R {rules.get('r', 0):.3f} -> rules+model P {chosen.get('p', 0):.3f} R {chosen.get('r', 0):.3f}; "
                f"{self.size_bytes / 1e6:.1f} MB")


def train(out_dir: Path | str | None = None, seed: int = 0, *, sources: Sequence[tuple[Path, Path]] | None = None,
          config: TrainingConfig | None = None, progress: Progress = None) -> RelationTrainReport:
    """`kg train`'s relation part: seeds + every dev article + the rule cases -> ``out_dir`` (models/rel)."""
    from kg.claims.relation_model import DEFAULT_MODEL_DIR

    config = config or TrainingConfig()
    say = progress or (lambda m: None)
    t0 = time.perf_counter()
    sources = list(sources) if sources is not None else default_sources()
    if not any(Path(d) == DEV_DIR for d, _ in sources):
        say(f"note: no dev set at {DEV_DIR}; training on the seeds and the rule cases only")
    docs, cases = prepare(sources, script_copy=config.script_copy, progress=say)
    out_dir = Path(out_dir or DEFAULT_MODEL_DIR)
    model, stats = train_relation_model(docs, cases, out_dir, config, seed=seed, progress=say)
    size = sum(p.stat().st_size for p in out_dir.iterdir() if p.is_file())
    names = [Path(d).name for d, _ in sources] + (["rule cases"] if cases is not None else [])
    return RelationTrainReport(out_dir, time.perf_counter() - t0, len(docs), stats["pairs"], stats["positives"],
                               stats["features"], model.threshold, stats["inner_cv"], size, names)
