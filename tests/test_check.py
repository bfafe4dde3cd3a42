"""The ontology-check stage (kg/check.py) on its own: claims checked against domain and range, the facts a
mention alone establishes, and SHACL validation in a thread."""
from __future__ import annotations

import pytest

from kg.check import check_claim, mention_fact, mention_facts, start_validation
from kg.ingest.documents import split_sentences
from kg.mentions.lexicon import Lexicon
from kg.model import Article, ArticleView, Claim, Mention, OffsetMap, Sentence
from kg.namespaces import ID_NS, KG_NS, RDF_TYPE
from kg.normalize import Normalizer
from kg.ontology import Ontology
from kg.report import BuildReport
from kg.resolve import Resolver


@pytest.fixture(scope="module")
def ontology():
    return Ontology.load()


@pytest.fixture(scope="module")
def lexicon():
    return Lexicon.load()


def _resolver(lexicon):
    return Resolver(lexicon, Normalizer())


def _article(text: str) -> Article:
    return Article("x.txt", 0, None, text, OffsetMap(), True, 1.0)


def test_domain_range_violations_are_rejected_and_reported(ontology, lexicon):
    text = "英偉達收購H100。"
    article = _article(text)
    sentence = Sentence(article, 0, len(text), text)
    buyer = Mention(0, 3, "英偉達", "Company", "Nvidia", "lexicon")
    chip = Mention(5, 9, "H100", "Chip", "H100", "lexicon")
    report = BuildReport()
    fact = check_claim(ontology, Claim(buyer, "acquired", chip, sentence, "rule:test", 0.9), _resolver(lexicon), report)
    assert fact is None
    assert "acquired" in report.rejected[0].reason and "Chip" in report.rejected[0].reason
    assert "## Rejected claims (1)" in report.markdown() and "英偉達收購H100" in report.markdown()


def test_a_claim_that_fits_becomes_a_fact_with_its_evidence(ontology, lexicon):
    text = "前言。英偉達開發H100。"
    article = Article("x.txt", 0, None, text, OffsetMap.identity(100), True, 1.0)
    sentence = Sentence(article, 3, len(text), text[3:])
    maker = Mention(3, 6, "英偉達", "Company", "Nvidia", "lexicon")
    chip = Mention(8, 12, "H100", "Chip", "H100", "lexicon")
    report = BuildReport()
    fact = check_claim(ontology, Claim(maker, "develops", chip, sentence, "rule:test", 0.9), _resolver(lexicon), report)
    assert not report.rejected
    assert (fact.subject, fact.predicate, fact.obj) == ("Nvidia", "develops", "H100")
    assert (fact.start, fact.end, fact.sentence, fact.extractor, fact.confidence) == (103, 103 + len(text) - 3,
                                                                                        "英偉達開發H100。", "rule:test", 0.9)


def test_figures_are_checked_against_the_domain_only(ontology, lexicon):
    text = "H100的FP32性能為67 TFLOPS。"
    article = _article(text)
    sentence = Sentence(article, 0, len(text), text)
    chip = Mention(0, 4, "H100", "Chip", "H100", "lexicon")
    fact = check_claim(ontology, Claim(chip, "fp32Tflops", 67.0, sentence, "rule:figure", 1.0), _resolver(lexicon),
                       BuildReport())
    assert fact is not None and fact.obj == 67.0 and fact.is_figure


def test_mention_facts_give_model_classes_and_node_sizes(lexicon):
    text = "星河芯片發布。它採用7納米工藝和N+3工藝。"
    article = _article(text)
    view = ArticleView(article, text, split_sentences(article))
    model = Mention(0, 4, "星河芯片", "Chip", None, "model:ner-test", 0.8)
    node = Mention(text.index("7納米"), text.index("7納米") + 3, "7納米", "ProcessNode", None, "pattern:node",
                   value=7.0)
    named = Mention(text.index("N+3"), text.index("N+3") + 3, "N+3", "ProcessNode", None, "pattern:named-node")
    rule = Mention(0, 2, "星河", "Company", None, "lexicon")
    resolver = _resolver(lexicon)
    facts = list(mention_facts(view, [model, node, named, rule], resolver))
    assert [(f.predicate, f.obj, f.extractor) for f in facts] == [("type", "Chip", "model:ner-test"),
                                                                  ("nanometers", 7.0, "pattern:node")]
    assert facts[0].confidence == 0.8 and facts[0].sentence == "星河芯片發布。"
    assert len(resolver.entities) == 4   # every mention became an entity, with evidence or not
    # a mention outside every sentence gives nothing
    entity = resolver.resolve(model, "x.txt")
    assert mention_fact(entity, Mention(999, 1000, "x", "Chip", None, "model:t"), article, view.sentences,
                        [s.start for s in view.sentences]) is None


def test_validation_runs_in_a_thread_and_reports_the_verdict(ontology):
    report = BuildReport()
    validation = start_validation(ontology, f"<{ID_NS}X> <{RDF_TYPE}> <{KG_NS}Company> .\n", report)
    validation.finish()
    assert report.shacl == "DOES NOT CONFORM" and not report.shacl_ok and "label" in report.shacl_text
    assert report.exit_code == 1 and "shacl" in report.timings
    report = BuildReport()
    start_validation(ontology, "", report).finish()
    assert report.shacl == "conforms" and report.shacl_ok


def test_validation_can_be_skipped(ontology):
    report = BuildReport()
    assert start_validation(ontology, "", report, enabled=False) is None
    assert report.shacl == "skipped (--no-validate)" and report.shacl_ok
