"""The import graph of ``kg`` has no cycles, counting imports inside functions too (a deferred import that
closes a cycle still ties two modules together: ``kg.mentions.ner`` -> ``kg.training.train`` -> ``kg.mentions.ner``
was one), and the foundation modules import no stage.

Edges into the package ``kg`` itself are not counted: ``kg/__init__.py`` only re-exports, lazily.
"""
from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

KG_DIR = Path(__file__).resolve().parents[1] / "kg"

#: cycles that are known and owned elsewhere, as sorted module tuples -> what removes them
KNOWN_CYCLES = {
    ("kg.claims.rules.patterns", "kg.claims.rules.table"):
        "kg/claims/rules/table.py imports check_patterns from kg.claims.rules.patterns inside check_rules (rules owners)",
}
#: modules every stage may use; they must not import a stage (only each other and kg.vocabulary's loader)
FOUNDATION = {"kg.errors", "kg.namespaces", "kg.normalize", "kg.model", "kg.io", "kg.vocabulary", "kg.ontology",
              "kg.resources"}


def _modules() -> dict[str, Path]:
    out = {}
    for path in KG_DIR.rglob("*.py"):
        parts = ["kg", *path.relative_to(KG_DIR).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def import_graph() -> nx.DiGraph:
    modules = _modules()
    graph = nx.DiGraph()

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    for module, path in modules.items():
        graph.add_node(module)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[:len(package.split(".")) - node.level + 1]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                targets = [f"{source}.{a.name}" if f"{source}.{a.name}" in modules else source for a in node.names]
            for target in targets:
                found = resolve(target)
                if found and found != module and found != "kg":
                    graph.add_edge(module, found)
    return graph


def test_import_graph_has_no_cycles():
    cycles = {tuple(sorted(c)) for c in nx.simple_cycles(import_graph())}
    unknown = sorted(cycles - KNOWN_CYCLES.keys())
    assert not unknown, "import cycles in kg: " + "; ".join(" <-> ".join(c) for c in unknown)


def test_known_cycles_are_still_there():
    cycles = {tuple(sorted(c)) for c in nx.simple_cycles(import_graph())}
    gone = sorted(KNOWN_CYCLES.keys() - cycles)
    assert not gone, f"no longer cycles, remove them from KNOWN_CYCLES: {gone}"


def test_foundation_modules_import_no_stage():
    graph = import_graph()
    for module in sorted(FOUNDATION):
        stages = sorted(set(graph.successors(module)) - FOUNDATION)
        assert not stages, f"{module} imports {stages}"


#: the build's stages in pipeline order (kg/pipeline.py wires them): a module imports only the foundation,
#: modules of its own stage and of earlier ones, and the build records of kg.report
STAGES = (
    ("ingest", ("kg.ingest",)),
    ("mentions", ("kg.mentions",)),
    ("claims", ("kg.claims",)),
    ("resolution", ("kg.resolve",)),
    ("ontology check", ("kg.check",)),
    ("graph", ("kg.graph",)),
    ("exports", ("kg.exporters",)),
)
#: what the stages share besides the foundation
SHARED = {"kg.report"}


def _stage_of(module: str) -> int | None:
    for index, (_, prefixes) in enumerate(STAGES):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return index
    return None


def test_stages_import_only_earlier_stages():
    graph = import_graph()
    wrong = []
    for module in sorted(graph):
        stage = _stage_of(module)
        if stage is None:
            continue
        for target in sorted(graph.successors(module)):
            if target in FOUNDATION or target in SHARED:
                continue
            other = _stage_of(target)
            if other is None or other > stage:
                what = "a later stage" if other is not None else "no stage (the wiring, a command or training)"
                wrong.append(f"{module} ({STAGES[stage][0]}) imports {target}: {what}")
    assert not wrong, "\n".join(wrong)


def test_every_stage_package_exists_and_says_what_it_does():
    import importlib

    for name, prefixes in STAGES:
        for prefix in prefixes:
            module = importlib.import_module(prefix)
            assert module.__doc__ and module.__doc__.strip(), f"{prefix} ({name}) has no docstring"
    for package in ("kg.ingest", "kg.mentions", "kg.claims", "kg.graph", "kg.exporters", "kg.training"):
        assert (KG_DIR.joinpath(*package.split(".")[1:]) / "__init__.py").is_file(), package


def test_shared_modules_import_only_the_foundation():
    graph = import_graph()
    for module in sorted(SHARED):
        assert set(graph.successors(module)) <= FOUNDATION, module


def test_the_build_never_imports_training():
    graph = import_graph()
    training = {m for m in graph if m.startswith("kg.training")}
    for module in ["kg.pipeline", *(m for m in graph if _stage_of(m) is not None)]:
        reached = nx.descendants(graph, module)
        assert not reached & training, f"{module} reaches {sorted(reached & training)}"


def test_ner_and_train_are_not_a_cycle():
    graph = import_graph()
    assert graph.has_edge("kg.training.train", "kg.mentions.ner")
    assert not nx.has_path(graph, "kg.mentions.ner", "kg.training.train")


#: (importing module, private name) -> the public name to switch to
KNOWN_PRIVATE_IMPORTS = {("kg.serve", "_keywords"): "kg.query.keywords (kg/serve.py is edited elsewhere)"}


def test_no_module_imports_a_private_name_of_another():
    """A name with a leading underscore is the module's own; another module that needs it needs a public name."""
    found = []
    for module, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("kg")):
                found += [f"{module}: from {'.' * node.level}{node.module or ''} import {a.name}"
                          for a in node.names if a.name.startswith("_") and not a.name.startswith("__")
                          and (module, a.name) not in KNOWN_PRIVATE_IMPORTS]
    assert not found, "\n".join(found)
