"""Document context (kg/mentions/context.py): 公司 / 該公司 / 其 / 該芯片 read as the thing the article is about."""
from __future__ import annotations

import pytest

from kg.mentions.context import with_context
from kg.ingest.documents import split_sentences
from kg.mentions.finder import MentionFinder
from kg.mentions.lexicon import Lexicon
from kg.model import Article, Mention, OffsetMap
from kg.normalize import Normalizer
from kg.claims.relations import extract_claims


@pytest.fixture(scope="module")
def tools():
    normalizer = Normalizer()
    return normalizer, MentionFinder(Lexicon.load(), normalizer)


def _claims(text: str, tools) -> set[tuple[str, str, str]]:
    normalizer, finder = tools
    article = Article("ctx.txt", 0, None, text, OffsetMap(), True, 1.0)
    norm = normalizer.normalize(text)
    sentences = split_sentences(article)
    mentions = with_context(norm, sentences, finder.find(text, norm))
    out = set()
    for s in sentences:
        inside = [m for m in mentions if s.start <= m.start and m.end <= s.end]
        for c in extract_claims(s, norm[s.start:s.end], inside):
            if isinstance(c.obj, Mention):
                out.add((c.subject.key or c.subject.text, c.predicate, c.obj.key or c.obj.text))
    return out


def test_bare_company_is_the_subject_named_before(tools):
    text = "摩爾線程今日公布新品計劃。公司推出MTT S4000加速卡，面向數據中心市場。"
    assert ("MooreThreads", "develops", "MTTS4000") in _claims(text, tools)


def test_this_company_in_simplified(tools):
    text = "沐曦股份发布年度报告。该公司的曦云C500已在智算中心落地。"
    assert ("MetaX", "develops", "XiyunC500") in _claims(text, tools)


def test_sentence_opening_its(tools):
    text = "壁仞科技成立于2019年。其产品主要面向数据中心和边缘计算市场。"
    claims = _claims(text, tools)
    assert ("Biren", "targetsMarket", "DataCenter") in claims
    assert ("Biren", "targetsMarket", "EdgeComputing") in claims


def test_an_organisation_named_as_an_object_is_not_the_antecedent(tools):
    # 英偉達 appears only as a former employer and a comparison: 公司 still means 摩爾線程
    text = "摩爾線程創始人曾任英偉達全球副總裁。與英偉達相比，公司推出了MTT S80顯卡。"
    claims = _claims(text, tools)
    assert ("MooreThreads", "develops", "MTTS80") in claims
    assert not any(s == "Nvidia" and o == "MTTS80" for s, _, o in claims)


def test_this_chip_is_the_product_named_before(tools):
    text = "華為發布昇騰910C。該芯片採用7納米工藝。"
    assert ("Ascend910C", "usesProcessNode", "node-7nm") in _claims(text, tools)


def test_no_antecedent_no_claim(tools):
    text = "公司推出新一代加速卡。"
    assert not any(p == "develops" for _, p, _ in _claims(text, tools))


def test_sentence_without_subject_continues_the_previous_one(tools):
    text = "壁仞科技推出BIRENSUPA軟件平台。目前已適配PyTorch等主流框架。"
    assert ("BIRENSUPA", "compatibleWith", "PyTorch") in _claims(text, tools)
    text = "沐曦股份成立於2020年。目前已推出曦雲C500。"
    assert ("MetaX", "develops", "XiyunC500") in _claims(text, tools)


def test_sentence_opening_its_before_its_own_product(tools):
    text = "天數智芯是國內較活躍的GPU設計公司。其BI-V150高性能加速卡採用7納米工藝。"
    assert any(s == "IluvatarCoreX" and p == "develops" for s, p, _ in _claims(text, tools))


def test_its_before_a_described_product_keeps_the_sentence_reading(tools):
    # 其首款GPU產品MXN100: the possessor rule of the sentence reads it; no second owner is guessed
    text = "英偉達發布財報。沐曦成立於2020年，其首款GPU產品MXN100採用7納米製程。"
    owners = {s for s, p, o in _claims(text, tools) if p == "develops"}
    assert "Nvidia" not in owners


def test_feature_list_lines_speak_of_the_article_topic(tools):
    text = ("寒武紀發布思元590。思元590面向數據中心，寒武紀稱其性能領先。"
            "• 架構創新：採用Chiplet技術。• 內存優化：集成HBM3高頻寬記憶體。")
    claims = _claims(text, tools)
    assert ("Cambricon", "usesTechnology", "Chiplet") in claims
    assert ("MLU590", "usesTechnology", "HBM3") in claims


def test_feature_list_line_with_a_develop_verb_speaks_of_the_topic(tools):
    """2)高效訓練：設計了專門的FP8混合精度框架 — what the article's organisation designed, it uses."""
    text = ("寒武紀發布思元590。寒武紀稱其性能領先。"
            "2)高效訓練：設計了專門的Chiplet互聯方案。")
    assert ("Cambricon", "usesTechnology", "Chiplet") in _claims(text, tools)


def test_feature_list_support_lines_guess_no_subject(tools):
    text = "寒武紀發布思元590。思元590面向數據中心。• 精度：支持FP16與BF16混合訓練。"
    assert not any(p == "usesTechnology" and o in ("FP16", "BF16") for _, p, o in _claims(text, tools))


def test_product_anaphor_far_from_its_name_is_the_article_product(tools):
    text = ("壁仞科技發布BR104。業界認為BR104定價合理。發布會選在周末。現場觀眾很多。主持人介紹了公司歷史。"
            "據介紹，這款顯卡的性能已接近英偉達的A100。")
    assert ("BR104", "comparableTo", "A100") in _claims(text, tools)


def test_it_before_a_product_attribute_is_the_product(tools):
    text = "芯動科技發布風華2號。與主流顯卡相比，它的單精度浮點性能已達到GTX1050Ti水平。"
    claims = _claims(text, tools)
    assert ("Fenghua2", "comparableTo", "GTX1050Ti") in claims or \
        ("Fenghua2", "comparableTo", "GeForceGTX1050Ti") in claims, claims
    assert not any(s == "Innosilicon" and p != "develops" for s, p, o in claims)


def test_company_after_an_unknown_company_is_not_a_known_one(tools):
    text = "天使輪由小米領投，壁仞科技跟投。星河算力科技於2022年成立於上海，公司專注於面向人工智能的NPU研發。"
    claims = _claims(text, tools)
    assert not any(p == "targetsMarket" for s, p, o in claims), claims


def test_a_firm_named_after_its_kind_is_the_topic(tools):
    """國產GPU廠商X宣佈，其Y…: a kind-of-firm descriptor before the name keeps it in topic position."""
    claims = _claims("國產AI芯片廠商燧原科技近日宣佈，其邃思2.0芯片已實現量產。", tools)
    assert any(s == "Enflame" and p == "develops" for s, p, _ in claims), claims


def test_cantonese_this_before_a_measure_word_is_an_anaphor(tools):
    """呢款晶片 is 這款晶片 (Hong Kong text); 呢 as a sentence particle is left alone."""
    normalizer, _ = tools
    assert normalizer.normalize("呢款晶片") == normalizer.normalize("這款晶片")
    assert normalizer.normalize("點解呢？") == "点解呢?"
    text = "寒武紀今日發佈思元590。呢款晶片採用7納米工藝，主攻雲端訓練市場。"
    claims = _claims(text, tools)
    assert ("MLU590", "usesProcessNode", "node-7nm") in claims, claims


def test_a_later_develop_sentence_without_subject_continues_the_previous_one(tools):
    """後來又研發出了…: the develop verb after an adverb continues the subject named before."""
    claims = _claims("先說龍芯，最開始是基於MIPS指令集來研發的。後來又研發出了一個真正自主可控的LoongArch指令集。", tools)
    assert ("Loongson", "develops", "LoongArch") in claims, claims
