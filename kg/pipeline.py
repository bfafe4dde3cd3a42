"""The orchestrator: wires the stages, times them and publishes the exports. No extraction logic here.

seeds/* ─► documents ─► mentions (rules + model) ─► claims ─► resolution ─► ontology check ─► graph ─► exports
"""
from __future__ import annotations

import bisect
import contextlib
import functools
import gc
import os
import stat
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kg import exporters, resources
from kg.cache import ExtractionCache, resources_key
from kg.context import with_context
from kg.decode import require_text_file
from kg.documents import read_document, split_sentences
from kg.errors import ConfigError, DecodeError, InputError, OutputError
from kg.graph import Fact, GraphBuilder, ViewGraph, doc_iri
from kg.io import fault_point
from kg.lexicon import DEFAULT_PATH as LEXICON_PATH
from kg.lexicon import Lexicon
from kg.mentions import MentionFinder
from kg.model import Article, Claim, Document, Mention, Sentence
from kg.normalize import Normalizer
from kg.ontology import Ontology
from kg.parallel import map_locally
from kg.readers import INPUT_SUFFIXES, NOT_TEXT_SUFFIXES, formats_named
from kg.relations import extract_claims
from kg.rules import check_rules
from kg.report import BuildReport, Rejection
from kg.resolve import Resolver
from kg.sentence_view import SentenceView

#: Longer "sentences" (pages without punctuation) are cut at clause marks into windows of this size.
MAX_SENTENCE = 400
#: Articles handed to the NER model at a time (it batches and may fork internally).
MODEL_BATCH = 64
#: where the extraction cache lives inside an export directory (kg/cache.py)
CACHE_NAME = ".cache"
#: Evidence sentences per fact carried into the HTML views (graph.ttl keeps up to 5 per fact and document).
VIEW_EVIDENCE_PER_FACT = 3
#: Young-generation size of the garbage collector while a build runs (CPython's default: 700, see _gc_policy).
GC_THRESHOLD = 50_000

Progress = Callable[[str], None] | None


@dataclass(frozen=True)
class BuildOptions:
    """How ``build`` runs: the models, the resources, the cache, validation, the export formats, the lock wait
    (``kg rebuild``'s options; the defaults are its defaults)."""

    use_model: bool = True
    lexicon_path: Path | None = None
    ontology_dir: Path | None = None
    model_dir: Path | None = None
    #: the relation model (kg/relation_model.py): None = with ``use_model``, when models/rel exists;
    #: True = required (a missing model is a ConfigError); False = rules only for relations
    use_relation_model: bool | None = None
    relation_model_dir: Path | None = None
    #: per-article extraction results reused between rebuilds (kg/cache.py): None = ``OUT/.cache``
    cache: bool = True
    cache_dir: Path | None = None
    validate: bool = True                 # SHACL over the whole graph (kg.ontology.Ontology.validate)
    formats: tuple[str, ...] = tuple(exporters.REGISTRY)
    #: a NER (or present relation) model that cannot be loaded is an error, not a warning
    require_model: bool = False
    #: a build that keeps no article may replace a previous export that had some
    allow_empty: bool = False
    #: seconds to wait for another rebuild writing to the same out directory (then exit 3)
    lock_wait: float = 60.0
    #: extract on a local Dask cluster of this many worker processes, or on the cluster whose scheduler this
    #: is (tcp://HOST:PORT); neither: in this process (kg/parallel.py)
    workers: int | None = None
    scheduler: str | None = None


@dataclass
class BuiltGraph:
    """What exporters receive."""

    builder: GraphBuilder
    report: BuildReport
    documents: list[Document]
    all_triples: set = field(default_factory=set, repr=False)
    turtle: str = ""
    ntriples: str = ""

    def view_graph(self):
        """The graph with a few evidence sentences per fact: what a browser view needs to show."""
        return ViewGraph(self.builder.view_triples(VIEW_EVIDENCE_PER_FACT))


@dataclass(frozen=True)
class _ArticleView:
    """An article with what every later stage reads: its normalised text and its sentences."""

    article: Article
    norm: str
    sentences: list[Sentence]


class Pipeline:
    """Loads and checks every resource once (ontology, lexicon, model), then builds graphs."""

    def __init__(self, options: BuildOptions | None = None, progress: Progress = None):
        self.options = options or BuildOptions()
        self.progress = progress or (lambda message: None)
        problems: list[str] = []
        self.ontology = self._load(lambda: Ontology.load(self.options.ontology_dir) if self.options.ontology_dir
                                   else Ontology.load(), problems)
        self.lexicon = self._load(lambda: Lexicon.load(require_text_file(self.options.lexicon_path or LEXICON_PATH)),
                                  problems)
        self.model = None
        self.model_note = "off (--no-model)"
        if self.options.use_model:
            self.model, self.model_note = self._load_model(problems)
        self.relation_model = None
        self.relation_note = "off"
        use_relations = self.options.use_relation_model
        if use_relations or (use_relations is None and self.options.use_model):
            self.relation_model, self.relation_note = self._load_relation_model(problems, required=bool(use_relations))
        if self.ontology is not None:   # the rule table must fit the vocabulary (rules.tsv line N: …)
            self._load(lambda: check_rules(self.ontology), problems)
        #: lines for the top of the report and stderr (a model that could not be loaded)
        self.warnings: list[str] = []
        if self.options.use_model and self.model is None:
            self._model_warning(f"NER model {self.model_note}", problems)
        if self.relation_note.startswith("unavailable"):
            self._model_warning(f"relation model {self.relation_note}", problems)
        if len(problems) == 1 and "\n" not in problems[0]:
            raise ConfigError(f"cannot start: {problems[0]}")
        if problems:
            raise ConfigError("cannot start:\n  " + "\n  ".join(problems))
        self.normalizer = Normalizer()
        self.finder = MentionFinder(self.lexicon, self.normalizer)

    def _model_warning(self, note: str, problems: list[str]) -> None:
        note = note.removesuffix("; rules only")
        if self.options.require_model:
            problems.append(f"{note} (--require-model)")
        else:
            self.warnings.append(f"{note}; this build used the rules only in its place "
                                 "(`kg rebuild --require-model` makes this an error)")

    @staticmethod
    def _load(loader, problems: list[str]):
        try:
            return loader()
        except ConfigError as error:
            problems.append(str(error))
            return None

    def _load_model(self, problems: list[str]):
        try:
            from kg.ner import NerModel
        except ImportError:
            return None, "not installed"
        try:
            model = NerModel.load(self.options.model_dir)
        except ConfigError as error:
            if self.options.model_dir is not None:
                problems.append(str(error))
            return None, f"unavailable ({error}); rules only"
        return model, model.name

    def _load_relation_model(self, problems: list[str], required: bool):
        from kg.relation_model import DEFAULT_MODEL_DIR, RelationModel

        directory = self.options.relation_model_dir
        if directory is None and not required and not (DEFAULT_MODEL_DIR / "model.json").is_file():
            return None, "not trained (`kg train --relations-only`)"
        try:
            model = RelationModel.load(directory)
        except ConfigError as error:
            if required or directory is not None:
                problems.append(str(error))
            return None, f"unavailable ({error})"
        if model.threshold > 1.0:   # it would never speak: do not spend the time asking it
            return None, f"{model.name} silent (no threshold kept the rules' precision on held-out training articles)"
        return model, f"{model.name} (threshold {model.threshold:.2f})"

    # -- per-article helpers (also used to build the relation model's training data) ----------------
    def article_view(self, article: Article) -> "_ArticleView":
        """The article with its normalised text and sentences, as every later stage reads it."""
        return _ArticleView(article, self.normalizer.normalize(article.text), split_sentences(article))

    def article_mentions(self, view: "_ArticleView", extra: list[Mention] | None = None) -> list[Mention]:
        """Rule mentions (lexicon + patterns), ``extra`` (the NER model's) where no rule span is, and
        the anaphors of kg/context.py, sorted by position."""
        return with_context(view.norm, view.sentences,
                            _merge(self.finder.find(view.article.text, view.norm), extra or []))

    def extract_views(self, views: list["_ArticleView"], report: BuildReport | None = None
                      ) -> list[tuple[list[Mention], list[Claim]]]:
        """The (mentions, claims) of each article: the NER model over the whole batch, then per article the
        rule mentions, the document context and the claims. A pure function of the articles and the
        resources: kg/cache.py stores it, kg/parallel.py runs it on Dask workers."""
        with _timed(report, "mentions"):
            found = self.model.find([v.article for v in views]) if self.model is not None else [[] for _ in views]
        extracted = []
        for view, extra in zip(views, found):
            with _timed(report, "mentions"):
                mentions = self.article_mentions(view, extra)
            with _timed(report, "claims"):
                extracted.append((mentions, self._claims(view, mentions)))
        return extracted

    # -- the build -----------------------------------------------------------------------------------
    def build(self, seeds_dir: Path, out_dir: Path) -> BuildReport:
        with _gc_policy():
            return self._build(seeds_dir, out_dir)

    def _build(self, seeds_dir: Path, out_dir: Path) -> BuildReport:
        started = time.perf_counter()
        report = BuildReport(model=self.model_note, relation_model=self.relation_note, warnings=list(self.warnings))
        files = _input_files(Path(seeds_dir), report, self.progress, out_dir=Path(out_dir))
        with exporters.ExportDir(Path(out_dir), wait=self.options.lock_wait,
                                 on_wait=self.progress) as target:   # exit 3 before any work
            documents = self._read(files, report)
            articles = [a for d in documents for a in d.kept]
            self.progress(f"read {len(documents)} file(s), kept {len(articles)} article(s)")
            if not articles and not self.options.allow_empty:
                previous = target.previous_manifest()
                if previous and (previous.get("unknown") or previous.get("articles_kept", 0) > 0):
                    what = (f"its {previous['articles_kept']} article(s)" if "articles_kept" in previous
                            else "what it holds")
                    raise InputError(f"no article of {len(documents)} file(s) in {seeds_dir} is on topic: not replacing "
                                     f"the previous export in {out_dir} ({what}); `kg rebuild --allow-empty` replaces it")

            builder = self._extract(documents, articles, report, self._cache(Path(out_dir)))
            built = BuiltGraph(builder, report, documents)
            with report.timer("serialise"):
                built.all_triples = builder.triples
                built.turtle, built.ntriples = builder.serialise(built.all_triples)
            report.triples = len(built.all_triples)
            validation = self._start_validation(built, report)

            def before_report() -> None:
                if validation is not None:
                    validation.finish()
                report.seconds_total = time.perf_counter() - started  # provisional, for the report export

            self._export(built, target, report, before_report)
        report.seconds_total = time.perf_counter() - started
        return report

    def _cache(self, out_dir: Path) -> ExtractionCache | None:
        if not self.options.cache:
            return None
        o = self.options
        paths = [Path(__file__).parent, o.ontology_dir or resources.ontology_dir(), o.lexicon_path or LEXICON_PATH]
        if self.model is not None:
            paths.append(o.model_dir or resources.ner_model_dir())
        if self.relation_model is not None:
            paths.append(o.relation_model_dir or resources.relation_model_dir())
        key = resources_key([Path(p) for p in paths], (self.model_note, self.relation_note))
        return ExtractionCache(o.cache_dir or out_dir / CACHE_NAME, key)

    def _extract(self, documents: list[Document], articles: list[Article], report: BuildReport,
                 cache: ExtractionCache | None = None) -> GraphBuilder:
        """Batch by batch (the model's batches), here or on Dask workers: mentions → claims; then, article by
        article and in order, here: checked facts. Only the facts are kept, so memory follows the graph, not
        the corpus. Mentions and claims of an article the ``cache`` holds are taken from it."""
        resolver = Resolver(self.lexicon, self.normalizer)
        builder = GraphBuilder()
        mentions_seen = claims_seen = 0
        work = self._batches(articles, report, cache)
        with self._cluster() as cluster:
            if cluster is None:
                done = map_locally(functools.partial(self.extract_views, report=report), work)
            else:
                done = cluster.map_in_order(functools.partial(extract_on_worker, self.options), work)
            for (views, cached), fresh in done:
                fresh = iter(fresh)
                for view, hit in zip(views, cached):
                    mentions, claims = hit if hit is not None else next(fresh)
                    if hit is None and cache is not None:
                        with report.timer("cache"):
                            cache.put(view.article, mentions, claims)
                    self._add_article(view, mentions, claims, resolver, builder, report)
                    mentions_seen += len(mentions)
                    claims_seen += len(claims)
        if cache is not None:
            report.articles_reused, report.articles_extracted = cache.hits, cache.misses
            cache.prune()
        by_model = f" ({report.model_claims} by the relation model)" if self.relation_model is not None else ""
        self.progress(f"found {mentions_seen} mention(s), {claims_seen} claim(s){by_model}")
        for document in documents:
            builder.add_document(document)
        for entity in resolver.entities.values():
            builder.add_entity(entity)
        report.evidence_dropped = builder.evidence_dropped
        report.count_entities(resolver.entities.values())
        report.facts_per_predicate = builder.facts_per_predicate()
        return builder

    def _batches(self, articles: list[Article], report: BuildReport, cache: ExtractionCache | None):
        """The model's batches, each as ((its views, its cache hits or None), the views still to extract)."""
        for batch_start in range(0, len(articles), MODEL_BATCH):
            batch = articles[batch_start:batch_start + MODEL_BATCH]
            with report.timer("cache"):
                cached = [cache.get(a) if cache is not None else None for a in batch]
            with report.timer("mentions"):
                views = [self.article_view(a) for a in batch]
            yield (views, cached), [v for v, hit in zip(views, cached) if hit is None]

    def _cluster(self):
        """The Dask cluster the options ask for (kg/parallel.py), else a context that gives None."""
        if self.options.workers is None and self.options.scheduler is None:
            return contextlib.nullcontext()
        from kg.parallel import Cluster

        self.progress("starting Dask " + (f"client of {self.options.scheduler}" if self.options.scheduler
                                          else f"local cluster of {self.options.workers} worker(s)"))
        return Cluster(self.options.workers, self.options.scheduler)

    def _add_article(self, view: "_ArticleView", mentions: list[Mention], claims: list[Claim], resolver: Resolver,
                     builder: GraphBuilder, report: BuildReport) -> None:
        with report.timer("claims"):
            report.model_claims += sum(1 for c in claims if c.rule.startswith("model:"))
            report.rules_fired.update(c.rule for c in claims)
        with report.timer("resolution+ontology"):
            self._add_mentions(view, mentions, resolver, builder)
            for claim in claims:
                fact = self._check(claim, resolver, report)
                if fact is not None:
                    builder.add_fact(fact)

    def _read(self, files: list[tuple[Path, str]], report: BuildReport) -> list[Document]:
        documents = []
        with report.timer("documents"):
            for path, name in files:
                try:
                    document = read_document(path, name=name)
                except DecodeError as error:
                    note = f"{error}" if path.suffix.lower() in INPUT_SUFFIXES else f"not read: {error}"
                    report.problems.append(f"{name}: {note}")
                    self.progress(f"input: {name}: {note}")
                    continue
                except OSError as error:
                    report.problems.append(f"{name}: cannot read ({error.strerror})")
                    self.progress(f"input: {name}: cannot read ({error.strerror})")
                    continue
                if path.suffix.lower() not in INPUT_SUFFIXES:
                    note = f"{name}: no {formats_named('or')} suffix; read as {document.encoding} text"
                    report.problems.append(note)
                    self.progress(f"input: {note}")
                documents.append(document)
                report.problems += [f"{document.name}: {repair}" for repair in document.repairs]
                report.bytes_read += path.stat().st_size
                for article in document.articles:
                    report.articles.append((document.name, article.title or "(untitled)", article.relevant,
                                            round(article.relevance, 3), article.reason))
        if not documents:
            detail = "; ".join(report.problems) or "no input files"
            raise InputError(f"nothing could be built from {files[0][0].parent if files else 'the input'}: {detail}")
        return documents

    def _claims(self, view: "_ArticleView", mentions: list[Mention]) -> list[Claim]:
        """The rules' claims of each sentence; then the relation model's for pairs the rules left alone."""
        claims = []
        for sentence, norm, inside in sentence_mentions(view, mentions):
            found = extract_claims(sentence, norm, inside)
            if self.relation_model is not None and len(inside) > 1:
                found += self.relation_model.claims(SentenceView(sentence, norm, inside), found, self.ontology,
                                                    self.normalizer)
            claims += found
        return claims

    def _add_mentions(self, view: "_ArticleView", mentions: list[Mention], resolver: Resolver,
                      builder: GraphBuilder) -> None:
        """Every mention becomes (part of) an entity; model-found classes and node sizes get evidence."""
        starts = [s.start for s in view.sentences]
        for mention in mentions:
            entity = resolver.resolve(mention, view.article.doc_name)
            if mention.source.startswith("model:") or mention.cls == "ProcessNode":
                fact = _mention_fact(entity, mention, view.article, view.sentences, starts)
                if fact is not None:
                    builder.add_fact(fact)

    def _check(self, claim: Claim, resolver: Resolver, report: BuildReport) -> Fact | None:
        article = claim.sentence.article
        subject = resolver.resolve(claim.subject, article.doc_name)
        figure = not isinstance(claim.obj, Mention)
        obj = None if figure else resolver.resolve(claim.obj, article.doc_name)
        reason = self.ontology.check(claim.predicate, subject.cls, None if figure else obj.cls)
        if reason is not None:
            report.rejected.append(Rejection(article.doc_name, claim.sentence.text, subject.labels.get("zh-Hant", subject.id),
                                             claim.predicate, str(claim.obj) if figure else obj.labels.get("zh-Hant", obj.id),
                                             claim.rule, reason))
            return None
        start, end = article.offsets.to_original_span(claim.sentence.start, claim.sentence.end)
        return Fact(subject.id, claim.predicate, claim.obj if figure else obj.id, article.doc_name,
                    claim.sentence.text.strip(), start, end, claim.rule, claim.confidence)

    def _start_validation(self, built: BuiltGraph, report: BuildReport) -> "_Validation | None":
        """SHACL over the whole graph, in a thread: the validator releases the GIL, so it runs while the
        exports are written; the report waits for it."""
        if not self.options.validate:
            report.shacl = "skipped (--no-validate)"
            return None
        return _Validation(self.ontology, built.ntriples, report)

    def _export(self, built: BuiltGraph, target: "exporters.ExportDir", report: BuildReport,
                before_report: Callable[[], None]) -> None:
        """Every exporter writes into a fresh staging version; only a complete set is published (one
        symlink switch, see kg/exporters/__init__.py). Cannot write: OutputError, the old set untouched.
        ``before_report`` runs right before the report is written (or after the last export without one)."""
        staging = None
        try:
            staging = target.new_staging()
            for name in self.options.formats:
                if name != "report":
                    _write_export(name, built, staging, report)
            before_report()
            if "report" in self.options.formats:
                _write_export("report", built, staging, report)
            manifest = {"articles_kept": report.kept, "entities": sum(report.entities_per_class.values()),
                        "triples": report.triples, "documents": len(built.documents)}
            report.outputs = [p.name for p in target.publish(staging, manifest)]
        except OSError as error:
            if staging is not None:
                target.discard(staging)
            raise OutputError(f"cannot write the exports to {target.out}: {exporters.describe_os_error(error, target.out)}; "
                              "the previous exports are unchanged") from None
        except BaseException:
            if staging is not None:
                target.discard(staging)
            raise


_WORKER_PIPELINES: dict[BuildOptions, Pipeline] = {}   # in a Dask worker process: one per build's options


def extract_on_worker(options: BuildOptions, articles: list[Article]) -> list[tuple[list[Mention], list[Claim]]]:
    """A Dask task (kg/parallel.py): :meth:`Pipeline.extract_views` of ``articles`` in a worker process, with
    the pipeline of ``options`` loaded once per process."""
    pipeline = _WORKER_PIPELINES.get(options)
    if pipeline is None:
        pipeline = Pipeline(options)
        if pipeline.model is not None:
            pipeline.model.processes = 1   # the worker is the process: no fork pool of its own
        _WORKER_PIPELINES[options] = pipeline
        gc.freeze()   # the build's garbage-collector policy (_gc_policy), for the rest of the worker's life
        gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])
    return pipeline.extract_views([pipeline.article_view(a) for a in articles])


def _timed(report: BuildReport | None, stage: str):
    return report.timer(stage) if report is not None else contextlib.nullcontext()


def _write_export(name: str, built: BuiltGraph, staging: Path, report: BuildReport) -> None:
    with report.timer(f"export:{name}"):
        try:
            exporters.get(name)(built, staging)
        except ImportError as error:
            report.problems.append(f"export {name} unavailable: {error}")
    fault_point(f"export:{name}")


class _Validation:
    """SHACL validation of a finished graph in a background thread; :meth:`finish` waits for it and puts
    the verdict into the report (an error inside the validator is raised there)."""

    def __init__(self, ontology: Ontology, ntriples: str, report: BuildReport):
        self._report = report
        self._outcome: tuple[bool, str] | BaseException | None = None
        self._seconds = 0.0
        self._thread = threading.Thread(target=self._run, args=(ontology, ntriples), name="kg-shacl", daemon=True)
        self._thread.start()

    def _run(self, ontology: Ontology, ntriples: str) -> None:
        started = time.perf_counter()
        try:
            self._outcome = ontology.validate(ntriples)
        except BaseException as error:  # handed to the build thread by finish()
            self._outcome = error
        self._seconds = time.perf_counter() - started

    def finish(self) -> None:
        self._thread.join()
        if isinstance(self._outcome, BaseException):
            raise self._outcome
        conforms, text = self._outcome
        report = self._report
        report.timings["shacl"] = self._seconds
        report.shacl = "conforms" if conforms else "DOES NOT CONFORM"
        report.shacl_ok = conforms
        if not conforms:
            report.shacl_text = text

@contextlib.contextmanager
def _gc_policy():
    """Collect garbage less often while a build runs. A build keeps millions of objects (facts, evidence,
    rendered terms) and makes almost no reference cycles (about 5,600 collectable objects on 10 MB), so with
    CPython's default thresholds the collector re-scans the growing heap some 2,000 times, ~12 % of a
    rules-only build. The resources loaded before the build are frozen (never scanned again) and the young
    generation is collected every GC_THRESHOLD allocations; both are undone when the build ends."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def build(seeds_dir: Path | str, out_dir: Path | str, options: BuildOptions | None = None,
          progress: Progress = None) -> BuildReport:
    """Build the graph from every article in ``seeds_dir`` and write the exports to ``out_dir``."""
    return Pipeline(options, progress).build(Path(seeds_dir), Path(out_dir))


def _input_files(seeds_dir: Path, report: BuildReport | None = None, progress: Progress = None,
                 out_dir: Path | None = None) -> list[tuple[Path, str]]:
    """Every file under ``seeds_dir``, subdirectories included, as ``(path, name)`` sorted by name, the
    name being the path relative to ``seeds_dir`` (``2025/11/a.txt``), which names the document.
    Every entry not read is noted in ``report.problems`` (and said through ``progress``) with why:
    a hidden name, a type that is never text, not a regular file (FIFO, socket, device), a dangling
    symlink, a symlink loop, an unreadable directory. Files with another suffix are tried as text."""
    if not seeds_dir.exists():
        where = "" if seeds_dir.is_absolute() else f" (looked for {Path.cwd() / seeds_dir}: relative to the current directory)"
        raise InputError(f"seeds directory not found: {seeds_dir}{where}; pass --seeds DIR")
    if not seeds_dir.is_dir():
        raise InputError(f"not a directory: {seeds_dir}")
    files: list[tuple[Path, str]] = []
    skipped: list[str] = []
    root_stat = seeds_dir.stat()
    root_key = (root_stat.st_dev, root_stat.st_ino)
    seen = {root_key}
    if out_dir is not None and out_dir.is_dir():   # --out inside --seeds: never read our own exports
        out_stat = out_dir.stat()
        seen.add(("out", out_stat.st_dev, out_stat.st_ino))
    _walk(seeds_dir, "", (root_key,), seen, files, skipped)
    files.sort(key=lambda item: item[1])
    by_iri: dict[str, list[str]] = {}
    for _, name in files:
        by_iri.setdefault(str(doc_iri(name)), []).append(name)
    dropped = set()
    for iri, names in sorted(by_iri.items()):
        if len(names) > 1:
            dropped.update(names[1:])
            skipped.append(f"{' and '.join(names)}: one document IRI <{iri}>, so their facts and dates would "
                           f"merge into one document: only {names[0]} is read; rename the other")
    files = [item for item in files if item[1] not in dropped]
    for line in sorted(skipped):
        if report is not None:
            report.problems.append(line)
        if progress is not None:
            progress(f"input: {line}")
    if not files:
        detail = f" ({'; '.join(sorted(skipped))})" if skipped else ""
        raise InputError(f"no articles in {seeds_dir} (expected .txt or .html files){detail}")
    return files


def _walk(directory: Path, prefix: str, ancestors: tuple, seen: set, files: list, skipped: list) -> None:
    """``ancestors``: the directories above (a link to one is a loop); ``seen``: every directory read
    so far (a second link to one is not read twice, so links cannot multiply the input)."""
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as error:
        skipped.append(f"{prefix or '.'}: directory not read ({error.strerror or error})")
        return
    for entry in entries:
        name = prefix + entry.name
        if entry.name.startswith("."):
            if entry.name not in (".gitkeep", ".DS_Store"):
                skipped.append(f"{name}: hidden, not read")
            continue
        try:
            info = os.stat(entry.path)          # follows symlinks
        except OSError as error:
            if entry.is_symlink():
                loop = error.errno == 40        # ELOOP
                skipped.append(f"{name}: {'symlink loop' if loop else 'dangling symlink'}, not read")
            else:
                skipped.append(f"{name}: not read ({error.strerror or error})")
            continue
        if stat.S_ISDIR(info.st_mode):
            key = (info.st_dev, info.st_ino)
            if ("out",) + key in seen:
                skipped.append(f"{name}: the --out directory, not read")
                continue
            if key in ancestors:
                skipped.append(f"{name}: symlink loop (a directory already read), not read")
                continue
            if key in seen:
                skipped.append(f"{name}: a directory already read under another name, not read")
                continue
            seen.add(key)
            _walk(Path(entry.path), name + "/", ancestors + (key,), seen, files, skipped)
        elif not stat.S_ISREG(info.st_mode):
            kind = ("FIFO" if stat.S_ISFIFO(info.st_mode) else "socket" if stat.S_ISSOCK(info.st_mode)
                    else "device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else "special file")
            skipped.append(f"{name}: not a regular file ({kind}), not read")
        elif Path(entry.name).suffix.lower() in NOT_TEXT_SUFFIXES:
            skipped.append(f"{name}: unsupported type {Path(entry.name).suffix.lower()} ({formats_named()} only), not read")
        elif not os.access(entry.path, os.R_OK):
            skipped.append(f"{name}: unreadable (permission denied), not read")
        else:
            files.append((Path(entry.path), name))


def _merge(rule_mentions: list[Mention], model_mentions: list[Mention]) -> list[Mention]:
    """Rules win where both speak: a model span overlapping any rule span is dropped."""
    taken = bytearray()
    for m in rule_mentions:
        if m.end > len(taken):
            taken.extend(b"\x00" * (m.end - len(taken)))
        taken[m.start:m.end] = b"\x01" * (m.end - m.start)
    extra = [m for m in model_mentions if not any(taken[m.start:min(m.end, len(taken))])]
    return sorted(rule_mentions + extra, key=lambda m: (m.start, m.end))


def sentence_mentions(view: _ArticleView, mentions: list[Mention]) -> Iterator[tuple[Sentence, str, list[Mention]]]:
    """Each sentence window of the article that holds mentions: (window, its normalised text, the
    mentions inside it). ``mentions`` sorted by start, as :meth:`Pipeline.article_mentions` gives them."""
    index = 0
    for sentence in _windows(view.sentences):
        while index < len(mentions) and mentions[index].start < sentence.start:
            index += 1
        inside = []
        j = index
        while j < len(mentions) and mentions[j].start < sentence.end:
            if mentions[j].end <= sentence.end:
                inside.append(mentions[j])
            j += 1
        if inside:
            yield sentence, view.norm[sentence.start:sentence.end], inside


def _windows(sentences: list[Sentence]) -> list[Sentence]:
    """Cut run-on sentences (no full stops for pages) into clause-aligned windows the rules can afford."""
    out = []
    for s in sentences:
        if len(s.text) <= MAX_SENTENCE:
            out.append(s)
            continue
        start = 0
        while start < len(s.text):
            end = min(len(s.text), start + MAX_SENTENCE)
            if end < len(s.text):
                cut = max(s.text.rfind(mark, start, end) for mark in "，,；;、 ")
                end = cut + 1 if cut > start else end
            out.append(Sentence(s.article, s.start + start, s.start + end, s.text[start:end]))
            start = end
    return out


def _mention_fact(entity, mention: Mention, article: Article, sentences: list[Sentence], starts: list[int]) -> Fact | None:
    """Evidence for what a mention alone establishes: a model-found entity's class, a node's nanometres."""
    i = bisect.bisect_right(starts, mention.start) - 1
    if i < 0 or not sentences[i].start <= mention.start < sentences[i].end:
        return None
    sentence = sentences[i]
    start, end = article.offsets.to_original_span(sentence.start, sentence.end)
    text = sentence.text.strip()[:MAX_SENTENCE * 2]
    if mention.cls == "ProcessNode":
        if mention.value is None:   # a named process (N+3) whose size the name does not say
            return None
        return Fact(entity.id, "nanometers", mention.value, article.doc_name, text, start, end,
                    mention.source, 1.0)
    return Fact(entity.id, "type", entity.cls, article.doc_name, text, start, end, mention.source, mention.confidence)
