"""The NER junk filter (kg.mentions.ner.clean_spans) on sources, glossed English names, letter-spaced text, cut codes and glued kind words."""
from __future__ import annotations

import pytest

from kg.mentions.ner import clean_spans

TEXT = ("中央社台北14日電，快科技7月27日消息，路透社報道稱英偉達將推出新品。"
        "美國商務部長雷蒙多(Gina Raimondo)表示將收緊管制，城堡證券(Citadel Securities)也參與了論壇。"
        "據介紹，興 趣與壁仞科技的BR100均已發布，寒武紀發布思元590。")


def reason(name: str, label: str = "Company") -> str | None:
    i = TEXT.index(name)
    (got,) = clean_spans(TEXT, [(i, i + len(name), label, 0.9)])
    return got[4]


@pytest.mark.parametrize("name", ["中央社", "快科技", "路透社"])
def test_news_outlets_and_cited_sources_are_not_entities(name):
    assert reason(name) == "source"


def test_an_english_gloss_of_a_chinese_personal_name_is_a_person():
    assert reason("Gina Raimondo") == "person"
    assert reason("Citadel Securities") is None        # a company's English name in the same shape stays


def test_letter_spaced_text_is_a_fragment():
    assert reason("興 趣") == "fragment"


@pytest.mark.parametrize("name,label", [("壁仞科技", "Company"), ("BR100", "Chip"), ("思元590", "Chip"),
                                        ("寒武紀", "Company")])
def test_real_names_beside_them_are_kept(name, label):
    assert reason(name, label) is None


CODES = ("兆芯5000系列與兆芯 3 KX-7000同台，麒麟(Kirin)9006C和英特爾(Intel)處理器，DeepSeek-R1模型；"
         "騰訊 AI 推理使用輝達H800GPU，平頭哥算力平台與飛騰CPU，摩爾線程MTT S4000，Atlas 900 A3。")


def code_reason(name: str, label: str = "Chip") -> str | None:
    i = CODES.index(name)
    (got,) = clean_spans(CODES, [(i, i + len(name), label, 0.9)])
    return got[4]


@pytest.mark.parametrize("name,label", [("兆芯5", "Chip"), ("兆芯 3", "Chip"), ("pSeek-R1", "SoftwarePlatform"),
                                        ("Kirin)9006C", "Chip"), ("英特爾(Intel", "Company"),
                                        ("騰訊 AI", "Company"), ("平頭哥算力", "Company"), ("飛騰CPU", "Company")])
def test_spans_cutting_a_code_a_bracket_or_glued_to_a_kind_word_are_fragments(name, label):
    assert code_reason(name, label) == "fragment"


@pytest.mark.parametrize("name,label", [("H800", "Chip"), ("MTT S4000", "Chip"), ("Atlas 900 A3", "System"),
                                        ("DeepSeek-R1", "SoftwarePlatform"), ("麒麟(Kirin)9006C", "Chip"),
                                        ("飛騰CPU", "Chip"), ("摩爾線程", "Company")])
def test_whole_codes_and_names_are_kept(name, label):
    assert code_reason(name, label) is None


def test_quantified_phrases_are_fragments():
    text = "多家雲計算廠商和數家華為供應商進入AI訓練和推理市場，華為發布新品。"

    def why(name, label):
        i = text.index(name)
        return clean_spans(text, [(i, i + len(name), label, 0.9)])[0][4]
    assert why("多家雲計算", "Market") == why("數家華為", "Company") == "fragment"
    assert why("AI訓練和推理", "Market") is None          # a gold market name joined by 和 stays
