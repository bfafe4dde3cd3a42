"""The documents stage: decoding, line-break repair, article split, relevance, dates, sentences."""
from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pytest

from kg.documents import read_document, split_sentences
from kg.errors import DecodeError

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


def _seed(prefix: str) -> Path:
    return next(SEEDS.glob(f"{prefix}_*.txt"))


@pytest.mark.parametrize("prefix", sorted(SEED_TITLES))
def test_seed_keeps_only_the_gpu_article(prefix):
    doc = read_document(_seed(prefix))
    assert [a.title for a in doc.kept] == [SEED_TITLES[prefix]]


def test_seed_000_date_is_page_header_date():
    assert read_document(_seed("000")).date == date(2025, 8, 12)


def test_empty_file_raises_decode_error(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    with pytest.raises(DecodeError, match="empty file"):
        read_document(path)
