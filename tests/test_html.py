"""kg.exporters.html without a browser: files written, determinism, escaping, limits, search table."""
from __future__ import annotations

import inspect
import json
import random
import re
from pathlib import Path

import pytest
import rdflib
from rdflib import Literal
from rdflib.namespace import RDF, RDFS, SKOS

from kg.exporters import html
from kg.exporters.html import export_html
from kg.namespaces import EV, ID, KG

MINI = Path(__file__).parent / "data" / "html" / "mini.ttl"


def mini() -> rdflib.Graph:
    return rdflib.Graph().parse(MINI)


def page_data(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    match = re.search(r'<script type="application/json" id="kg-data">(.*?)</script>', text, re.S)
    assert match, "no embedded data"
    return json.loads(match.group(1))


def star(n_leaves: int, second_hop: int = 0) -> rdflib.Graph:
    """A hub with n_leaves neighbours, each with `second_hop` further neighbours of its own."""
    g = rdflib.Graph()

    def entity(name: str, cls) -> rdflib.URIRef:
        g.add((ID[name], RDF.type, cls))
        g.add((ID[name], RDFS.label, Literal(name, lang="en")))
        return ID[name]

    hub = entity("Hub", KG.Company)
    for i in range(n_leaves):
        leaf = entity(f"Chip{i:03d}", KG.Chip)
        g.add((hub, KG.develops, leaf))
        for j in range(second_hop):
            g.add((leaf, KG.targetsMarket, entity(f"Market{i:03d}_{j}", KG.Market)))
    return g


def test_export_html_signature_matches_pipeline_contract():
    sig = inspect.signature(export_html)
    assert list(sig.parameters)[:2] == ["graph", "out_dir"]
    assert sig.parameters["max_overview_nodes"].kind is inspect.Parameter.KEYWORD_ONLY
    assert sig.parameters["max_overview_nodes"].default == html.DEFAULT_MAX_OVERVIEW_NODES


def test_export_html_writes_overview_and_one_page_per_entity(tmp_path):
    written = export_html(mini(), tmp_path)
    assert written[0] == tmp_path / "graph.html"
    pages = sorted(p.name for p in (tmp_path / "entities").glob("*.html"))
    assert pages == sorted(f"{s}.html" for s in ["H100", "Inference", "MIIT", "MUSA", "MXN100", "Mellanox",
                                                  "MetaX", "MooreThreads", "NVIDIA", "TSMC", "Xian",
                                                  "node-4nm", "node-7nm"])
    assert set(written) == {tmp_path / "graph.html", tmp_path / "entities" / "vis-network.min.js",
                            tmp_path / "entities" / "kg-view.js", *((tmp_path / "entities" / p) for p in pages)}
    assert all(p.exists() for p in written)


def test_export_html_is_byte_identical_for_shuffled_input(tmp_path):
    triples = list(mini())
    outputs = []
    for seed in (1, 2):
        random.Random(seed).shuffle(triples)
        graph = rdflib.Graph()
        for t in triples:
            graph.add(t)
        out = tmp_path / str(seed)
        export_html(graph, out)
        outputs.append({p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()})
    assert outputs[0] == outputs[1]


def test_pages_are_self_contained_and_offline(tmp_path):
    export_html(mini(), tmp_path)
    overview = (tmp_path / "graph.html").read_text(encoding="utf-8")
    assert "vis.Network" in overview and "Almende" in overview          # inlined, licence header kept
    for path in [tmp_path / "graph.html", *(tmp_path / "entities").glob("*.html")]:
        text = path.read_text(encoding="utf-8")
        assert "default-src 'none'" in text
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text), path
        assert "bootstrap" not in text.lower()
        for src in re.findall(r'<script src="([^"]+)"', text):
            assert (path.parent / src).exists()


def test_overview_embeds_labels_classes_and_evidence(tmp_path):
    export_html(mini(), tmp_path)
    data = page_data(tmp_path / "graph.html")
    by_id = {e["id"]: e for e in data["entities"]}
    assert by_id["NVIDIA"]["l"] == ["英偉達", "英伟达", "NVIDIA"]
    assert by_id["NVIDIA"]["a"] == ["輝達", "辉达"]
    assert data["classes"][by_id["NVIDIA"]["c"]][0] == "Company"
    assert by_id["NVIDIA"]["d"] == 3
    assert by_id["node-7nm"]["at"][0][:2] == ["nanometers", "7"]
    index = [e["id"] for e in data["entities"]]
    preds = [p[0] for p in data["predicates"]]
    edges = {(index[s], preds[p], index[o]): ev for s, p, o, ev in data["edges"]}
    assert len(edges) == 9
    ev = edges[("MXN100", "usesProcessNode", "node-7nm")]
    assert len(ev) == 2                                          # one record per sentence
    sentence, doc = data["sentences"][ev[0]]
    assert "MXN100採用7納米製程" in sentence
    assert data["docs"][doc] == ["000_01e9f8b696474cfd.txt", "國產算力GPGPU的挑戰與機遇", "2025-08-12"]
    assert data["note"] == "" and all("x" in e for e in data["entities"])


def test_t2s_table_maps_traditional_characters_in_labels():
    table = html._t2s_table(html._read(mini()))
    assert table["偉"] == "伟" and table["達"] == "达" and table["臺"] == "台"
    norm = "".join(table.get(c, c) for c in "英偉達")
    assert norm == "英伟达"


def test_t2s_table_covers_traditional_form_of_simplified_only_labels():
    g = rdflib.Graph()
    g.add((ID.X, RDF.type, KG.Company))
    g.add((ID.X, RDFS.label, Literal("英伟达", lang="zh-Hans")))
    table = html._t2s_table(html._read(g))
    assert table.get("偉") == "伟" and table.get("達") == "达"


EVIL = '</script><script>window.__pwned=1</script><img src=x onerror="alert(1)">\u2028\u2029<!--'


def test_article_text_cannot_close_the_script_element(tmp_path):
    g = mini()
    g.add((ID.NVIDIA, SKOS.altLabel, Literal(EVIL)))
    for ev in g.subjects(RDF.type, KG.Evidence):
        g.set((ev, KG.sentence, Literal("句子" + EVIL)))
    export_html(g, tmp_path / "evil")
    export_html(mini(), tmp_path / "clean")
    for name in ["graph.html", "entities/NVIDIA.html"]:
        path = tmp_path / "evil" / name
        text = path.read_text(encoding="utf-8")
        clean = (tmp_path / "clean" / name).read_text(encoding="utf-8")
        assert "<script>window.__pwned" not in text and "<img" not in text and "<!--" not in text
        assert "\u2028" not in text and "\u2029" not in text
        for tag in ("<script", "</script", "<img"):
            assert text.lower().count(tag) == clean.lower().count(tag)
        data = page_data(path)                                   # and the data still round-trips
        assert EVIL in {a for e in data["entities"] for a in e.get("a", [])}
        assert all(s.endswith(EVIL) for s, _doc in data["sentences"])


def test_overview_limit_keeps_best_connected_with_note(tmp_path):
    export_html(star(12, second_hop=1), tmp_path, max_overview_nodes=5)
    data = page_data(tmp_path / "graph.html")
    drawn = [e["id"] for e in data["entities"] if "x" in e]
    assert len(drawn) == 5 and "Hub" in drawn
    assert len(data["entities"]) == 25                          # every entity stays searchable
    assert "5" in data["note"] and "25" in data["note"]
    assert (tmp_path / "entities" / "Market011_0.html").exists()


def test_entity_page_has_all_neighbours_and_capped_second_hop(tmp_path, monkeypatch):
    monkeypatch.setattr(html, "ENTITY_PAGE_MAX_NODES", 30)
    export_html(star(20, second_hop=3), tmp_path)
    hub = page_data(tmp_path / "entities" / "Hub.html")
    assert hub["focus"] == "Hub"
    assert len(hub["entities"]) == 30                           # hub + 20 chips + 9 markets
    assert {e["id"] for e in hub["entities"]} >= {f"Chip{i:03d}" for i in range(20)}
    assert "51" in hub["note"]
    leaf = page_data(tmp_path / "entities" / "Market000_0.html")
    assert {e["id"] for e in leaf["entities"]} == {"Market000_0", "Chip000", "Hub", "Market000_1", "Market000_2"}
    assert leaf["note"] == ""


def test_slugs_are_local_names_and_distinct(tmp_path):
    g = rdflib.Graph()
    for iri in ["https://w3id.org/cngpu-kg/id/Moore Threads", "https://w3id.org/cngpu-kg/id/Moore_Threads",
                "https://w3id.org/cngpu-kg/id/node-7nm", "https://example.org/x#摩爾線程"]:
        g.add((rdflib.URIRef(iri), RDF.type, KG.Company))
    export_html(g, tmp_path)
    names = sorted(p.stem for p in (tmp_path / "entities").glob("*.html"))
    assert names == sorted(["Moore_Threads", "Moore_Threads-2", "node-7nm", "摩爾線程"])


def test_empty_graph_still_writes_an_overview(tmp_path):
    written = export_html(rdflib.Graph(), tmp_path)
    assert written[0].exists() and page_data(written[0])["entities"] == []


def test_documents_and_evidence_are_not_entities(tmp_path):
    export_html(mini(), tmp_path)
    ids = {e["id"] for e in page_data(tmp_path / "graph.html")["entities"]}
    assert not any(i.startswith("000_") or i.startswith("00000") for i in ids)
    assert str(EV) not in (tmp_path / "graph.html").read_text(encoding="utf-8")


def test_spring_layout_is_deterministic_and_spread():
    edges = [(i, (i * 7 + 3) % 60) for i in range(60)]
    a, b = html._spring_layout(60, edges), html._spring_layout(60, edges)
    assert a == b
    assert len(set(a)) == 60


def test_find_entity_page_by_any_label_or_slug(tmp_path):
    export_html(mini(), tmp_path)
    page = tmp_path / "entities" / "NVIDIA.html"
    for name in ["英偉達", "英伟达", "輝達", "nvidia", "NVIDIA"]:
        assert html.find_entity_page(tmp_path, name) == page
    assert html.find_entity_page(tmp_path, "node-7nm") == tmp_path / "entities" / "node-7nm.html"


def test_find_entity_page_explains_misses(tmp_path):
    from kg.errors import InputError

    with pytest.raises(InputError, match="kg rebuild"):
        html.find_entity_page(tmp_path, "英偉達")
    export_html(mini(), tmp_path)
    with pytest.raises(InputError, match="no entity"):
        html.find_entity_page(tmp_path, "zzz")
    with pytest.raises(InputError, match="matches 2 entities"):
        html.find_entity_page(tmp_path, "nm")


def test_cli_view_prints_the_entity_page(tmp_path):
    from click.testing import CliRunner

    from kg.cli import main

    export_html(mini(), tmp_path)
    result = CliRunner().invoke(main, ["view", "英偉達", "--exports", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(tmp_path / "entities" / "NVIDIA.html")
    result = CliRunner().invoke(main, ["view", "zzz", "--exports", str(tmp_path)])
    assert result.exit_code == 2


def test_long_names_give_file_names_within_255_bytes():
    """An 80-character CJK name once crashed the build (File name too long): slugs are cut by bytes."""
    from kg.exporters.html import MAX_SLUG_BYTES, _slugify

    a, b = _slugify("星河" + "算" * 80 + "科技"), _slugify("星河" + "算" * 80 + "晶片")
    assert len(f"{a}-99.html".encode("utf-8")) <= 255 and len(a.encode("utf-8")) <= MAX_SLUG_BYTES
    assert a != b
    assert _slugify("MooreThreads") == "MooreThreads"


# -- vocabulary labels come from ontology/kg.ttl, not from a copy in Python ------------------------


def _kg_ttl_labels() -> dict[str, str]:
    from kg.ontology import DEFAULT_DIR, TBOX_FILE

    tbox = rdflib.Graph().parse(DEFAULT_DIR / TBOX_FILE)
    return {str(s)[len(str(KG)):]: str(o) for s, o in tbox.subject_objects(RDFS.label)
            if str(s).startswith(str(KG)) and isinstance(o, Literal) and (o.language or "").lower() == "zh-hant"}


def test_legend_labels_are_kg_ttl_labels(tmp_path):
    labels = _kg_ttl_labels()
    export_html(mini(), tmp_path)
    data = page_data(tmp_path / "graph.html")
    assert data["classes"] and all(label == labels[cls] for cls, label, _colour, _shape in data["classes"])
    assert data["predicates"] and all(label == labels[p] for p, label, _colour in data["predicates"])
    source = inspect.getsource(html)
    for text in ("晶片", "製程節點", "性能相當於", "隸屬於", "基於"):      # no label typed into the exporter
        assert text not in source


def test_based_on_and_subsidiary_of_in_the_legend(tmp_path):
    g = mini()
    g.add((ID.MUSA, RDF.type, KG.Architecture))
    g.add((ID.MXN100, KG.basedOn, ID.MUSA))
    g.add((ID.Mellanox, KG.subsidiaryOf, ID.NVIDIA))
    export_html(g, tmp_path)
    data = page_data(tmp_path / "graph.html")
    legend = {p: (label, colour) for p, label, colour in data["predicates"]}
    assert legend["basedOn"][0] == "基於" and legend["subsidiaryOf"][0] == "隸屬於"
    assert len({colour for _label, colour in legend.values()}) == len(legend)   # each relation its own colour


# -- vis-network is read from the installed pyvis package -------------------------------------------


def test_vis_network_comes_from_pyvis_with_its_licence(tmp_path):
    code, where = html.vis_network_source()
    assert "site-packages" in where or "pyvis" in where
    assert where.endswith("vis-network.min.js") and "vis-9.1.2" in where     # the newest pyvis ships
    export_html(mini(), tmp_path)
    copied = (tmp_path / "entities" / "vis-network.min.js").read_text(encoding="utf-8")
    overview = (tmp_path / "graph.html").read_text(encoding="utf-8")
    for text in (copied, overview):
        assert code in text                                                 # unmodified
        assert "MIT License" in text and "Permission is hereby granted" in text
        assert "read at export time from the installed pyvis package" in text
    assert copied.startswith("/*! vis-network 9.1.2")
    assert not (Path(html.__file__).parents[1] / "assets" / "vis-network.min.js").exists()


def test_missing_pyvis_is_a_config_error(monkeypatch, tmp_path):
    from kg.errors import ConfigError

    real = html.importlib.util.find_spec

    def find_spec(name, *args):
        return None if name == "pyvis" else real(name, *args)

    monkeypatch.setattr(html.importlib.util, "find_spec", find_spec)
    with pytest.raises(ConfigError, match="pip install"):
        export_html(mini(), tmp_path)


# -- timeline data: every document's date (or none) reaches the page --------------------------------


def test_documents_without_a_date_reach_the_page_as_undated(tmp_path):
    export_html(mini(), tmp_path)
    docs = {d[0]: d[2] for d in page_data(tmp_path / "graph.html")["docs"]}
    assert docs == {"000_01e9f8b696474cfd.txt": "2025-08-12", "001_9a1a79ad6dcf0176.txt": ""}
    script = (Path(html.__file__).parents[1] / "assets" / "kg-view.js").read_text(encoding="utf-8")
    assert "innerHTML" not in script.replace("never innerHTML", "")
