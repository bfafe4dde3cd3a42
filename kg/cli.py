"""The `kg` command: a thin layer over the library. Each command parses options, calls one library
function, prints, and maps our exceptions to exit codes (0 built, 1 built but fails SHACL, 2 bad input/config)."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from kg.errors import ConfigError, KgError


def fail(error: KgError) -> "None":
    click.echo(f"error: {error}", err=True)
    sys.exit(error.exit_code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Knowledge graph of China's GPU and compute industry, built from news articles."""


@main.command()
@click.option("--seeds", "seeds_dir", type=click.Path(path_type=Path), default=Path("seeds"), show_default=True,
              help="Directory of articles to read (subdirectories too).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("exports"), show_default=True,
              help="Directory the exports are written to.")
@click.option("--no-model", is_flag=True, help="Rules only: run neither the NER model nor the relation model.")
@click.option("--require-model", is_flag=True,
              help="A model that cannot be loaded is an error (exit 2), not a warning and a rules-only build.")
@click.option("--allow-empty", is_flag=True,
              help="Publish even when no article is kept, replacing a previous export that had some.")
@click.option("--lexicon", "lexicon_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Lexicon TSV to use (default: ontology/lexicon.tsv).")
@click.option("--wait", "lock_wait", type=click.FloatRange(min=0), default=60.0, show_default=True,
              help="Seconds to wait while another rebuild writes to OUT (then exit 3 naming its pid).")
@click.option("--validate/--no-validate", default=True, show_default=True,
              help="SHACL validation of the whole graph (runs while the exports are written).")
@click.option("--cache", "cache_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Directory of per-article extraction results reused between rebuilds (default: OUT/.cache).")
@click.option("--no-cache", is_flag=True, help="Extract every article afresh and keep no cache.")
@click.option("--format", "extra_formats", multiple=True, type=click.Choice(["parquet"]),
              help="Also write an optional export: parquet = facts.parquet (needs pyarrow).")
@click.option("--workers", type=click.IntRange(1, 256), default=None,
              help="Extract on a local Dask cluster of N worker processes (needs dask[distributed]).")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Extract on a running Dask cluster: its scheduler's address, e.g. tcp://10.0.0.5:8786.")
@click.option("--quiet", "-q", is_flag=True, help="No progress lines, only the summary (and warnings).")
def rebuild(seeds_dir: Path, out_dir: Path, no_model: bool, require_model: bool, allow_empty: bool,
            lexicon_path: Path | None, lock_wait: float, validate: bool, cache_dir: Path | None,
            no_cache: bool, extra_formats: tuple[str, ...], workers: int | None, scheduler: str | None,
            quiet: bool) -> None:
    """Read every article in SEEDS and write graph.ttl, graph.nt, graph.html and report.md to OUT.

    Exit codes: 0 built, 1 built but fails SHACL, 2 bad input or configuration, 3 the environment
    (OUT cannot be written, no space, file size limit, another rebuild holds OUT, the Dask cluster
    cannot be reached)."""
    import signal

    if hasattr(signal, "SIGXFSZ"):   # over `ulimit -f`: let the write fail with EFBIG, not kill us silently
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    progress = None if quiet else (lambda msg: click.echo(msg, err=True))
    try:
        from kg.exporters import check_out_dir
        from kg.pipeline import BuildOptions, build   # inside: a bad triggers.tsv is a ConfigError at import

        check_out_dir(out_dir)   # exit 3 before the models load
        if workers is not None and scheduler is not None:
            raise ConfigError("--workers starts a local cluster and --scheduler uses a running one: give one of them")
        if "parquet" in extra_formats:
            import importlib.util

            if importlib.util.find_spec("pyarrow") is None:
                raise ConfigError("--format parquet needs pyarrow: pip install 'cngpu-kg[parquet]' (or pyarrow)")
        from kg.exporters import REGISTRY
        options = BuildOptions(use_model=not no_model, validate=validate, require_model=require_model,
                               allow_empty=allow_empty, lexicon_path=lexicon_path, lock_wait=lock_wait,
                               cache=not no_cache, cache_dir=cache_dir, workers=workers, scheduler=scheduler,
                               formats=tuple(REGISTRY) + tuple(dict.fromkeys(extra_formats)))
        report = build(seeds_dir, out_dir, options, progress=progress)
    except KgError as error:
        fail(error)
    except MemoryError:
        click.echo("error: out of memory (the previous exports are unchanged)", err=True)
        sys.exit(3)
    except KeyboardInterrupt:
        click.echo("error: interrupted (the previous exports are unchanged)", err=True)
        sys.exit(130)
    except UnicodeDecodeError as error:   # a configuration file read without kg.ingest.decode's check (triggers, rules)
        click.echo(f"error: a configuration file under ontology/ is not UTF-8 text (byte {error.start}: "
                   f"{error.reason}); save it as UTF-8", err=True)
        sys.exit(2)
    except Exception as error:   # a bug in kg: still one line (KG_DEBUG=1 shows the traceback)
        import os

        if os.environ.get("KG_DEBUG"):
            raise
        detail = str(error).splitlines()[0][:300] if str(error) else ""
        click.echo(f"error: internal error ({type(error).__name__}{': ' + detail if detail else ''}); the previous "
                   "exports are unchanged; KG_DEBUG=1 shows the traceback", err=True)
        sys.exit(70)
    except OSError as error:   # anything the library did not name: still one line, an environment problem
        click.echo(f"error: {error.strerror or error}" + (f": {error.filename}" if error.filename else ""), err=True)
        sys.exit(3)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(report.summary())
    sys.exit(report.exit_code)


@main.command(name="eval")
@click.option("--gold", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="Gold facts TSV (see ../shared/eval/README.md).")
@click.option("--graph", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=Path("exports/graph.ttl"), show_default=True, help="Exported graph to score.")
@click.option("--index", "index", type=click.Path(path_type=Path), default=None,
              help="Article index TSV (file, url, date, region, style, chars): also score per region and "
                   "per style. Default: index.tsv beside GOLD, if there is one.")
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@click.option("-v", "verbose", is_flag=True, help="Also list every miss, wrong and unjudged triple.")
def eval_(gold: Path, graph: Path, index: Path | None, as_json: bool, verbose: bool) -> None:
    """Score GRAPH against GOLD: precision, recall and F1 per predicate (and per region and style)."""
    from kg.scoring import default_index, evaluate

    try:
        scores = evaluate(graph, gold, index if index is not None else default_index(gold))
    except KgError as error:
        fail(error)
    click.echo(scores.to_json() if as_json else scores.table(verbose=verbose))


def _size_option(ctx, param, value):
    from kg.query import parse_size

    try:
        return parse_size(str(value))
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@main.command()
@click.argument("query", required=False)
@click.option("--graph", type=click.Path(dir_okay=False, path_type=Path), default=Path("exports/graph.ttl"),
              show_default=True, help="Exported graph to query.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "tsv", "json", "xml", "ntriples"]),
              default="table", show_default=True,
              help="SELECT/ASK: a table with labels, or SPARQL 1.1 results; CONSTRUCT/DESCRIBE: Turtle (or ntriples).")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
              help="Bind a parameter of a named query (repeatable; `--list` shows each query's parameters).")
@click.option("--list", "list_", is_flag=True, help="List the named analyst questions in queries/ and their parameters.")
@click.option("--queries", "queries_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Directory of named queries (default: queries/ of this checkout).")
@click.option("--timeout", default=60.0, show_default=True, type=click.FloatRange(min=0),
              help="Time limit in seconds (0: none).")
@click.option("--max-rows", default=100000, show_default=True, type=click.IntRange(min=0),
              help="Most rows (or triples) in the answer (0: no cap).")
@click.option("--max-bytes", default="64M", show_default=True, callback=_size_option,
              help="Largest answer, e.g. 64M (0: no cap).")
@click.option("--max-memory", default="2G", show_default=True, callback=_size_option,
              help="Memory the query may use beyond the loaded graph, e.g. 2G (0: no cap).")
def query(query: str | None, graph: Path, fmt: str, params: tuple[str, ...], list_: bool, queries_dir: Path | None,
          timeout: float, max_rows: int, max_bytes: int | None, max_memory: int | None) -> None:
    """Run QUERY over the exported graph: SPARQL text, a .rq file, or @name of a named question.

    Standard prefixes (kg: id: doc: ev: rdfs: skos: prov: xsd: dcterms: ...) need not be declared.
    A syntax error prints its line and column and exits 2; so do a missing or unknown --param, and a
    query stopped at a limit (time, rows, bytes, memory)."""
    from kg.query import Limits, describe_library, named_queries, parse_params, run_query

    try:
        if list_:
            click.echo(describe_library(named_queries(queries_dir)), nl=False)
            return
        if not query:
            raise click.UsageError("give a QUERY, a FILE, @name, or --list")
        limits = Limits(timeout=timeout or None, max_rows=max_rows or None, max_bytes=max_bytes,
                        max_memory=max_memory)
        click.echo(run_query(graph, query, fmt, queries_dir=queries_dir, params=parse_params(params),
                             limits=limits), nl=False)
    except KgError as error:
        fail(error)


def _serve_size(ctx, param, value, minimum: int) -> int:
    """A size for `kg serve` (as `kg query` spells them: 64M, 2G); the endpoint always keeps a cap, so no 0."""
    from kg.query import parse_size

    try:
        size = parse_size(str(value))
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    if size is None or size < minimum:
        least = f"{minimum >> 20}M" if minimum >= 1 << 20 else f"{minimum} byte"
        raise click.BadParameter(f"{value} is below the least allowed ({least}); the endpoint always keeps a cap")
    return size


@main.command()
@click.option("--graph", type=click.Path(dir_okay=False, path_type=Path), default=Path("exports/graph.ttl"),
              show_default=True, help="Exported graph to serve; its directory's files are served too.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on (loopback by default).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0: any free port).")
@click.option("--timeout", default=10.0, show_default=True, type=click.FloatRange(0, 86400, min_open=True),
              help="Time limit per query, in seconds (a query over it is stopped: 503).")
@click.option("--max-rows", default=10000, show_default=True, type=click.IntRange(min=1),
              help="Result-size cap (rows or triples).")
@click.option("--max-bytes", default="50M", show_default=True, callback=lambda c, p, v: _serve_size(c, p, v, 1),
              help="Result-size cap: bytes of the serialised answer (K, M, G suffixes).")
@click.option("--max-memory", default="1G", show_default=True, callback=lambda c, p, v: _serve_size(c, p, v, 64 << 20),
              help="Memory a query worker may use beyond the loaded graph (a query over it is stopped: 503).")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Fast-lane query workers (long queries move to a low-priority lane of their own).")
@click.option("--long-queries", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Queries allowed to run past 0.25 s at once (one per client address).")
@click.option("--client-timeout", default=10.0, show_default=True, type=click.FloatRange(0, 3600, min_open=True),
              help="Seconds a client may take to send a request (or stay idle) before it is disconnected.")
@click.option("--quiet", is_flag=True, help="No per-request log lines.")
def serve(graph: Path, host: str, port: int, timeout: float, max_rows: int, max_bytes: int, max_memory: int,
          workers: int, long_queries: int, client_timeout: float, quiet: bool) -> None:
    """Read-only SPARQL 1.1 Protocol endpoint at /sparql, a query page at /query, plus the HTML views and
    export files. The graph is reloaded when it changes; a broken one keeps the last good graph served."""
    from kg.serve import ServeOptions, serve_forever

    options = ServeOptions(host=host, port=port, timeout=timeout, max_rows=max_rows,
                           max_bytes=max_bytes, max_memory_mb=max_memory >> 20,
                           workers=workers, long_queries=long_queries, client_timeout=client_timeout, quiet=quiet)
    try:
        serve_forever(graph, options, announce=lambda msg: click.echo(msg, err=True))
    except KgError as error:
        fail(error)


@main.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="NER model directory to write (default: models/ner, the one `kg rebuild` loads).")
@click.option("--relations-out", "relations_dir", type=click.Path(path_type=Path), default=None,
              help="Relation model directory to write (default: models/rel, the one `kg rebuild` loads).")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (same seed, same model).")
@click.option("--epochs", type=int, default=None, help="NER training epochs (default: the shipped model's).")
@click.option("--relations-only", is_flag=True, help="Train only the relation model (seconds), not the NER model (minutes).")
def train(out_dir: Path | None, relations_dir: Path | None, seed: int, epochs: int | None, relations_only: bool) -> None:
    """Train the NER model from data/ner/ and the lexicon, then the relation model from the seed gold, the
    dev gold (../shared/eval/dev) and the rule cases (seeded, reproducible; a few minutes on 2 cores)."""
    from kg.training.train import DEFAULT_MODEL_DIR, TrainConfig, train_relations
    from kg.training.train import train as train_model

    say = lambda msg: click.echo(msg, err=True)  # noqa: E731
    try:
        if not relations_only:
            config = TrainConfig() if epochs is None else TrainConfig(epochs=epochs)
            report = train_model(out_dir or DEFAULT_MODEL_DIR, seed=seed, config=config, progress=say)
            click.echo(report.summary())
        click.echo(train_relations(relations_dir, seed=seed, progress=say).summary())
    except KgError as error:
        fail(error)


@main.command()
@click.option("--graph", type=click.Path(dir_okay=False, path_type=Path), default=Path("exports/graph.ttl"),
              show_default=True, help="Exported graph to review.")
@click.option("--min-confidence", type=float, default=0.0, show_default=True, help="Hide less confident ones.")
@click.option("--json", "as_json", is_flag=True, help="Print the candidates as JSON.")
@click.option("--promote", "promote_id", metavar="ID", default=None,
              help="Append candidate ID (first column of the list) to the lexicon as a new row.")
@click.option("--class", "cls", default=None, help="With --promote: the class to record instead of the model's.")
@click.option("--lexicon", "lexicon_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="With --promote: lexicon file (default: ontology/lexicon.tsv).")
@click.option("--dry-run", is_flag=True, help="With --promote: print the row, do not write it.")
def candidates(graph: Path, min_confidence: float, as_json: bool, promote_id: str | None, cls: str | None,
               lexicon_path: Path | None, dry_run: bool) -> None:
    """List entities only the NER model found (class, mentions, documents, confidence, examples) for review."""
    import json

    from kg import candidates as lib

    try:
        if promote_id:
            row = lib.promote(graph, promote_id, lexicon_path=lexicon_path or lib.DEFAULT_LEXICON, cls=cls,
                              write=not dry_run)
            click.echo(row)
            if not dry_run:
                click.echo(f"added to {lexicon_path or lib.DEFAULT_LEXICON}; `kg rebuild` now finds it by rules", err=True)
            return
        found = lib.candidates(graph, min_confidence=min_confidence)
    except KgError as error:
        fail(error)
    click.echo(json.dumps([c.as_dict() for c in found], ensure_ascii=False, indent=1) if as_json else lib.table(found))


@main.command()
@click.argument("entity")
@click.option("--exports", "exports_dir", type=click.Path(path_type=Path), default=Path("exports"),
              show_default=True, help="Directory holding graph.html and entities/.")
@click.option("--open", "open_page", is_flag=True, help="Also open the page in the default browser.")
def view(entity: str, exports_dir: Path, open_page: bool) -> None:
    """Print the path of ENTITY's page (its 2-hop neighbourhood); ENTITY is a name in either script or English, or its slug."""
    from kg.exporters.html import find_entity_page

    try:
        page = find_entity_page(exports_dir, entity)
    except KgError as error:
        fail(error)
    click.echo(page)
    if open_page:
        click.launch(str(page))


@main.command()
@click.argument("a")
@click.argument("b")
@click.option("--graph", type=click.Path(dir_okay=False, path_type=Path), default=Path("exports/graph.ttl"),
              show_default=True, help="The exported graph to search.")
@click.option("--max-hops", type=int, default=4, show_default=True, help="Longest chain of relations to accept.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def path(a: str, b: str, graph: Path, max_hops: int, fmt: str) -> None:
    """How A and B are connected: the shortest chains of relations, each hop with its evidence sentence."""
    from kg.paths import find_paths, format_paths

    try:
        paths = find_paths(graph, a, b, max_hops=max_hops)
    except KgError as error:
        fail(error)
    click.echo(format_paths(paths, a, b, as_json=fmt == "json"), nl=False)


if __name__ == "__main__":  # pragma: no cover
    main()
