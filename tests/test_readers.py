"""The input-reader registry (kg/ingest/readers/): one module per format, one row per module; which reader reads a
file is decided by its content, its suffix only says whether it is an input (as before the registry)."""
from __future__ import annotations

import inspect

import pytest

from kg.ingest import readers
from kg.ingest.documents import parse_document, read_document
from kg.pipeline import BuildOptions, build

GPU = ("摩爾線程發布新一代GPU芯片，採用7納米工藝，面向AI訓練和推理市場。"
       "該公司表示，這款顯卡的算力較上一代提升一倍，已適配主流大模型。") * 3

#: one small sample per registered format: (file name, content, the word its analysed text must keep)
SAMPLES = {
    "text": ("sample.txt", f"國產GPU新進展\n\n{GPU}\n", "摩爾線程"),
    "html": ("sample.html", f"<!doctype html><html><head><title>國產GPU</title><style>p{{color:red}}</style>"
                            f"</head><body><h1>國產GPU新進展</h1><p>{GPU}</p><p>&amp;</p></body></html>", "摩爾線程"),
}


def test_every_format_has_a_module_a_sample_and_own_suffixes():
    formats = [r.format for r in readers.REGISTRY]
    assert sorted(formats) == sorted(SAMPLES), "write a sample for every registered reader"
    assert formats[-1] == "text", "plain text accepts everything, so it is the last row"
    suffixes = [s for r in readers.REGISTRY for s in r.suffixes]
    assert len(suffixes) == len(set(suffixes)), "a suffix belongs to one reader"
    assert all(s.startswith(".") and s == s.lower() for s in suffixes)
    assert readers.INPUT_SUFFIXES == set(suffixes) == {".txt", ".text", ".md", ".htm", ".html"}
    assert not readers.INPUT_SUFFIXES & readers.NOT_TEXT_SUFFIXES
    for reader in readers.REGISTRY:
        module = reader.module
        assert module.__name__ == f"kg.ingest.readers.{reader.format}" and inspect.getdoc(module)
        for function in ("detect", "to_text"):
            assert callable(getattr(module, function)) and inspect.getdoc(getattr(module, function)), (module, function)


@pytest.mark.parametrize("fmt", sorted(SAMPLES))
def test_each_reader_reads_its_sample(fmt, tmp_path):
    name, content, word = SAMPLES[fmt]
    reader = readers.reader_for_suffix(name[name.rindex("."):])
    assert reader is not None and reader.format == fmt
    assert readers.reader_for_text(content) is reader          # detected by content as well
    analysed = reader.to_text(content)
    assert len(analysed) == len(content), "a reader never moves an offset"
    assert word in analysed and "<" not in analysed and "color:red" not in analysed
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    document = read_document(path)
    assert document.text == content                            # the document keeps the file's text
    kept = document.kept
    assert kept and word in kept[0].text
    assert kept[0].offsets.to_original(kept[0].text.index(word)) == content.index(word)   # evidence hits the file


def test_detection_is_by_content_not_suffix():
    html_text = SAMPLES["html"][1]
    assert readers.reader_for_text(html_text).format == "html"    # a page saved as .txt is still HTML
    assert readers.reader_for_text("7<8 and 5nm <10% 摩爾線程").format == "text"
    assert parse_document(html_text).kept[0].text == parse_document(html_text, name="page.txt").kept[0].text
    assert readers.reader_for_suffix(".HTML").format == "html"
    assert readers.reader_for_suffix(".note") is None and readers.reader_for_suffix(".pdf") is None


def test_formats_are_named_from_the_registry():
    assert readers.formats_named() == "text and HTML"
    assert readers.formats_named("or") == "text or HTML"


def test_unknown_suffixes_as_before(tmp_path):
    """A registered suffix is read quietly; an unknown one is tried as text with a note; a never-text one is
    skipped unread (tests/test_faults_build.py checks the same through the CLI)."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for name, content, _ in SAMPLES.values():
        (seeds / name).write_text(content, encoding="utf-8")
    (seeds / "wire.note").write_text(GPU, encoding="utf-8")
    (seeds / "scan.pdf").write_bytes(b"%PDF-1.4 binary")
    report = build(seeds, tmp_path / "out", BuildOptions(use_model=False, formats=("turtle",)))
    assert "wire.note: no text or HTML suffix; read as utf-8 text" in report.problems
    assert "scan.pdf: unsupported type .pdf (text and HTML only), not read" in report.problems
    assert not [p for p in report.problems if p.startswith(("sample.txt", "sample.html"))]
    assert {name for name, *_ in report.articles} == {"sample.txt", "sample.html", "wire.note"}
