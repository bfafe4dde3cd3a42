"""The relation model: a classifier over pairs of mentions in one sentence, beside the rules.

    model = RelationModel.load()                 # models/rel/, built by `kg train` (ConfigError when missing)
    claims = model.claims(view, rule_claims, ontology, normalizer)

For every ordered pair of mentions of one sentence window whose classes fit the domain and range of at
least one core object property (:func:`candidates`), a multinomial logistic regression over the
predicates that fit plus ``NONE`` says which predicate holds. It reads only what carries across
articles (:func:`features`): the class pair, order and distance, clause breaks and names in between, the
characters between the two (other names replaced by a placeholder of their class), a little context on
either side, clause position, modality and comparison words. Never a name's own text, so it cannot
memorise who does what. Labels that do not fit the pair's domain/range get no probability at all.

The model's raw probability is mapped through a calibration fitted at training time on articles held
out from each training round (internal cross-validation, see kg/training/relation_training.py): Platt scaling
with one offset per predicate (some predicates are read far more reliably than others), so
``confidence`` 0.8 means about 80 % of such claims were right there. The same held-out rounds choose
the threshold. In the pipeline the rules speak first: the model adds a claim only for a pair of
entities the rules did not relate in that sentence, only above the threshold, one relation per pair,
with extractor ``model:rel-v1``.

Saved as two files in ``models/rel/``: ``model.json`` (labels, features, calibration, threshold and
how it was trained) and ``weights.npy`` (float32, features × labels). Training is deterministic: the
same data and seed give byte-identical files.
"""
from __future__ import annotations

import json
import re
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from kg import resources
from kg.mentions.context import CLAUSE_LEAD
from kg.errors import ConfigError
from kg.model import Claim, Mention
from kg.normalize import Normalizer, default_normalizer
from kg.ontology import REQUIRED_OBJECT_PROPERTIES, Ontology
from kg.claims.sentence_view import LIST_GAP, MODALITY, OBJECT_RIGHT_BEFORE, PREPOSITION_BEFORE, Item, SentenceView
from kg.vocabulary import vocabulary

DEFAULT_MODEL_DIR = resources.relation_model_dir()
MODEL_NAME = "rel-v1"
EXTRACTOR = f"model:{MODEL_NAME}"
META_FILE = "model.json"
WEIGHTS_FILE = "weights.npy"
FORMAT = 1
NONE = "NONE"
#: the predicates the model may predict: the core object properties
PREDICATES = tuple(REQUIRED_OBJECT_PROPERTIES)
#: pairs further apart than this many characters are not candidates (the rules and the gold rarely relate them)
MAX_GAP = 120
#: a window with more mentions than this is a list or a dump: only pairs within MAX_ITEMS_APART are read
MAX_ITEMS_APART = 12
#: the text between two mentions read in full up to this length; beyond, only its two ends
BETWEEN_FULL = 30
BETWEEN_END = 10

# one placeholder character per class for names inside the text the features read
_PLACEHOLDER = {cls: chr(0xE000 + i) for i, cls in enumerate(vocabulary().entity_classes)}
_DIGIT = str.maketrans("0123456789", "0000000000")
#: words after a name that make it a yardstick or a buyer rather than a party (与英伟达相比, 华为的订单)
AFTER_CONTEXT = re.compile(r"相比|相较|相当|水平|一样|差距|竞争|对手|订单|采购|客户|用户|替代|取代|之外|以外|为代表|为首|等")
_CLAUSE_MARK = re.compile(r"[，,；;：:！!？?。]")
#: a semicolon ends what one clause group says: pairs across it are not candidates (hardly any gold fact is)
_SEMICOLON = re.compile(r"[；;]")


def entity_key(mention: Mention, normalizer: Normalizer | None = None) -> str:
    """What a mention names, for telling two names of one thing apart: the lexicon id, else the text's key."""
    return mention.key or (normalizer or default_normalizer()).key(mention.text)


@dataclass(frozen=True)
class Candidate:
    """An ordered pair of one sentence's mentions and the predicates whose domain/range the classes fit."""

    subject: Item
    obj: Item
    fits: tuple[str, ...]


def _fitting(ontology: Ontology, cache: dict, subject_cls: str, object_cls: str) -> tuple[str, ...]:
    key = (subject_cls, object_cls)
    found = cache.get(key)
    if found is None:
        found = tuple(p for p in PREDICATES if ontology.check(p, subject_cls, object_cls) is None)
        cache[key] = found
    return found


_FIT_CACHE: "weakref.WeakKeyDictionary[Ontology, dict]" = weakref.WeakKeyDictionary()


def candidates(view: SentenceView, ontology: Ontology, normalizer: Normalizer | None = None) -> list[Candidate]:
    """Ordered pairs of distinct, non-overlapping mentions of the window (at most ``MAX_GAP`` characters
    and ``MAX_ITEMS_APART`` mentions apart, no semicolon between) naming different entities, whose
    classes fit at least one core object property; in text order of the subject, then of the object."""
    cache = _FIT_CACHE.setdefault(ontology, {})
    items = view.items
    keys = [entity_key(it.mention, normalizer) for it in items]
    out = []
    for i, a in enumerate(items):
        for j, b in enumerate(items):
            if i == j or abs(i - j) > MAX_ITEMS_APART or keys[i] == keys[j]:
                continue
            first, second = (a, b) if a.start <= b.start else (b, a)
            if second.start < first.end or second.start - first.end > MAX_GAP or \
                    _SEMICOLON.search(view.norm, first.end, second.start):
                continue
            fits = _fitting(ontology, cache, a.cls, b.cls)
            if fits:
                out.append(Candidate(a, b, fits))
    return out


class ViewInfo:
    """What the features of every pair of one sentence share: the masked text and per-item facts."""

    def __init__(self, view: SentenceView):
        norm = view.norm
        self.view = view
        pieces, pos = [], 0
        self.where = [0] * (len(norm) + 1)   # sentence offset -> offset in the masked text
        out_len = 0
        for it in sorted(view.items, key=lambda it: (it.start, -it.end)):
            if it.start < pos:
                continue   # overlaps a name already masked
            chunk = norm[pos:it.start].translate(_DIGIT)
            for k in range(len(chunk)):
                self.where[pos + k] = out_len + k
            pieces.append(chunk)
            out_len += len(chunk)
            for k in range(it.start, it.end):
                self.where[k] = out_len
            pieces.append(_PLACEHOLDER.get(it.cls, "\ue0ff"))
            out_len += 1
            pos = it.end
        chunk = norm[pos:].translate(_DIGIT)
        for k in range(len(chunk)):
            self.where[pos + k] = out_len + k
        pieces.append(chunk)
        out_len += len(chunk)
        self.where[len(norm)] = out_len
        self.masked = "".join(pieces)
        self.item_facts = [self._facts(it) for it in view.items]

    def span(self, start: int, end: int) -> str:
        """The masked text of sentence offsets [start, end) (a name cut by ``start`` is left out)."""
        if end <= start:
            return ""
        s = self.where[start]
        if start > 0 and self.where[start - 1] == s:
            s += 1   # start falls inside a name: begin after its placeholder
        return self.masked[s:self.where[end]]

    def _facts(self, it: Item) -> tuple[str, ...]:
        view, norm = self.view, self.view.norm
        c_start, _ = view.clause_span(view.clause_of(it.start))
        lead = norm[c_start:it.start]
        out = []
        if CLAUSE_LEAD.match(lead):
            out.append("opens")
        if view.topic(view.clause_of(it.start)) is it:
            out.append("topic")
        if PREPOSITION_BEFORE.search(lead[-4:]):
            out.append("prep")
        if OBJECT_RIGHT_BEFORE.search(lead[-6:]):
            out.append("verbobj")
        after = AFTER_CONTEXT.match(norm, it.end) or AFTER_CONTEXT.match(norm[it.end:it.end + 4].lstrip("的之 "))
        if after:
            out.append("after=" + after.group(0))
        source = it.mention.source
        if source.startswith("context:"):
            out.append("anaphor")
        elif source.startswith("pattern:"):
            out.append("pattern")
        elif source.startswith("model:"):
            out.append("ner")
        return tuple(out)


def _bucket(n: int, edges: Sequence[int]) -> str:
    for edge in edges:
        if n <= edge:
            return str(edge)
    return f">{edges[-1]}"


def _ngrams(text: str, prefix: str, out: list[str], unigrams: bool = True) -> None:
    if unigrams:
        out.extend(f"{prefix}u:{ch}" for ch in set(text))
    out.extend(f"{prefix}b:{text[k:k + 2]}" for k in range(len(text) - 1))


def features(view: SentenceView, a: Item, b: Item, info: ViewInfo | None = None) -> list[str]:
    """Feature strings of the pair (subject ``a``, object ``b``): never a name's own text."""
    info = info or ViewInfo(view)
    norm = view.norm
    forward = a.start <= b.start
    first, second = (a, b) if forward else (b, a)
    order = "ab" if forward else "ba"
    family = vocabulary().family
    sup_a, sup_b = family(a.cls), family(b.cls)
    out = [f"cls:{a.cls}>{b.cls}", f"sup:{sup_a}>{sup_b}", f"order:{order}", f"cls-order:{a.cls}>{b.cls}:{order}"]

    gap = norm[first.end:second.start]
    between = info.span(first.end, second.start)
    out.append(f"dist:{_bucket(len(gap), (0, 1, 2, 4, 8, 16, 32, 64))}")
    breaks = view.clause_of(second.start) - view.clause_of(first.start)
    out.append(f"breaks:{_bucket(breaks, (0, 1, 2))}")
    if breaks == 0:
        out.append(f"same-clause:{order}")
    inside = [it for it in view.items[first.index + 1:second.index] if it.start >= first.end and it.end <= second.start]
    out.append(f"names-between:{_bucket(len(inside), (0, 1, 2, 4))}")
    n_same_a = sum(1 for it in inside if it.cls == a.cls)
    n_same_b = sum(1 for it in inside if it.cls == b.cls)
    out.append(f"same-class-between:{_bucket(n_same_a, (0, 1))}:a")
    out.append(f"same-class-between:{_bucket(n_same_b, (0, 1))}:b")
    out.append(f"shape:{order}:{_bucket(breaks, (0, 1))}:{_bucket(len(inside), (0, 1, 2))}:"
               f"{_bucket(n_same_a, (0,))}:{_bucket(n_same_b, (0,))}")
    # is there a name of a's (b's) class on b's (a's) far side that is nearer than a (b)?
    if _closer_rival(view, b, a):
        out.append("rival-for-s")
    if _closer_rival(view, a, b):
        out.append("rival-for-o")
    if not gap.strip():
        out.append("adjacent")
    elif LIST_GAP.match(gap):
        out.append("list-gap")

    if len(between) <= BETWEEN_FULL:
        _ngrams(between, "in", out)
        _ngrams(between, f"in{order}", out, unigrams=False)
        if between:
            out += [f"in-first:{between[0]}", f"in-last:{between[-1]}", f"in-first{order}:{between[0]}"]
    else:
        _ngrams(between[:BETWEEN_END], "near-first", out, unigrams=False)
        _ngrams(between[-BETWEEN_END:], "near-second", out, unigrams=False)
        out += [f"in-first:{between[0]}", f"in-last:{between[-1]}"]

    left = info.span(max(0, first.start - 2), first.start)
    right = info.span(second.end, min(len(norm), second.end + 2))
    out += [f"left2:{left}", f"left1:{left[-1:]}", f"right2:{right}", f"right1:{right[:1]}",
            f"left1{order}:{left[-1:]}", f"right1{order}:{right[:1]}"]

    for role, it in (("s", a), ("o", b)):
        out += [f"{role}:{fact}" for fact in info.item_facts[it.index]]
    c_start, _ = view.clause_span(view.clause_of(first.start))
    if MODALITY.search(norm, c_start, first.start):
        out.append("modal-before")
    if MODALITY.search(gap):
        out.append("modal-between")
    if _CLAUSE_MARK.search(gap) is None and breaks == 0 and len(gap) > BETWEEN_FULL:
        out.append("long-clause")
    return out


def _closer_rival(view: SentenceView, anchor: Item, other: Item) -> bool:
    """Is another name of ``other``'s class in ``anchor``'s clause nearer to ``anchor`` than ``other`` is?"""
    distance = other.start - anchor.end if other.start >= anchor.end else anchor.start - other.end
    clause = view.clause_of(anchor.start)
    for it in view.items:
        if it is other or it is anchor or it.cls != other.cls or view.clause_of(it.start) != clause:
            continue
        d = it.start - anchor.end if it.start >= anchor.end else anchor.start - it.end
        if 0 <= d < distance:
            return True
    return False


# ------------------------------------------------------------------------------------------ the model

def _softmax_masked(z: np.ndarray, mask: np.ndarray) -> np.ndarray:
    z = np.where(mask, z, -1e30)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z) * mask
    return e / e.sum(axis=1, keepdims=True)


def calibrated(calibration: dict | None, raw: float, label: str) -> float:
    """Platt scaling with one offset per predicate: sigmoid(slope * logit(raw) + intercept + offset[label]).
    Without a calibration the raw probability itself."""
    if not calibration:
        return round(raw, 4)
    x = float(np.log(min(max(raw, 1e-6), 1 - 1e-6) / (1 - min(max(raw, 1e-6), 1 - 1e-6))))
    z = calibration["slope"] * x + calibration["intercept"] + calibration.get("offsets", {}).get(label, 0.0)
    return round(float(1.0 / (1.0 + np.exp(-min(max(z, -30.0), 30.0)))), 4)


def fit_platt(scored: Sequence[tuple[float, str, bool]], labels: Sequence[str], shrink: float = 2.0,
              iterations: int = 50) -> dict:
    """Fit :func:`calibrated` to (raw probability, predicate, right?) triples by Newton's method; the
    per-predicate offsets are shrunk towards 0 (L2 ``shrink``), so a predicate seen rarely gets the common map."""
    labels = sorted(set(labels))
    if not scored:
        return {"method": "platt-per-predicate", "slope": 1.0, "intercept": 0.0, "offsets": {}}
    col = {label: 2 + i for i, label in enumerate(labels)}
    n, k = len(scored), 2 + len(labels)
    x = np.zeros((n, k))
    y = np.zeros(n)
    for r, (raw, label, right) in enumerate(scored):
        q = min(max(raw, 1e-6), 1 - 1e-6)
        x[r, 0] = np.log(q / (1 - q))
        x[r, 1] = 1.0
        if label in col:
            x[r, col[label]] = 1.0
        y[r] = 1.0 if right else 0.0
    penalty = np.full(k, shrink)
    penalty[:2] = 0.1          # a weak prior on the common map: slope 1, intercept 0 (raw = calibrated)
    prior = np.zeros(k)
    prior[0] = 1.0
    w = prior.copy()
    for _ in range(iterations):
        z = np.clip(x @ w, -30, 30)
        p = 1.0 / (1.0 + np.exp(-z))
        grad = x.T @ (p - y) + penalty * (w - prior)
        hess = (x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty)
        step = np.linalg.solve(hess, grad)
        size = np.abs(step).max()
        if size > 2.0:
            step *= 2.0 / size   # damped Newton: no overshoot on (nearly) separable data
        w -= step
        if size < 1e-10:
            break
    return {"method": "platt-per-predicate", "slope": round(float(w[0]), 6), "intercept": round(float(w[1]), 6),
            "offsets": {label: round(float(w[col[label]]), 6) for label in labels}}


class RelationModel:
    """Weights, labels, feature index, calibration and threshold. Build with :meth:`load` or by training."""

    name = EXTRACTOR

    def __init__(self, labels: Sequence[str], feature_names: Sequence[str], weights: np.ndarray, bias: np.ndarray,
                 calibration: dict | None = None, threshold: float = 1.01, meta: dict | None = None):
        self.labels = tuple(labels)
        if self.labels[0] != NONE:
            raise ValueError("label 0 must be NONE")
        self.feature_names = list(feature_names)
        self.index = {f: i for i, f in enumerate(self.feature_names)}
        self.weights = np.asarray(weights, dtype=np.float32)
        self.bias = np.asarray(bias, dtype=np.float32)
        self.calibration = dict(calibration or {})
        self.threshold = float(threshold)
        self.meta = dict(meta or {})
        self._label_index = {label: i for i, label in enumerate(self.labels)}

    # ------------------------------------------------------------------------------------ save / load
    def save(self, out_dir: Path | str) -> list[Path]:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        meta = dict(self.meta)
        meta.update({"format": FORMAT, "name": self.name, "labels": list(self.labels),
                     "features": self.feature_names, "bias": [float(x) for x in self.bias],
                     "calibration": self.calibration, "threshold": self.threshold,
                     "weights": {"file": WEIGHTS_FILE, "shape": list(self.weights.shape), "dtype": "float32"}})
        meta_path, weights_path = out_dir / META_FILE, out_dir / WEIGHTS_FILE
        tmp = weights_path.with_suffix(".tmp")
        with tmp.open("wb") as handle:
            np.save(handle, self.weights.astype(np.float32), allow_pickle=False)
        tmp.replace(weights_path)
        text = json.dumps(meta, ensure_ascii=False, indent=0, sort_keys=True) + "\n"
        tmp = meta_path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(meta_path)
        return [meta_path, weights_path]

    @classmethod
    def load(cls, model_dir: Path | str | None = None) -> "RelationModel":
        model_dir = Path(model_dir or DEFAULT_MODEL_DIR)
        meta_path, weights_path = model_dir / META_FILE, model_dir / WEIGHTS_FILE
        if not meta_path.is_file() or not weights_path.is_file():
            raise ConfigError(f"relation model not found in {model_dir} (expected {META_FILE} and {WEIGHTS_FILE}): "
                              "run `kg train --relations-only` to build it, or `kg rebuild --no-model` for rules only")
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if meta.get("format") != FORMAT:
                raise ValueError(f"format {meta.get('format')!r}, expected {FORMAT}")
            weights = np.load(weights_path, allow_pickle=False)
            labels, names, bias = meta["labels"], meta["features"], meta["bias"]
            if weights.shape != (len(names), len(labels)) or len(bias) != len(labels):
                raise ValueError(f"weights have shape {weights.shape}, expected {(len(names), len(labels))}")
            unknown = set(labels) - set(PREDICATES) - {NONE}
            if unknown:
                raise ValueError(f"unknown labels {sorted(unknown)}")
            threshold = float(meta["threshold"])
            extra = {k: v for k, v in meta.items() if k not in {"labels", "features", "bias", "calibration",
                                                                  "threshold", "weights", "format", "name"}}
            return cls(labels, names, weights, np.asarray(bias, dtype=np.float32), meta.get("calibration"),
                       threshold, extra)
        except (ValueError, KeyError, TypeError, OSError, EOFError) as error:
            raise ConfigError(f"relation model in {model_dir} is damaged ({error}): run `kg train --relations-only` "
                              "to rebuild it") from error

    # ------------------------------------------------------------------------------------- inference
    def encode(self, feats: list[str]) -> np.ndarray:
        index = self.index
        return np.fromiter(sorted({index[f] for f in feats if f in index}), dtype=np.int64)

    def label_mask(self, fits: Sequence[str]) -> np.ndarray:
        mask = np.zeros(len(self.labels), dtype=bool)
        mask[0] = True
        for p in fits:
            i = self._label_index.get(p)
            if i is not None:
                mask[i] = True
        return mask

    def probabilities(self, encoded: Sequence[np.ndarray], masks: np.ndarray) -> np.ndarray:
        """Raw probabilities (rows: pairs; columns: labels; 0 where a label does not fit)."""
        z = np.zeros((len(encoded), len(self.labels)), dtype=np.float64)
        for row, idx in enumerate(encoded):
            if len(idx):
                z[row] = self.weights[idx].sum(axis=0, dtype=np.float64)
        z += self.bias
        return _softmax_masked(z, masks)

    def calibrate(self, raw: float, label: str) -> float:
        """The share of such claims that were right on held-out training articles."""
        return calibrated(self.calibration, raw, label)

    def predict(self, view: SentenceView, ontology: Ontology,
                normalizer: Normalizer | None = None) -> list[tuple[Candidate, str, float, float]]:
        """(candidate, its most probable fitting predicate other than NONE, that predicate's raw probability,
        its calibrated confidence) for every candidate pair of the sentence."""
        cands = candidates(view, ontology, normalizer)
        if not cands:
            return []
        info = ViewInfo(view)
        encoded = [self.encode(features(view, c.subject, c.obj, info)) for c in cands]
        masks = np.array([self.label_mask(c.fits) for c in cands])
        probs = self.probabilities(encoded, masks)
        out = []
        for c, row, mask in zip(cands, probs, masks):
            if mask.sum() < 2:
                continue
            scores = np.where(mask, row, -1.0)
            scores[0] = -1.0
            best = int(scores.argmax())
            raw = float(row[best])
            out.append((c, self.labels[best], raw, self.calibrate(raw, self.labels[best])))
        return out

    def claims(self, view: SentenceView, rule_claims: Sequence[Claim], ontology: Ontology,
               normalizer: Normalizer | None = None, threshold: float | None = None) -> list[Claim]:
        """Claims for pairs of entities the rules did not relate in this sentence (either direction),
        calibrated confidence >= the threshold, at most one per pair of entities."""
        threshold = self.threshold if threshold is None else threshold
        key = (lambda m: entity_key(m, normalizer))
        ruled = {frozenset((key(c.subject), key(c.obj))) for c in rule_claims if isinstance(c.obj, Mention)}
        best: dict[frozenset, tuple] = {}
        for cand, label, raw, confidence in self.predict(view, ontology, normalizer):
            if confidence < threshold:
                continue
            pair = frozenset((key(cand.subject.mention), key(cand.obj.mention)))
            if pair in ruled:
                continue
            rank = (confidence, raw, -cand.subject.start, -cand.obj.start)
            if pair not in best or rank > best[pair][0]:
                best[pair] = (rank, cand, label, confidence)
        out = []
        for _, cand, label, confidence in sorted(best.values(), key=lambda v: (v[1].subject.start, v[1].obj.start)):
            for m in (cand.subject.mention, cand.obj.mention):
                if m.source.startswith("model:"):   # a name only the NER model found: its own doubt too
                    confidence *= m.confidence
            out.append(Claim(cand.subject.mention, label, cand.obj.mention, view.sentence, self.name,
                             round(confidence, 3)))
        return out


# ------------------------------------------------------------------------------------------ training

@dataclass(frozen=True)
class FitConfig:
    """What shapes the weights; stored in the model's meta."""

    epochs: int = 12
    learn_rate: float = 0.2
    l2: float = 1e-3               # per touched row and update (lazy), relative to the AdaGrad step
    batch: int = 32
    min_count: int = 2             # features seen in fewer training pairs are dropped
    max_features: int = 60000


def fit(rows: Sequence[tuple[list[str], tuple[str, ...], dict[str, float], float]], config: FitConfig, seed: int,
        labels: Sequence[str] = (NONE, *PREDICATES), progress: Callable[[str], None] | None = None
        ) -> RelationModel:
    """Train on ``rows`` of (features, fitting predicates, target weights per label (empty: NONE), sample
    weight): AdaGrad on the masked softmax cross-entropy with L2, seeded shuffles; deterministic."""
    labels = tuple(labels)
    label_index = {label: i for i, label in enumerate(labels)}
    counts: dict[str, int] = {}
    for feats, _, _, _ in rows:
        for f in set(feats):
            counts[f] = counts.get(f, 0) + 1
    kept = sorted((f for f, n in counts.items() if n >= config.min_count), key=lambda f: (-counts[f], f))
    names = sorted(kept[:config.max_features])
    index = {f: i for i, f in enumerate(names)}
    n, d, k = len(rows), len(names), len(labels)
    encoded = [np.fromiter(sorted({index[f] for f in feats if f in index}), dtype=np.int64) for feats, _, _, _ in rows]
    masks = np.zeros((n, k), dtype=bool)
    targets = np.zeros((n, k), dtype=np.float64)
    sample_weight = np.zeros(n, dtype=np.float64)
    for r, (_, fits, target, weight) in enumerate(rows):
        masks[r, 0] = True
        for p in fits:
            if p in label_index:
                masks[r, label_index[p]] = True
        total = sum(target.values())
        if total <= 0:
            targets[r, 0] = 1.0
        else:
            for p, w in target.items():
                targets[r, label_index[p]] += w / total
        sample_weight[r] = weight
    weights = np.zeros((d, k), dtype=np.float64)
    bias = np.zeros(k, dtype=np.float64)
    acc_w = np.full((d, k), 1e-8)
    acc_b = np.full(k, 1e-8)
    rng = np.random.default_rng(seed)
    lr, l2 = config.learn_rate, config.l2
    for epoch in range(config.epochs):
        order = rng.permutation(n)
        loss = 0.0
        for start in range(0, n, config.batch):
            batch = order[start:start + config.batch]
            idx = [encoded[i] for i in batch]
            lens = np.array([len(x) for x in idx])
            flat = np.concatenate(idx) if len(idx) else np.zeros(0, dtype=np.int64)
            rows_of = np.repeat(np.arange(len(batch)), lens)
            z = np.zeros((len(batch), k))
            if len(flat):
                starts = np.concatenate(([0], np.cumsum(lens)[:-1]))
                nonempty = lens > 0
                z[nonempty] = np.add.reduceat(weights[flat], starts[nonempty], axis=0)
            z += bias
            p = _softmax_masked(z, masks[batch])
            y = targets[batch]
            loss += float(-(sample_weight[batch][:, None] * y * np.log(np.maximum(p, 1e-12))).sum())
            g = (p - y) * sample_weight[batch][:, None]
            g *= masks[batch]
            if len(flat):
                by_feature = np.argsort(flat, kind="stable")
                sorted_flat = flat[by_feature]
                first = np.concatenate(([True], sorted_flat[1:] != sorted_flat[:-1]))
                uniq = sorted_flat[first]
                grad = np.add.reduceat(g[rows_of[by_feature]], np.flatnonzero(first), axis=0)
                grad += l2 * weights[uniq] * (masks[batch].any(axis=0))
                acc_w[uniq] += grad * grad
                weights[uniq] -= lr * grad / np.sqrt(acc_w[uniq])
            gb = g.sum(axis=0)
            acc_b += gb * gb
            bias -= lr * gb / np.sqrt(acc_b)
        if progress:
            progress(f"epoch {epoch + 1}/{config.epochs}: loss {loss / max(1.0, sample_weight.sum()):.4f}")
    # prune features whose weights all vanished; float32 for storage (inference uses the stored values)
    keep = np.abs(weights).max(axis=1) >= 1e-4 if d else np.zeros(0, dtype=bool)
    names = [f for f, ok in zip(names, keep) if ok]
    return RelationModel(labels, names, weights[keep].astype(np.float32), bias.astype(np.float32),
                         meta={"fit": config.__dict__, "seed": seed, "n_train": n})
