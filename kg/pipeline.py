"""The orchestrator: wires the stages, times them and publishes the exports. No stage logic here.

seeds/* ─► ingest ─► mentions ─► context ─► claims ─► resolution ─► ontology check ─► graph ─► exports
          kg/ingest/ kg/mentions/ kg/mentions/context.py kg/claims/ kg/resolve.py kg/check.py  kg/graph/ kg/exporters/

Start-up (kg/startup.py) loads and checks every resource once. Mentions and claims are extracted batch by
batch, here or on Dask workers (kg/parallel.py), and reused from the cache (kg/cache.py); resolution, the
check and the graph run here, article by article in input order, so the exports are byte-identical.
"""
from __future__ import annotations

import contextlib
import functools
import gc
import time
from dataclasses import dataclass
from pathlib import Path

from kg import exporters, resources
from kg.cache import ExtractionCache, resources_key
from kg.check import check_claim, mention_facts, start_validation
from kg.claims.sentences import article_claims
from kg.mentions.context import with_context
from kg.errors import InputError
from kg.graph.builder import GraphBuilder
from kg.graph.built import BuiltGraph
from kg.ingest.decode import require_text_file
from kg.ingest.documents import split_sentences
from kg.ingest.inputs import input_files, read_documents
from kg.mentions.finder import MentionFinder
from kg.mentions.lexicon import DEFAULT_PATH as LEXICON_PATH
from kg.mentions.lexicon import Lexicon
from kg.mentions.merge import merge
from kg.model import Article, ArticleView, Claim, Document, Mention
from kg.normalize import Normalizer
from kg.ontology import Ontology
from kg.parallel import map_locally
from kg.report import BuildReport, Progress
from kg.resolve import Resolver
from kg.claims.rules import check_rules
from kg.startup import collect, load_ner_model, load_relation_model, model_warning, raise_problems

#: Articles handed to the NER model at a time (it batches and may fork internally).
MODEL_BATCH = 64
#: where the extraction cache lives inside an export directory (kg/cache.py)
CACHE_NAME = ".cache"
#: Young-generation size of the garbage collector while a build runs (CPython's default: 700, see _gc_policy).
GC_THRESHOLD = 50_000


@dataclass(frozen=True)
class BuildOptions:
    """How ``build`` runs: the models, the resources, the cache, validation, the export formats, the lock wait
    (``kg rebuild``'s options; the defaults are its defaults)."""

    use_model: bool = True
    lexicon_path: Path | None = None
    ontology_dir: Path | None = None
    model_dir: Path | None = None
    #: the relation model (kg/claims/relation_model.py): None = with ``use_model``, when models/rel exists;
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


class Pipeline:
    """Loads and checks every resource once (ontology, lexicon, model), then builds graphs."""

    def __init__(self, options: BuildOptions | None = None, progress: Progress = None):
        self.options = o = options or BuildOptions()
        self.progress = progress or (lambda message: None)
        problems: list[str] = []
        self.ontology = collect(lambda: Ontology.load(o.ontology_dir) if o.ontology_dir else Ontology.load(), problems)
        self.lexicon = collect(lambda: Lexicon.load(require_text_file(o.lexicon_path or LEXICON_PATH)), problems)
        self.model = None
        self.model_note = "off (--no-model)"
        if o.use_model:
            self.model, self.model_note = load_ner_model(o.model_dir, problems)
        self.relation_model = None
        self.relation_note = "off"
        if o.use_relation_model or (o.use_relation_model is None and o.use_model):
            self.relation_model, self.relation_note = load_relation_model(o.relation_model_dir, problems,
                                                                          required=bool(o.use_relation_model))
        if self.ontology is not None:   # the rule table must fit the vocabulary (rules.tsv line N: …)
            collect(lambda: check_rules(self.ontology), problems)
        #: lines for the top of the report and stderr (a model that could not be loaded)
        self.warnings: list[str] = []
        if o.use_model and self.model is None:
            model_warning(f"NER model {self.model_note}", o.require_model, problems, self.warnings)
        if self.relation_note.startswith("unavailable"):
            model_warning(f"relation model {self.relation_note}", o.require_model, problems, self.warnings)
        raise_problems(problems)
        self.normalizer = Normalizer()
        self.finder = MentionFinder(self.lexicon, self.normalizer)

    # -- per-article helpers (also used to build the relation model's training data) ----------------
    def article_view(self, article: Article) -> ArticleView:
        """The article with its normalised text and sentences, as every later stage reads it."""
        return ArticleView(article, self.normalizer.normalize(article.text), split_sentences(article))

    def article_mentions(self, view: ArticleView, extra: list[Mention] | None = None) -> list[Mention]:
        """Rule mentions (lexicon + patterns), ``extra`` (the NER model's) where no rule span is, and
        the anaphors of kg/mentions/context.py, sorted by position."""
        return with_context(view.norm, view.sentences,
                            merge(self.finder.find(view.article.text, view.norm), extra or []))

    def extract_views(self, views: list[ArticleView], report: BuildReport | None = None
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
                extracted.append((mentions, article_claims(view, mentions, self.relation_model, self.ontology,
                                                           self.normalizer)))
        return extracted

    # -- the build -----------------------------------------------------------------------------------
    def build(self, seeds_dir: Path, out_dir: Path) -> BuildReport:
        with _gc_policy():
            return self._build(seeds_dir, out_dir)

    def _build(self, seeds_dir: Path, out_dir: Path) -> BuildReport:
        started = time.perf_counter()
        report = BuildReport(model=self.model_note, relation_model=self.relation_note, warnings=list(self.warnings))
        files = input_files(Path(seeds_dir), report, self.progress, out_dir=Path(out_dir))
        with exporters.ExportDir(Path(out_dir), wait=self.options.lock_wait,
                                 on_wait=self.progress) as target:   # exit 3 before any work
            with report.timer("documents"):
                documents = read_documents(files, report, self.progress)
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
            validation = start_validation(self.ontology, built.ntriples, report, enabled=self.options.validate)

            def before_report() -> None:
                if validation is not None:
                    validation.finish()
                report.seconds_total = time.perf_counter() - started  # provisional, for the report export

            exporters.write_exports(built, target, self.options.formats, before_report)
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

    def _add_article(self, view: ArticleView, mentions: list[Mention], claims: list[Claim], resolver: Resolver,
                     builder: GraphBuilder, report: BuildReport) -> None:
        with report.timer("claims"):
            report.model_claims += sum(1 for c in claims if c.rule.startswith("model:"))
            report.rules_fired.update(c.rule for c in claims)
        with report.timer("resolution+ontology"):
            for fact in mention_facts(view, mentions, resolver):
                builder.add_fact(fact)
            for claim in claims:
                fact = check_claim(self.ontology, claim, resolver, report)
                if fact is not None:
                    builder.add_fact(fact)


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


