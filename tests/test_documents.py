"""The documents stage: decoding, line-break repair, article split, relevance, dates, sentences.

Seed pages come from ``seeds/``; encoded variants are made in ``tmp_path``; the web-page dump is
``tests/data/documents/webpage_gpu.txt`` (see the README there).
"""
from __future__ import annotations

import random
import time
from datetime import date
from pathlib import Path

import pytest

from kg.errors import DecodeError, InputError
from kg.ingest.decode import decode_bytes
from kg.ingest.documents import find_date, parse_document, read_document, split_sentences

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
DATA = Path(__file__).parent / "data" / "documents"

SEED_TITLES = {
    "000": "國產算力GPGPU的挑戰與機遇",
    "001": "中國GPU產業突圍路徑思考",
    "002": "中美GPU行業發展路徑比較(下)",
    "003": "加強GPU發展 提升軍工競爭力",
    "004": "中美算力發展差異化探析(下)",
}

# Phrases of the columns that share the pages and must not leak into the kept GPU article,
# plus the bylines (they name organisations unrelated to GPUs).
SEED_FOREIGN = {
    "000": ["兩融餘額", "新盤", "孖展", "黑雨", "中金公司", "作者為", "責任編輯", "樓語縱橫", "中金點睛", "楊永健"],
    "001": ["零息債券", "施政報告", "蝕讓", "樓市", "作者為", "議事論事", "淵謀遠略", "袁淵", "港股上半年交易數據"],
    "002": ["地產企穩", "私樓重建", "REITs", "馬頭圍邨", "作者為", "全文完", "悉與君知"],
    "003": ["期貨通", "穩定幣", "黃金交易所", "樓市", "作者為", "立法會", "高文宏", "港股通"],
    "004": ["美聯儲", "人民幣國際化", "數字人民幣", "樓市", "作者為", "華發投資", "財富經緯", "利嘉閣"],
}

SIMPLIFIED = (
    "摩尔线程与沐曦股份相继在上海证券交易所科创板挂牌上市，成为国产通用图形处理器企业登陆资本市场的代表。"
    "两家公司均表示，募集资金将主要用于新一代芯片研发和软件生态建设。业内人士指出，人工智能大模型训练带来的"
    "算力需求持续增长，国产产品在数据中心等场景的应用正在扩大。沐曦的产品采用七纳米制程，摩尔线程则推出了面向"
    "边缘计算的新产品。与此同时，壁仞科技已在香港上市，燧原科技仍在排队候场。分析师认为，资本市场的支持有助于"
    "国产芯片企业加大研发投入，缩小与国际厂商的差距。不过，先进制程受限和生态壁垒等问题仍然制约着行业的发展。"
)
TRADITIONAL = (
    "摩爾線程與沐曦股份相繼在上海證券交易所科創板掛牌上市，成為國產通用圖形處理器企業登陸資本市場的代表。"
    "兩家公司均表示，募集資金將主要用於新一代晶片研發和軟體生態建設。業內人士指出，人工智慧大模型訓練帶來的"
    "算力需求持續增長，國產產品在資料中心等場景的應用正在擴大。沐曦的產品採用七奈米製程，摩爾線程則推出了面向"
    "邊緣運算的新產品。與此同時，壁仞科技已在香港上市，燧原科技仍在排隊候場。分析師認為，資本市場的支持有助於"
    "國產晶片企業加大研發投入，縮小與國際廠商的差距。不過，先進製程受限和生態壁壘等問題仍然制約著行業的發展。"
)


def _seed(prefix: str) -> Path:
    return next(SEEDS.glob(f"{prefix}_*.txt"))


@pytest.fixture(scope="module")
def seed_docs():
    return {prefix: read_document(_seed(prefix)) for prefix in SEED_TITLES}


# ------------------------------------------------------------------------------------------
# Decoding


ROUND_TRIPS = [
    # (encoding used to write, text, expected Document.encoding)
    ("utf-8", SIMPLIFIED, "utf-8"),
    ("utf-8", TRADITIONAL, "utf-8"),
    ("utf-8-sig", TRADITIONAL, "utf-8-sig"),
    ("utf-16", SIMPLIFIED, "utf-16-le"),          # Python writes a BOM, little-endian
    ("utf-16-le", SIMPLIFIED, "utf-16-le"),       # no BOM
    ("utf-16-be", TRADITIONAL, "utf-16-be"),      # no BOM
    ("utf-16-le", "國產算力圖形處理器的挑戰與機遇" * 3, "utf-16-le"),   # no BOM, no ASCII, no NUL byte
    ("gb18030", SIMPLIFIED, "gb18030"),
    ("gb18030", TRADITIONAL, "gb18030"),
    ("gbk", SIMPLIFIED, "gb18030"),
    ("gb2312", SIMPLIFIED, "gb18030"),
    ("gb2312", SIMPLIFIED[:60], "gb18030"),
    ("big5", TRADITIONAL, "big5"),
    ("big5", TRADITIONAL[:60], "big5"),
]


@pytest.mark.parametrize(("codec", "text", "expected"), ROUND_TRIPS,
                         ids=[f"{c}-{len(t)}" for c, t, _ in ROUND_TRIPS])
def test_decode_encoding_round_trips(tmp_path, codec, text, expected):
    path = tmp_path / "page.txt"
    path.write_bytes(("\n" + text + "\n").encode(codec))
    doc = read_document(path)
    assert doc.encoding == expected
    assert doc.text == "\n" + text + "\n"


@pytest.mark.parametrize("codec", ["gb18030", "big5", "utf-16", "utf-16-be"])
def test_decode_encoded_seed_page_gives_same_articles(tmp_path, seed_docs, codec):
    original = _seed("001").read_text(encoding="utf-8")
    if codec == "big5":                                    # 着 and the Simplified 术 are not in Big5
        text = original.replace("着", "著").replace("术", "術")
    else:
        text = original
    path = tmp_path / f"001_{codec}.txt"
    path.write_bytes(text.encode(codec))
    doc = read_document(path)
    assert doc.text == text
    assert [a.title for a in doc.kept] == [SEED_TITLES["001"]]
    assert len(doc.kept[0].text) == len(seed_docs["001"].kept[0].text)


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty file"),
    (b"  \r\n\t\n  ", "empty file"),
    ("\ufeff \n".encode("utf-8"), "empty file"),
    (" \n".encode("utf-16"), "empty file"),
    (b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 8, "binary file, not text"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "binary file, not text"),
    (bytes(range(1, 32)) * 40, "binary file, not text"),
    (bytes(range(0x80, 0x100)) * 4, "undecodable"),
], ids=["empty", "whitespace", "bom-only", "utf16-whitespace", "elf", "png", "controls", "high-bytes"])
def test_decode_bad_input_raises_one_line_decode_error(tmp_path, data, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(data)
    with pytest.raises(DecodeError, match=message) as info:
        read_document(path)
    assert isinstance(info.value, InputError)
    assert "\n" not in str(info.value)


def test_decode_missing_file_and_directory_raise_decode_error(tmp_path):
    with pytest.raises(DecodeError, match="cannot read"):
        read_document(tmp_path / "missing.txt")
    with pytest.raises(DecodeError, match="directory"):
        read_document(tmp_path)


def test_decode_bytes_strips_bom_from_text():
    text, encoding = decode_bytes("\ufeff國產GPU".encode("utf-8"))
    assert (text, encoding) == ("國產GPU", "utf-8-sig")


@pytest.mark.slow
def test_decode_large_single_line_file_is_linear(tmp_path):
    """A 50 MB file with no newline decodes, splits into articles and sentences in seconds."""
    unit = _seed("001").read_text(encoding="utf-8").replace("\n", "").encode("utf-8")
    path = tmp_path / "huge.txt"
    path.write_bytes(unit * (50_000_000 // len(unit) + 1))
    started = time.perf_counter()
    doc = read_document(path)
    sentences = [s for a in doc.articles for s in split_sentences(a)]
    elapsed = time.perf_counter() - started
    assert doc.encoding == "utf-8"
    assert len(doc.articles) == 1 and doc.articles[0].relevant
    assert len(sentences) > 100_000
    assert elapsed < 60, f"50 MB took {elapsed:.1f} s"


# ------------------------------------------------------------------------------------------
# Line-break repair


@pytest.mark.parametrize("repaired", [
    "近年國產通用圖形處理器（GPGPU）企業呈現出蓬勃發展的態勢",        # 企\n業
    "逐漸在市場中嶄露頭角。",                                           # 嶄\n\n露頭角
    "國產GPGPU企業在技術研發方面取得顯著進展",                         # 國 產\n\nGPGPU企業\n在技術研發\n\n方面
    "其首款異構GPU產品MXN100採用7納米製程，已在推理側得到應用。",
    "如燧原科技的邃思2.0採用GlobalFoundries12納米工藝",
    "這導致國產GPGPU在追求更高性能時受到製程工藝的限制",               # 更高\n\n性能
])
def test_repair_joins_seed_000_wrapped_lines(seed_docs, repaired):
    assert repaired in seed_docs["000"].kept[0].text


def test_repair_keeps_paragraph_breaks_and_subheads(seed_docs):
    text = seed_docs["000"].kept[0].text
    lines = text.split("\n")
    assert "關鍵技術細節未夠成熟" in lines                    # subhead stays its own line
    assert "國 產" not in text and "國產算力GPGPU的挑戰與機遇國產" not in text
    assert all(line.strip() for line in lines)
    # every body line ends a sentence, except titles and subheads (short, no punctuation)
    assert all(line[-1] in "。！？：；" or len(line) <= 30 for line in lines)


@pytest.mark.parametrize(("prefix", "repaired"), [
    ("001", "不過，中國企業授權率持續高於外國企業（2023年達78%對52%）"),
    ("001", "7納米以下先進製程仍依賴外部供應，2025年16納米以下製程"),
    ("002", "國家集成電路產業投資基金三期2000億元（人民幣，下同）注資中"),
    ("003", "並執行目標分類與路徑規劃。"),                      # a chart title printed mid-sentence
    ("003", "從而在戰略制定與戰術執行中佔據主動。"),
    ("004", "部分算力中心脫離市場需求"),
])
def test_repair_joins_page_break_inside_paragraph(seed_docs, prefix, repaired):
    assert repaired in seed_docs[prefix].kept[0].text


def test_repair_works_on_an_excerpt_of_a_column_page():
    """Lines 120-200 of seed 000: byline, title, 國 產 / GPGPU企業 / 在技術研發 wrapped around the title box."""
    lines = _seed("000").read_text(encoding="utf-8").split("\n")[119:200]
    doc = parse_document("\n".join(lines))
    kept = doc.kept
    assert [a.title for a in kept] == [SEED_TITLES["000"]]
    assert "國產GPGPU企業在技術研發方面取得顯著進展，在多個關鍵技術領域實現了突破。" in kept[0].text
    assert "中金公司" not in kept[0].text


def test_repair_removes_spaces_between_cjk_in_body_not_in_titles(seed_docs):
    kept = seed_docs["003"].kept[0]
    assert kept.title == "加強GPU發展 提升軍工競爭力"
    assert "加強GPU發展 提升軍工競爭力" in kept.text.split("\n")
    text = seed_docs["000"].articles[1].text if seed_docs["000"].articles[1].title else ""
    assert "去年「9．24行情」以來穩市場政策" in text                 # was 去年 「9．24行情」 以來


def test_repair_latin_words_split_by_a_line_break_keep_a_space():
    doc = parse_document(
        "標題測試用例文字\n摩爾線程在發布會上介紹了公司新一代面向數據中心的大型訓練產品MTT\n"
        "S4000加速卡，採用自研GPU架構，芯片算力強勁。\n"
    )
    assert "MTT S4000加速卡" in doc.articles[0].text


# ------------------------------------------------------------------------------------------
# Offsets


def _assert_maps_back(doc, article, rng):
    text, original = article.text, doc.text
    for _ in range(200):
        start = rng.randrange(len(text))
        end = min(len(text), start + rng.randrange(1, 60))
        for i in range(start, end):
            o = article.offsets.to_original(i)
            if text[i].isspace():
                assert original[o].isspace(), (i, o)
            else:
                assert original[o] == text[i], (i, o, text[i], original[o])
        o_start, o_end = article.offsets.to_original_span(start, end)
        assert original[o_start] == text[start] or text[start].isspace()
        assert original[o_end - 1] == text[end - 1] or text[end - 1].isspace()


@pytest.mark.parametrize("prefix", sorted(SEED_TITLES))
def test_offsets_map_every_cleaned_character_to_the_original(seed_docs, prefix):
    rng = random.Random(int(prefix) + 7)
    doc = seed_docs[prefix]
    for article in doc.articles:
        _assert_maps_back(doc, article, rng)


def test_offsets_map_into_crlf_and_bom_text(tmp_path):
    raw = _seed("000").read_text(encoding="utf-8").replace("\n", "\r\n")
    path = tmp_path / "crlf.txt"
    path.write_bytes(raw.encode("utf-8-sig"))
    doc = read_document(path)
    assert doc.text == raw                                   # newlines untouched, BOM removed
    assert [a.title for a in doc.kept] == [SEED_TITLES["000"]]
    for article in doc.articles:
        _assert_maps_back(doc, article, random.Random(1))


# ------------------------------------------------------------------------------------------
# Articles, titles, relevance


@pytest.mark.parametrize("prefix", sorted(SEED_TITLES))
def test_articles_seed_keeps_only_the_gpu_article(seed_docs, prefix):
    doc = seed_docs[prefix]
    assert [a.title for a in doc.kept] == [SEED_TITLES[prefix]]
    dropped = [a for a in doc.articles if not a.relevant]
    assert len(dropped) >= 2
    assert all(a.reason.startswith("dropped") for a in dropped)
    assert all(a.relevance < doc.kept[0].relevance / 5 for a in dropped)
    assert doc.kept[0].reason.startswith("kept")
    assert [a.index for a in doc.articles] == list(range(len(doc.articles)))


@pytest.mark.parametrize("prefix", sorted(SEED_TITLES))
def test_articles_dropped_columns_do_not_leak_into_kept_text(seed_docs, prefix):
    kept = seed_docs[prefix].kept[0].text
    for phrase in SEED_FOREIGN[prefix]:
        assert phrase not in kept, phrase


@pytest.mark.parametrize(("prefix", "title"), [
    ("000", "流動性充裕 A股兩融再破2萬億"),
    ("000", "連場黑雨無阻新盤熱銷"),
    ("001", "力拓債市 鞏固港金融優勢"),
    ("001", "交投持續火熱 樓市尋寶時刻"),
    ("002", "地產企穩回升的四條規律"),
    ("003", "金融多元發展 強化內外聯通"),
    ("004", "美重啟減息 人民幣國際化提速"),
    ("004", "利好因素疊加 樓市續向好"),
])
def test_articles_dropped_columns_are_found_with_titles(seed_docs, prefix, title):
    found = {a.title: a for a in seed_docs[prefix].articles}
    assert title in found and not found[title].relevant


def test_articles_dropped_column_text_stays_in_its_own_article(seed_docs):
    by_title = {a.title: a for a in seed_docs["000"].articles}
    assert "兩融餘額重返高位" in by_title["流動性充裕 A股兩融再破2萬億"].text
    assert "（李求索、魏冬均為中金公司分析師）" not in by_title["流動性充裕 A股兩融再破2萬億"].text
    assert "新盤銷售" in by_title["連場黑雨無阻新盤熱銷"].text
    assert "GPGPU" not in by_title["連場黑雨無阻新盤熱銷"].text


def test_articles_lead_above_the_title_belongs_to_the_article(seed_docs):
    assert seed_docs["001"].kept[0].text.count("圖形處理器（GPU）作為算力基礎設施的核心組件") == 1
    assert "近年國產通用圖形處理器（GPGPU）企業呈現出蓬勃發展的態勢" in seed_docs["000"].kept[0].text


def test_articles_inline_byline_is_cut_off(seed_docs):
    kept = seed_docs["004"].kept[0].text
    assert kept.endswith("為數字經濟發展注入動力。")


def test_articles_relevance_works_on_simplified_and_traditional():
    for body in (SIMPLIFIED, TRADITIONAL):
        doc = parse_document("國產GPU企業上市\n" + body + "\n")
        assert doc.kept, body[:10]
    for body in ("香港樓市回穩，新盤銷情理想，發展商加快推盤步伐。" * 8,
                 "人民币国际化进程加快，跨境贸易结算规模扩大，离岸市场流动性充裕。" * 8):
        doc = parse_document("樓市觀察\n" + body + "\n")
        assert not doc.kept


def test_articles_webpage_navigation_and_footer_are_dropped():
    doc = read_document(DATA / "webpage_gpu.txt")
    assert [a.title for a in doc.kept] == ["国产GPU企业密集登陆科创板 算力产业链迎来资本助力"]
    text = doc.kept[0].text
    assert "摩尔线程与沐曦股份相继在上海证券交易所科创板挂牌上市" in text
    assert text.endswith("仍然制约着国产GPU的发展。")
    for noise in ("首页", "登录", "频道", "来源", "责任编辑", "相关新闻", "联系我们", "Copyright", "ICP"):
        assert noise not in text, noise
    assert doc.date == date(2025, 12, 18)


# ------------------------------------------------------------------------------------------
# Dates


def test_date_seed_000_is_page_header_date(seed_docs):
    assert seed_docs["000"].date == date(2025, 8, 12)


@pytest.mark.parametrize(("text", "expected"), [
    ("A12 經濟 2025年8月12日 星期二\n正文。", date(2025, 8, 12)),
    ("2025-08-12\n正文。", date(2025, 8, 12)),
    ("2025/8/12\n正文。", date(2025, 8, 12)),
    ("出版日期 2025年08月12日\n正文。", date(2025, 8, 12)),
    ("文中提到2024年1月2日的會議，然後繼續說明了很多情況，這是一個很長的句子所以不算日期行。\nB3 財經 2025年9月1日 星期一\n", date(2025, 9, 1)),
    ("2024年5月6日\nA1 要聞 2025年9月1日 星期一\n", date(2025, 9, 1)),
    ("沒有日期的頁面。\n只有正文。", None),
    ("2025年13月45日\n", None),
])
def test_date_found_on_header_or_short_line(text, expected):
    assert find_date(text) == expected


# ------------------------------------------------------------------------------------------
# Sentences


@pytest.mark.parametrize("prefix", sorted(SEED_TITLES))
def test_sentences_are_non_empty_and_slice_the_article(seed_docs, prefix):
    article = seed_docs[prefix].kept[0]
    sentences = split_sentences(article)
    assert len(sentences) > 20
    for s in sentences:
        assert s.text.strip() == s.text and s.text
        assert article.text[s.start:s.end] == s.text
        assert "\n" not in s.text
        inner = s.text[:-1]
        assert not any(p in inner.rstrip("」』”）)") for p in "。！？") or s.text[-1] in "」』”）)"


def test_sentences_split_on_final_punctuation_and_line_ends():
    doc = parse_document("標題：測試文件\n英偉達發布新GPU。摩爾線程呢？「沐曦採用7納米製程。」芯片\n\n算力大增！")
    got = [s.text for a in doc.articles for s in split_sentences(a)]
    assert "英偉達發布新GPU。" in got
    assert "摩爾線程呢？" in got
    assert "「沐曦採用7納米製程。」" in got


def test_invisible_characters_inside_names_are_cut_and_offsets_map_back(tmp_path):
    """A zero-width space or a bidi mark inside 英偉達 must not make a new name (issue 9)."""
    text = "英\u200b偉達發布新款H200晶片，採用台積\u200d電4納米工藝。輝\u202a達的GPU在數據中心市場佔有率很高。\n"
    path = tmp_path / "zw.txt"
    path.write_text(text, encoding="utf-8")
    article = read_document(path).articles[0]
    assert "\u200b" not in article.text and "\u200d" not in article.text and "\u202a" not in article.text
    assert article.text.startswith("英偉達發布")
    start = article.text.index("台積電")
    a, b = article.offsets.to_original_span(start, start + 3)
    assert text[a:b] == "台積\u200d電"


def test_pinyin_glosses_of_converted_pages_are_cut_and_offsets_map_back(tmp_path):
    """Machine-converted pages write pinyin after characters (國(guó)內(nèi)): names must still match."""
    text = "國(guó)內(nèi)首家通用GPU廠商天數(shù)智芯(09903.HK)啟動(dòng)招股，其產(chǎn)品支持(AI)訓練。\n"
    path = tmp_path / "py.txt"
    path.write_text(text, encoding="utf-8")
    article = read_document(path).articles[0]
    assert "天數智芯(09903.HK)" in article.text and "產品支持(AI)訓練" in article.text
    start = article.text.index("天數智芯")
    a, b = article.offsets.to_original_span(start, start + 4)
    assert text[a:b] == "天數(shù)智芯"


@pytest.mark.parametrize("stray", [b"\xff", b"\x00"])
def test_one_stray_byte_keeps_the_article_and_is_reported(tmp_path, stray):
    """issue 10: a single \\xff or \\x00 in a 16 KB page no longer rejects the whole file."""
    sentence = "國產GPU企業摩爾線程發布新款晶片，採用7納米工藝，面向數據中心市場。\n".encode("utf-8")
    data = sentence * 150
    cut = len(sentence) * 75            # between two lines, so no character is split
    path = tmp_path / "page.txt"
    path.write_bytes(data[:cut] + stray + data[cut:])
    document = read_document(path)
    assert document.kept, "the article must be kept"
    assert len(document.repairs) == 1 and f"at byte {cut}" in document.repairs[0]


def test_a_binary_file_is_still_refused(tmp_path):
    path = tmp_path / "blob.txt"
    path.write_bytes(bytes(range(256)) * 64)
    with pytest.raises(DecodeError, match="binary"):
        read_document(path)


def test_repairs_reach_the_build_report(tmp_path):
    from kg.pipeline import BuildOptions, build

    seeds = tmp_path / "in"
    seeds.mkdir()
    sentence = "國產GPU企業摩爾線程發布新款晶片，採用7納米工藝，面向數據中心市場。\n".encode("utf-8")
    (seeds / "page.txt").write_bytes(sentence * 10 + b"\xff" + sentence * 10)
    report = build(seeds, tmp_path / "out", BuildOptions(use_model=False))
    assert any("page.txt: 1 undecodable byte(s) replaced" in p for p in report.problems), report.problems
    assert "undecodable byte" in (tmp_path / "out" / "report.md").read_text(encoding="utf-8")


def test_bulleted_items_are_paragraphs_of_their_own():
    """Web pages leave list items without a full stop: each bullet line, and the text after a blank
    line that follows one, is a sentence of its own, not run into its neighbours."""
    body = "這款加速卡面向雲端推理部署，本段再多寫幾個字讓它成為一行夠長的正文而沒有句號結尾的情況" \
           "\n\n  • 顯存配置：集成48GB高頻寬記憶體，帶寬可達一點二太字節每秒而不依賴主機內存的支持" \
           "\n  • 能效表現：在同等算力下功耗較上一代降低三成，適合大規模資料中心部署使用場景" \
           "\n\n通過與軟件平台的協同調度，這款加速卡可以實現硬件感知的任務分配。"
    doc = parse_document("標題：測試文件\n" + body)
    got = [s.text for a in doc.articles for s in split_sentences(a)]
    assert any(s.startswith("• 顯存配置") and s.endswith("支持") for s in got), got
    assert any(s.startswith("• 能效表現") and s.endswith("場景") for s in got), got
    assert any(s.startswith("通過與軟件平台") for s in got), got
