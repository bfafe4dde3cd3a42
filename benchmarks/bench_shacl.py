"""SHACL validation of our graphs: pyshacl-turbo (what `kg rebuild` runs, kg.ontology.Ontology.validate)
against pySHACL (the reference), on the same data and shapes.

For each graph: both validators' verdict and seconds, and whether their results agree row for row
(kg.ontology.shacl_result_rows). Graphs:
  seeds     a rules-only build of seeds/ (valid);
  planted   the seed graph plus planted violations of each kind the shapes check (domain, range, labels,
            one type, datatypes, evidence fields);
  large     a rules-only build of the >= 10 MB benchmark corpus (benchmarks/bench_rebuild.py makes it), unless
            --skip-large. pySHACL takes minutes there.

usage: python benchmarks/bench_shacl.py [--mb 10] [--skip-large]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_rebuild import OUT, make_large_corpus  # noqa: E402
from kg.ontology import Ontology, shacl_result_rows  # noqa: E402
from kg.pipeline import BuildOptions, build  # noqa: E402

#: one violation of each kind the shapes check (N-Triples, added to the seed graph)
ID, EV, KG = "https://w3id.org/cngpu-kg/id/", "https://w3id.org/cngpu-kg/evidence/", "https://w3id.org/cngpu-kg/ontology#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
PLANTED = "\n".join([
    f"<{ID}MetaX> <{KG}develops> <{ID}Inference> .",                 # range: a Market is no Product
    f"<{ID}Shanghai> <{KG}targetsMarket> <{ID}Inference> .",         # domain: a Place targets nothing
    f"<{ID}Nolabel> <{RDF_TYPE}> <{KG}Chip> .",                      # an entity without a label
    f"<{ID}MetaX> <{RDF_TYPE}> <{KG}Chip> .",                         # two types
    f'<{ID}MetaX> <{KG}nanometers> "7.0"^^<http://www.w3.org/2001/XMLSchema#decimal> .',  # a Company has no node
    f'<{ID}MXN100> <{KG}memoryGB> "64" .',                           # a string, not a decimal
    f'<{EV}planted> <{KG}confidence> "1.5"^^<http://www.w3.org/2001/XMLSchema#decimal> .',  # evidence: out of range
]) + "\n"


def rules_build(seeds: Path, label: str) -> str:
    out = OUT / f"shacl-{label}"
    build(seeds, out, BuildOptions(use_model=False, validate=False, cache=False, formats=("ntriples",)))
    return (out / "graph.nt").read_text(encoding="utf-8")


def compare(label: str, ntriples: str, ontology: Ontology) -> dict:
    import pyshacl
    from rdflib import Graph

    started = time.perf_counter()
    conforms, results, _text = ontology.shacl_report(ntriples)
    turbo_s = time.perf_counter() - started
    data = Graph().parse(data=ntriples, format="nt")
    started = time.perf_counter()
    ref_conforms, ref_results, _ref_text = pyshacl.validate(data, shacl_graph=ontology.shapes, ont_graph=ontology.tbox,
                                                            inference="none", allow_infos=True, allow_warnings=True)
    pyshacl_s = time.perf_counter() - started
    rows, ref_rows = shacl_result_rows(results), shacl_result_rows(ref_results)
    return {"graph": label, "triples": len(data), "pyshacl-turbo s": round(turbo_s, 2), "pySHACL s": round(pyshacl_s, 2),
            "conforms": f"{conforms} / {bool(ref_conforms)}", "results": f"{len(rows)} / {len(ref_rows)}",
            "agree": conforms == bool(ref_conforms) and rows == ref_rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=10)
    parser.add_argument("--skip-large", action="store_true")
    args = parser.parse_args()
    ontology = Ontology.load()
    seed_graph = rules_build(ROOT / "seeds", "seeds")
    rows = [compare("seeds", seed_graph, ontology), compare("planted", seed_graph + PLANTED, ontology)]
    if not args.skip_large:
        rows.append(compare(f"large ({args.mb:g} MB)", rules_build(make_large_corpus(args.mb), "large"), ontology))
    keys = list(rows[0])
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for row in rows:
        print("| " + " | ".join(str(row[k]) for k in keys) + " |")
    return 0 if all(row["agree"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
