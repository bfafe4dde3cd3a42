"""kg/claims/rules/dispatch.py skips the frames that cannot give a kept claim; that must never change a claim."""
from __future__ import annotations

import pytest

from kg.mentions.finder import MentionFinder
from kg.mentions.lexicon import Lexicon
from kg.model import Article, OffsetMap, Sentence
from kg.normalize import Normalizer
from kg.claims.rules import FRAMES, RULES
from kg.claims.rules.dispatch import frames_for
from kg.claims.rules.table import fits, read_table, DEFAULT_PATH
from kg.claims.sentence_view import SentenceView

ROWS = read_table(DEFAULT_PATH)
NAME = {fn: name for name, fn in FRAMES.items()}


@pytest.fixture(scope="module")
def views():
    """A view of every rule example, with the rule finder's mentions."""
    normalizer = Normalizer()
    finder = MentionFinder(Lexicon.load(), normalizer)
    out = []
    for row in ROWS:
        text = row.example
        norm = normalizer.normalize(text)
        article = Article("case.txt", 0, None, text, OffsetMap(), True, 1.0)
        out.append(SentenceView(Sentence(article, 0, len(text), text), norm, finder.find(text, norm)))
    return out


def test_every_frame_yields_only_its_own_rows(views):
    """The skip reads a frame's rows; a frame yielding another frame's rule id would escape it."""
    own = {name: {r.id for r in ROWS if r.frame == name} for name in FRAMES}
    for view in views:
        for frame in RULES:
            for _, _, _, rule_id in frame(view):
                assert rule_id in own[NAME[frame]], f"{NAME[frame]} yields {rule_id}, a row of another frame"


def test_skipped_frames_give_nothing_kept(views):
    for view in views:
        chosen = frames_for(view.items)
        assert list(chosen) == [f for f in RULES if f in chosen]      # the table's order (precedence) kept
        for frame in RULES:
            if frame in chosen:
                continue
            kept = [c for c in frame(view) if c[0] is not c[2] and fits(c[3], c[0], c[2])]
            assert not kept, f"{NAME[frame]} skipped on {view.norm!r} but gives {kept}"


def test_no_frame_for_fewer_than_two_mentions(views):
    assert frames_for([]) == ()
    one = next(v for v in views if v.items)
    assert frames_for(one.items[:1]) == ()
