"""Model mentions: the trained Chinese NER model (`models/ner/`, built by `kg train`) over kept articles.

    model = NerModel.load()                     # ConfigError with a `kg train` hint when missing
    mentions = model.find(articles)             # one list of Mention per article, offsets into article.text

The model (see `kg/train.py`) is a character-level BILUO tagger: a small CNN over hash embeddings of
each character's Simplified form and shape, a softmax over the 53 tags (B/I/L/U × 13 classes + O),
and a constrained Viterbi decoder that returns the most probable *valid* tag sequence, so every span is
well formed. A mention's confidence is the geometric mean of the probabilities of its tags, mapped
through the isotonic calibration fitted at training time on names the model never saw (so 0.8 means
about 80 % of such mentions were right there).

Each article is cut into sentence-sized chunks; the chunks go through the model in fixed batches (the
same batches whatever the number of processes, so results never depend on it), on two processes when
the text is large enough to pay for the fork.
"""
from __future__ import annotations

import bisect
import json
import os
import re
from pathlib import Path
from typing import Sequence

from kg.errors import ConfigError
from kg.model import Article, Mention

DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[1] / "models" / "ner"
META_FILE = "kg-ner.json"
CHUNK_CHARS = 300          # chunks are cut at sentence ends, at most about this long
BATCH_CHUNKS = 64          # chunks per model call; fixed, so batching never changes a result
PARALLEL_MIN_CHARS = 60_000  # below this, one process is faster than forking a second
MIN_CONFIDENCE = 0.4       # `find` leaves out mentions right less than 40 % of the time on held-out articles
_BREAK = re.compile(r"[。！？；!?\n]")

_WORKER: "NerModel | None" = None  # set in the parent just before forking workers; read only by them


class NerModel:
    """A loaded NER pipeline plus its calibration. Build with :meth:`load` (or :meth:`from_nlp`)."""

    name: str

    def __init__(self, nlp, name: str, calibration: list[list[float]] | None = None,
                 labels: Sequence[str] = (), processes: int | None = None, decoder: str = "viterbi",
                 min_confidence: float = MIN_CONFIDENCE, held_out_calibration: list[list[float]] | None = None):
        self.nlp = nlp
        self.min_confidence = min_confidence
        self.name = name
        self.decoder = decoder
        self.labels = tuple(labels)
        self._cal_x = [float(x) for x, _ in (calibration or [])]
        self._cal_y = [float(y) for _, y in (calibration or [])]
        self._held_x = [float(x) for x, _ in (held_out_calibration or [])]
        self._held_y = [float(y) for _, y in (held_out_calibration or [])]
        self.processes = processes if processes is not None else min(2, os.cpu_count() or 1)

    # ---------------------------------------------------------------------------------------- loading
    @classmethod
    def load(cls, model_dir: Path | str | None = None, processes: int | None = None,
             min_confidence: float = MIN_CONFIDENCE) -> "NerModel":
        """The model in ``model_dir`` (default: the shipped ``models/ner``)."""
        model_dir = Path(model_dir or DEFAULT_MODEL_DIR)
        meta_path = model_dir / META_FILE
        if not meta_path.is_file() or not (model_dir / "config.cfg").is_file():
            raise ConfigError(f"NER model not found in {model_dir}: run `kg train` (or `make model`) to build it, "
                              "or `kg rebuild --no-model` to build with the rules only")
        try:
            import spacy

            from kg.train import install_norms

            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            nlp = spacy.load(model_dir)
            install_norms(nlp)
        except Exception as error:  # a damaged model directory
            raise ConfigError(f"NER model in {model_dir} cannot be loaded ({error}): run `kg train` to rebuild it") from error
        return cls(nlp, meta["name"], meta.get("calibration"), meta.get("labels", ()), processes,
                   meta.get("config", {}).get("decoder", "viterbi"), min_confidence, meta.get("held_out_calibration"))

    @classmethod
    def from_nlp(cls, nlp, name: str, calibration=None, decoder: str = "viterbi") -> "NerModel":
        labels = sorted({t.split("-", 1)[1] for t in nlp.get_pipe("tagger").labels if t != "O"})
        return cls(nlp, name, calibration, labels, processes=1, decoder=decoder)

    # -------------------------------------------------------------------------------------- inference
    def find(self, articles: Sequence[Article]) -> list[list[Mention]]:
        """Mentions in each article's ``text`` with calibrated confidence >= ``min_confidence``;
        deterministic, on up to two processes."""
        texts = [a.text for a in articles]
        raw = self.predict_raw(texts)
        out = []
        for text, found in zip(texts, raw):
            mentions = [Mention(s, e, text[s:e], label, None, self.name, self.calibrate(score))
                        for s, e, label, score in found]
            out.append([m for m in mentions if m.confidence >= self.min_confidence])
        return out

    def calibrate(self, raw: float) -> float:
        """Raw span score -> dev-set calibration -> held-out-article calibration (when the model has one)."""
        value = _step(self._cal_x, self._cal_y, raw)
        if self._held_x:
            value = _step(self._held_x, self._held_y, value)
        return round(min(1.0, max(0.0, value)), 4)

    def predict_raw(self, texts: Sequence[str]) -> list[list[tuple[int, int, str, float]]]:
        """(start, end, label, raw score) per text, sorted by start."""
        chunks: list[tuple[int, int, str]] = []  # (text index, offset, chunk text)
        for i, text in enumerate(texts):
            for start, end in split_chunks(text):
                chunks.append((i, start, text[start:end]))
        batches = [chunks[k:k + BATCH_CHUNKS] for k in range(0, len(chunks), BATCH_CHUNKS)]
        total = sum(len(t) for t in texts)
        if self.processes > 1 and total >= PARALLEL_MIN_CHARS and len(batches) > 1:
            results = self._parallel(batches)
        else:
            results = [self._run_batch([c[2] for c in b]) for b in batches]
        out: list[list[tuple[int, int, str, float]]] = [[] for _ in texts]
        for batch, found in zip(batches, results):
            for (i, offset, _), ents in zip(batch, found):
                out[i].extend((offset + s, offset + e, label, score) for s, e, label, score in ents)
        return [sorted(found) for found in out]

    def _parallel(self, batches):
        import multiprocessing as mp

        global _WORKER
        _WORKER = self
        try:
            ctx = mp.get_context("fork")
            with ctx.Pool(self.processes) as pool:
                # contiguous halves keep each process's work large; order of results is preserved
                return pool.map(_worker_run, [[c[2] for c in b] for b in batches], chunksize=max(1, len(batches) // (2 * self.processes)))
        finally:
            _WORKER = None

    def _run_batch(self, texts: list[str]) -> list[list[tuple[int, int, str, float]]]:
        """One batch of chunks: spans from the BILUO tagger by constrained Viterbi decoding (or, for a
        model trained with ``parser=True`` and ``decoder == "ner"``, from the transition-based ``ner``);
        each span scored with the tagger's probabilities of its tags."""
        tagger = self.nlp.get_pipe("tagger")
        skip = [n for n in ("tagger", "ner") if n in self.nlp.pipe_names and (n == "tagger" or self.decoder != "ner")]
        docs = list(self.nlp.pipe(texts, batch_size=len(texts) or 1, disable=skip))
        probs = tagger.model.predict(docs) if any(len(d) for d in docs) else [None] * len(docs)
        labels = tagger.labels
        index = {tag: i for i, tag in enumerate(labels)}
        if self.decoder == "viterbi":
            decoded = viterbi_spans([p for p in probs if p is not None and len(p)], labels)
            decoded.reverse()  # popped in document order below
        out = []
        for text, doc, p in zip(texts, docs, probs):
            if p is None or not len(doc):
                out.append([])
                continue
            if self.decoder == "viterbi":
                spans = decoded.pop()
            else:
                spans = [(ent.start, ent.end, ent.label_) for ent in doc.ents]
            ents = []
            for start, end, label in spans:
                last = doc[end - 1]
                s, e = _trim(text, doc[start].idx, last.idx + len(last.text))
                if e > s:
                    ents.append((s, e, label, span_score(p, start, end, label, index)))
            out.append(ents)
        return out


def viterbi_spans(probs: list, labels: Sequence[str], floor: float = 0.02) -> list[list[tuple[int, int, str]]]:
    """Best valid BILUO sequence per document, as token spans.

    Only stretches where some entity tag has probability >= ``floor`` can hold a span, so the Viterbi
    runs on those stretches alone (plus one token each side), batched: a few steps instead of one per
    character. Outside them the tag is O.
    """
    import numpy

    o = list(labels).index("O")
    segments = []  # (document, start, end)
    for i, p in enumerate(probs):
        live = (1.0 - numpy.asarray(p)[:, o]) >= floor
        if not live.any():
            continue
        edges = numpy.flatnonzero(numpy.diff(numpy.concatenate(([0], live.astype("int8"), [0]))))
        for start, end in zip(edges[::2].tolist(), edges[1::2].tolist()):
            segments.append((i, max(0, start - 1), min(len(p), end + 1)))
    out: list[list[tuple[int, int, str]]] = [[] for _ in probs]
    if not segments:
        return out
    tags = _viterbi([numpy.asarray(probs[i])[s:e] for i, s, e in segments], labels)
    for (i, s, _), seq in zip(segments, tags):
        start = -1
        for j in numpy.flatnonzero(seq != o).tolist():
            prefix, label = labels[seq[j]].split("-", 1)
            if prefix in ("B", "U"):
                start = j
            if prefix in ("L", "U"):
                out[i].append((s + start, s + j + 1, label))
    return out


def _viterbi(probs: list, labels: Sequence[str]) -> list:
    """Batched Viterbi over log-probabilities with the BILUO constraints; one tag array per sequence.

    The constraints make it linear in the number of tags: O, B-x and U-x follow any "closed" tag
    (O, L-*, U-*), I-x and L-x follow B-x or I-x only.
    """
    import numpy

    labels = list(labels)
    o = labels.index("O")
    classes = sorted({t.split("-", 1)[1] for t in labels if t != "O"})
    b_i, i_i, l_i, u_i = (numpy.array([labels.index(f"{p}-{c}") for c in classes]) for p in "BILU")
    closed = numpy.concatenate(([o], l_i, u_i))            # tags after which a new tag may start
    n, t_max, k = len(probs), max(len(p) for p in probs), len(labels)
    neg = numpy.float32(-1e9)
    emit = numpy.full((n, t_max, k), neg, dtype="float32")
    emit[:, :, o] = 0.0                                      # padding: O, free
    for i, p in enumerate(probs):
        emit[i, :len(p)] = numpy.log(numpy.maximum(numpy.asarray(p, dtype="float32"), 1e-9))
    rows = numpy.arange(n)
    score = numpy.full((n, k), neg, dtype="float32")
    opens = numpy.concatenate(([o], b_i, u_i))
    score[:, opens] = emit[:, 0, opens]
    back = numpy.zeros((n, t_max, k), dtype="int16")
    for t in range(1, t_max):
        sc = score[:, closed]
        j = sc.argmax(1)
        best_closed, from_closed = sc[rows, j], closed[j]
        inside = score[:, b_i] >= score[:, i_i]                # continue from B-x or from I-x
        best_in = numpy.where(inside, score[:, b_i], score[:, i_i])
        from_in = numpy.where(inside, b_i, i_i)
        new = numpy.empty_like(score)
        new[:, opens] = best_closed[:, None] + emit[:, t, opens]
        new[:, i_i] = best_in + emit[:, t, i_i]
        new[:, l_i] = best_in + emit[:, t, l_i]
        back[:, t, opens] = from_closed[:, None]
        back[:, t, i_i] = from_in
        back[:, t, l_i] = from_in
        score = new
    score[:, numpy.concatenate((b_i, i_i))] = neg            # may not end inside a span
    tags = numpy.zeros((n, t_max), dtype="int64")
    cur = score.argmax(1)
    for t in range(t_max - 1, -1, -1):
        tags[:, t] = cur
        cur = back[rows, t, cur]
    return [tags[i, :len(p)] for i, p in enumerate(probs)]


def span_score(probs, start: int, end: int, label: str, index: dict[str, int]) -> float:
    """Geometric mean of the tagger's probabilities of the span's BILUO tags (and O just outside it)."""
    import math

    if probs is None:
        return 0.0
    if end - start == 1:
        tags = [(start, f"U-{label}")]
    else:
        tags = [(start, f"B-{label}")] + [(i, f"I-{label}") for i in range(start + 1, end - 1)] + [(end - 1, f"L-{label}")]
    logs = [math.log(max(float(probs[i][index[t]]), 1e-9)) for i, t in tags if t in index]
    return round(math.exp(sum(logs) / len(logs)), 6) if logs else 0.0


def _step(xs: list[float], ys: list[float], x: float) -> float:
    """Isotonic calibration map: the value of the first step whose upper bound is >= x."""
    if not xs:
        return x
    return ys[min(bisect.bisect_left(xs, x), len(ys) - 1)]


def _worker_run(texts: list[str]):
    assert _WORKER is not None
    return _WORKER._run_batch(texts)


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def split_chunks(text: str, size: int = CHUNK_CHARS) -> list[tuple[int, int]]:
    """Cut ``text`` into pieces of at most about ``size`` characters, at sentence ends where possible."""
    out, start, n = [], 0, len(text)
    while start < n:
        if n - start <= size:
            out.append((start, n))
            break
        window = text[start:start + size]
        cut = 0
        for m in _BREAK.finditer(window):
            cut = m.end()
        if cut < size // 3:  # no sentence end in reach: cut at a character that cannot be inside a name
            cut = max((window.rfind(c) + 1 for c in "，,、：: "), default=0)
            if cut < size // 3:
                cut = size
        out.append((start, start + cut))
        start += cut
    return [(s, e) for s, e in out if text[s:e].strip()]
