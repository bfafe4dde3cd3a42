"""Model mentions: the trained Chinese NER model (`models/ner/`, built by `kg train`) over kept articles.

    model = NerModel.load()                     # ConfigError with a `kg train` hint when missing
    mentions = model.find(articles)             # one list of Mention per article, offsets into article.text

Each article is cut into sentence-sized chunks; the chunks go through the model in fixed batches (the
same batches whatever the number of processes, so results never depend on it), on two processes when
the text is large enough to pay for the fork. A mention's confidence is the beam's probability mass
on that exact span and label (``ner.scored_ents``), mapped through the isotonic calibration fitted at
training time on names the model never saw.
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
_BREAK = re.compile(r"[。！？；!?\n]")

_WORKER: "NerModel | None" = None  # set in the parent just before forking workers; read only by them


class NerModel:
    """A loaded NER pipeline plus its calibration. Build with :meth:`load` (or :meth:`from_nlp`)."""

    name: str

    def __init__(self, nlp, name: str, calibration: list[list[float]] | None = None, beam_width: int = 8,
                 labels: Sequence[str] = (), processes: int | None = None):
        self.nlp = nlp
        self.name = name
        self.beam_width = beam_width
        self.labels = tuple(labels)
        self._cal_x = [float(x) for x, _ in (calibration or [])]
        self._cal_y = [float(y) for _, y in (calibration or [])]
        self.processes = processes if processes is not None else min(2, os.cpu_count() or 1)

    # ---------------------------------------------------------------------------------------- loading
    @classmethod
    def load(cls, model_dir: Path | str | None = None, processes: int | None = None) -> "NerModel":
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
        return cls(nlp, meta["name"], meta.get("calibration"), meta.get("config", {}).get("beam_width", 8),
                   meta.get("labels", ()), processes)

    @classmethod
    def from_nlp(cls, nlp, name: str, calibration=None, beam_width: int = 8) -> "NerModel":
        return cls(nlp, name, calibration, beam_width, nlp.get_pipe("ner").labels, processes=1)

    # -------------------------------------------------------------------------------------- inference
    def find(self, articles: Sequence[Article]) -> list[list[Mention]]:
        """Mentions in each article's ``text``; deterministic, on up to two processes."""
        texts = [a.text for a in articles]
        raw = self.predict_raw(texts)
        out = []
        for text, found in zip(texts, raw):
            out.append([Mention(s, e, text[s:e], label, None, self.name, self.calibrate(score))
                        for s, e, label, score in found])
        return out

    def calibrate(self, raw: float) -> float:
        if not self._cal_x:
            return round(raw, 4)
        i = min(bisect.bisect_left(self._cal_x, raw), len(self._cal_y) - 1)
        return round(min(1.0, max(0.0, self._cal_y[i])), 4)

    def predict_raw(self, texts: Sequence[str]) -> list[list[tuple[int, int, str, float]]]:
        """(start, end, label, raw beam score) per text, sorted by start."""
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
        """Beam-search NER over one batch of chunks: the best parse's spans with their beam scores."""
        ner = self.nlp.get_pipe("ner")
        docs = [self.nlp.make_doc(t) for t in texts]
        nonempty = [d for d in docs if len(d)]
        results: dict[int, list] = {}
        if nonempty:
            beams = ner.beam_parse(nonempty, beam_width=self.beam_width, beam_density=0.0001)
            scores = ner.scored_ents(beams)
            for doc, beam, score in zip(nonempty, beams, scores):
                parses = ner.moves.get_beam_parses(beam)
                best = max(parses, key=lambda p: p[0])[1] if parses else []
                ents = []
                for start, end, label in sorted(best):
                    span = doc[start:end]
                    s, e = _trim(doc.text, span.start_char, span.end_char)
                    if e > s:
                        ents.append((s, e, label, round(float(score[(start, end, label)]), 6)))
                results[id(doc)] = ents
        return [results.get(id(d), []) for d in docs]


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
