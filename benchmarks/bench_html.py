"""Benchmark of the HTML exporter (kg/exporters/html.py) on synthetic graphs shaped like the seed graph.

    .venv/bin/python benchmarks/bench_html.py                  # generation 1k/10k + usability sweep
    .venv/bin/python benchmarks/bench_html.py --generation     # generation only (no browser)
    .venv/bin/python benchmarks/bench_html.py --usability 500 1000 2000

Generation: wall time of `export_html` (overview + one page per entity) and the bytes written.

Usability: for each size N the overview is written with every node drawn (max_overview_nodes=N) and
opened from file:// in headless Debian Chromium (--disable-gpu, so the canvas is drawn in software),
driven over the DevTools protocol by the client in tests/test_html_browser.py. Measured per N:
  load   navigation start -> first complete frame (`kgView.ready`), includes parsing the inlined JSON/JS;
  frame  median time of a full synchronous redraw (`network.redraw()`, 9 runs after 1 warm-up) at the
         zoom-to-fit scale and at scale 1 (labels drawn), i.e. the cost of one frame while panning/zooming.
The overview counts as usable while load <= 3000 ms and the slower frame <= 100 ms (10 frames/s).
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import rdflib
from rdflib import Literal
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kg.exporters import html  # noqa: E402
from kg.exporters.html import export_html  # noqa: E402
from kg.namespaces import DOC, EV, ID, KG  # noqa: E402

CLASSES = [("Company", 30), ("Chip", 20), ("Technology", 10), ("Market", 10), ("SoftwarePlatform", 6),
           ("System", 5), ("Policy", 5), ("Place", 5), ("ProcessNode", 3), ("GovernmentAgency", 3),
           ("ResearchInstitution", 2), ("Architecture", 1)]
PREDICATES = ["develops", "usesProcessNode", "manufacturedBy", "targetsMarket", "usesTechnology",
              "compatibleWith", "comparableTo", "partnerOf", "investsIn", "locatedIn"]
HANT = "國產圖形處理器算力芯片製程架構晶體管顯存帶寬訓練推理雲計算數據中心產業鏈競爭發展優勢"
HANS = "国产图形处理器算力芯片制程架构晶体管显存带宽训练推理云计算数据中心产业链竞争发展优势"


def synthetic_graph(n: int, *, seed: int = 7, edges_per_node: int = 2) -> rdflib.Graph:
    """n entities with labels in three scripts, a preferential-attachment relation graph (about
    edges_per_node * n relations, hubs like the seeds' NVIDIA), one evidence sentence per relation."""
    rng = random.Random(seed)
    graph = rdflib.Graph()
    docs = [DOC[f"{i:03d}_{rng.getrandbits(64):016x}"] for i in range(max(5, n // 50))]
    for i, d in enumerate(docs):
        graph.add((d, RDF.type, KG.Document))
        graph.add((d, KG.fileName, Literal(f"{str(d).rsplit('/', 1)[1]}.txt")))
        graph.add((d, DCTERMS.title, Literal(f"中美GPU行業發展路徑比較（{i}）")))
        graph.add((d, DCTERMS.date, Literal(f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}", datatype=XSD.date)))
    names, weights = zip(*CLASSES)
    targets: list[int] = []
    for i in range(n):
        e = ID[f"E{i:05d}"]
        k = [rng.randrange(len(HANT)) for _ in range(rng.randint(2, 5))]
        graph.add((e, RDF.type, KG[rng.choices(names, weights)[0]]))
        graph.add((e, RDFS.label, Literal("".join(HANT[j] for j in k) + str(i), lang="zh-Hant")))
        graph.add((e, RDFS.label, Literal("".join(HANS[j] for j in k) + str(i), lang="zh-Hans")))
        graph.add((e, RDFS.label, Literal(f"Entity {i}", lang="en")))
        graph.add((e, SKOS.altLabel, Literal(f"E-{i}")))
        if i:
            for j in {rng.choice(targets) if targets and rng.random() < 0.8 else rng.randrange(i)
                      for _ in range(min(i, edges_per_node))}:
                p = KG[rng.choice(PREDICATES)]
                s, o = (e, ID[f"E{j:05d}"]) if rng.random() < 0.5 else (ID[f"E{j:05d}"], e)
                graph.add((s, p, o))
                ev = EV[f"{rng.getrandbits(64):016x}"]
                words = "".join(rng.choice(HANT) for _ in range(rng.randint(25, 70)))
                for triple in ((ev, RDF.type, KG.Evidence), (ev, RDF.subject, s), (ev, RDF.predicate, p),
                               (ev, RDF.object, o), (ev, KG.document, rng.choice(docs)),
                               (ev, KG.sentence, Literal(words + "。"))):
                    graph.add(triple)
                targets += [i, j]
    return graph


def dir_size(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def generation(sizes: list[int]) -> None:
    print("| entities | relations | export_html | graph.html | entity pages (files, total, mean) |")
    print("|---:|---:|---:|---:|---|")
    for n in sizes:
        graph = synthetic_graph(n)
        relations = sum(1 for _ in graph.subjects(RDF.type, KG.Evidence))
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            export_html(graph, Path(tmp))
            seconds = time.perf_counter() - start
            overview = (Path(tmp) / "graph.html").stat().st_size
            files, total = dir_size(Path(tmp) / "entities")
            pages = files - 2
            js = sum((Path(tmp) / "entities" / name).stat().st_size for name in (html.VIS_JS, html.APP_JS))
            print(f"| {n} | {relations} | {seconds:.1f} s | {overview / 1e6:.2f} MB | {pages} pages, "
                  f"{total / 1e6:.1f} MB ({(total - js) / max(1, pages) / 1e3:.1f} kB each + one shared "
                  f"{js / 1e3:.0f} kB of scripts) |", flush=True)


def usability(sizes: list[int]) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from test_html_browser import Chromium, chromium_binary

    binary = chromium_binary()
    if binary is None:
        sys.exit("chromium is not installed (make browser)")
    print(f"load average before the sweep: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print("| drawn nodes | relations | html | load (ms) | frame at fit (ms) | frame at scale 1 (ms) | usable |")
    print("|---:|---:|---:|---:|---:|---:|---|")
    browser = Chromium(binary)
    try:
        for n in sizes:
            graph = synthetic_graph(n)
            relations = sum(1 for _ in graph.subjects(RDF.type, KG.Evidence))
            with tempfile.TemporaryDirectory() as tmp:
                _export_overview_only(graph, Path(tmp), n)
                size = (Path(tmp) / "graph.html").stat().st_size
                page = browser.page((Path(tmp) / "graph.html").as_uri())
                try:
                    page.wait_for("window.kgView && kgView.ready", timeout=120)
                    load = page.js("kgView.readyAt")
                    assert page.js("kgView.network.body.nodeIndices.length") == n
                    frames = []
                    for scale in ("fit", 1.0):
                        page.js("kgView.network.fit({animation: false})" if scale == "fit"
                                else f"kgView.network.moveTo({{scale: {scale}, animation: false}})")
                        frames.append(page.js("""(function () { var net = kgView.network, runs = [];
                            net.redraw();
                            for (var i = 0; i < 9; i++) { var t = performance.now(); net.redraw();
                                                          runs.push(performance.now() - t); }
                            runs.sort(function (a, b) { return a - b; }); return runs[4]; })()"""))
                finally:
                    page.close()
            ok = load <= 3000 and max(frames) <= 100
            print(f"| {n} | {relations} | {size / 1e6:.2f} MB | {load:.0f} | {frames[0]:.0f} | {frames[1]:.0f} | "
                  f"{'yes' if ok else 'no'} |", flush=True)
    finally:
        browser.close()


def _export_overview_only(graph: rdflib.Graph, out: Path, limit: int) -> None:
    """The overview half of export_html (entity pages do not change the overview and dominate the time)."""
    model = html._read(graph)
    context = html._Context.load(model)
    html.write_overview(model, out, limit, context)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generation", nargs="*", type=int, help="graph sizes for the generation table")
    parser.add_argument("--usability", nargs="*", type=int, help="overview sizes for the browser sweep")
    args = parser.parse_args()
    if args.generation is None and args.usability is None:
        args.generation, args.usability = [], []
    if args.generation is not None:
        generation(args.generation or [1000, 10000])
    if args.usability is not None:
        usability(args.usability or [250, 500, 1000, 1500, 2000, 3000, 5000])


if __name__ == "__main__":
    main()
