"""The documents stage: one input file in, its decoded text and the articles worth reading out.

    read_document(path) -> Document        decode, repair hard line breaks, split the page into
                                           articles, find titles and the page date, keep the ones
                                           about GPUs / compute
    split_sentences(article) -> [Sentence] sentences of an article's cleaned text

How a page is read, in order (each step is linear in the file size):

1. **Lines.** Every non-blank line is classified: a byline (``（作者為…）``, also at the end of a
   paragraph), a page header (``A12 經濟 2025年8月12日 星期二``, ``責任編輯：…``), a photo caption
   (``▲…``), a table row, navigation / footer noise, or text.
2. **Hard line breaks.** A line that does not end a sentence (。！？；：) and is a wrapped line
   joins the next one; blank lines in between do not matter (newspaper columns put them mid-word).
   Whether a short unfinished line is wrapped or a heading depends on its neighbourhood: in a narrow
   column, a heading is a short line after a paragraph end that is followed by an (indented)
   paragraph start; the line after a title is body text unless a column name and author follow.
   Spaces between two CJK characters (``國 產``) are removed from body text.
3. **Articles.** Bylines and page headers end an article; a heading followed by a column name and
   author (``樓市新態`` / ``汪敦敏``) starts one. An article's title is its first heading of six or
   more characters that has body text after it and at most a short lead before it. Section names,
   column names, author lines and bylines are not part of the article text.
4. **Relevance.** Trigger words of the GPU / compute domain, counted on the OpenCC t2s view, per
   thousand characters (a text with no trigger in any script, checked first, is not converted). Short orphans (a lead cut off by the page header, photo captions) join the
   page's best kept article when they are on topic themselves and are dropped otherwise.

Every article carries an :class:`~kg.model.OffsetMap` from its cleaned text to ``Document.text``
(the decoded file, newlines untouched). Cleaning only deletes characters, except that a line break
between two Latin letters or digits becomes one space (it maps to the break itself).
"""
from __future__ import annotations

import bisect
import re
from dataclasses import replace, dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from statistics import median
from typing import Callable

from kg.errors import DecodeError
from kg.ingest.decode import decode_lenient
from kg.ingest.readers import reader_for_text
from kg.model import Article, Document, OffsetMap, Sentence

__all__ = ["read_document", "parse_document", "split_sentences", "relevance", "find_date"]

# ---------------------------------------------------------------------------------------------
# Tunables (character counts unless said otherwise)

_BULLETS = frozenset("•●▪■◆◇►▶")
LONG = 36               # an unfinished line at least this long is always a wrapped line
SHORT = 24              # lines shorter than this make up a narrow newspaper column
HEADING_MAX = 30        # longest line that may be a heading
TITLE_MIN = 6           # shorter headings are section / column names, never titles
LEAD_MAX = 400          # most body text allowed before a title (a lead / standfirst)
ORPHAN_MAX = 400        # untitled text shorter than this is an orphan, not an article
THRESHOLD = 3.0         # relevance: weighted trigger hits per 1,000 characters to keep an article
MIN_HITS = 2.0          # ... and at least this many weighted hits

# ---------------------------------------------------------------------------------------------
# Character classes and line patterns

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK = _HAN + "\u25a0-\u25ff\u3000-\u303f\uff01-\uff60\u2014\u2026\u201c\u201d\u2018\u2019"
# Invisible characters scraped pages carry inside words (英\u200b偉達): zero-width, joiners, bidi controls,
# soft hyphens, BOMs. They are cut out of the article text like the spaces above (offsets still map back).
_INVISIBLE = "\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
# Pinyin glosses a conversion tool wrote after characters (國(guó)內(nèi), 產(chǎn)品): cut like invisible ones.
# Only a bracketed Latin syllable with a tone mark, right after a Han character, is one.
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
_PINYIN_GLOSS = f"(?<=[{_HAN}])[(（](?=[a-zü]*[{_TONED}])[a-zü{_TONED}]{{1,7}}[)）]"
_CUT = re.compile(f"(?<=[{_CJK}])[ \u3000\u00a0]+(?=[{_CJK}])|[{_INVISIBLE}]+|{_PINYIN_GLOSS}")
_INVISIBLE_RUN = re.compile(f"[{_INVISIBLE}]+|{_PINYIN_GLOSS}")
_LINES = re.compile(r"\S[^\r\n]*")
_FINAL = frozenset("。！？；：…!?;:")
_CLOSERS = frozenset("」』”’\"'）)")
_SENTENCE_PUNCT = re.compile(r"[，。；！？,;!?、]")
_ENUMERATED = re.compile(r"^(?:[一二三四五六七八九十]+、|\d{1,2}[、.)）]|[（(][一二三四五六七八九十\d]{1,2}[)）])")
_ROLES = (
    "分析師|分析师|經濟學家|经济学家|經理|经理|總裁|总裁|主席|董事|教授|研究員|研究员|議員|议员|會長|会长|主任|"
    "顧問|顾问|記者|记者|編輯|编辑|院長|院长|所長|所长|校長|校长|創辦人|创办人|創始人|创始人|合夥人|合伙人|"
    "CEO|首席|學者|学者|專家|专家|律師|律师|會計師|会计师|博士|委員|委员|理事|秘書長|秘书长|總監|总监|代表|成員|成员|"
    "研究生|工程師|工程师|評論員|评论员|撰稿人|主筆|主笔|社長|社长|局長|局长|部長|部长|處長|处长|主管"
)
_BYLINE_BODY = (
    r"[（(]\s*(?:(?:本文)?作者\s*(?:為|为|係|系|是)?[^（）()\n]{1,80}"
    rf"|[{_HAN}·、]{{2,24}}(?:均|皆|同|分別|分别)?(?:為|为|係|系)[^（）()\n]{{0,80}}?(?:{_ROLES})[^（）()\n]{{0,20}})\s*[）)]"
)
_BYLINE = re.compile(_BYLINE_BODY)
_BYLINE_AT_END = re.compile(rf"(?<=[。！？!?」』”])\s*({_BYLINE_BODY})\s*$")
_END_MARK = re.compile(r"^[（(【\[]\s*(?:全文完|完|待續|待续|續完|续完|本文完)\s*[）)】\]]$")
_META = re.compile(
    r"^(?:責任編輯|责任编辑|編輯|编辑|主編|主编|校對|校对|來源|来源|發布時間|发布时间|發佈時間|時間|时间|日期|"
    r"記者|记者|作者|撰文|攝影|摄影|文|圖|图|原標題|原标题)\s*[:：]"
)
_DATE = re.compile(
    r"(?<!\d)((?:19|20)\d{2})\s*(?:年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日號号]|[-/.](\d{1,2})[-/.](\d{1,2})(?!\d))"
)
_PAGE_CODE = re.compile(r"^[A-Z]{1,2}\d{1,2}\b|星期|週[一二三四五六日]|周[一二三四五六日]|禮拜|礼拜")
_NAV_SEPARATED = re.compile(r"^(?:[^|｜]{1,16}[|｜]){2,}[^|｜]{0,16}$")
_NAV_WORDS = re.compile(
    r"(?i)copyright|©|版權所有|版权所有|ICP\s*[备備证證]|聯絡我們|联系我们|聯繫我們|關於我們|关于我们|免責聲明|免责声明|"
    r"隱私政策|隐私政策|私隱政策|返回頂部|返回顶部|上一篇|下一篇|分享到|掃一掃|扫一扫|相關閱讀|相关阅读|相關新聞|相关新闻|"
    r"熱門推薦|热门推荐|閱讀全文|阅读全文|點擊查看|点击查看|登入|登录|登錄|註冊|注册|網站地圖|网站地图|下載APP|下载APP|"
    r"打印本頁|打印本页|關閉窗口|关闭窗口|收藏本文|推薦閱讀|推荐阅读|更多新聞|更多新闻"
)
_CAPTION = frozenset("▲△▼■□")
_SENTENCES = re.compile(r"[^\n。！？!?]+(?:[。！？!?]+[」』”’\"')）]*)?|[。！？!?]+[」』”’\"')）]*")

# weighted trigger words, counted on the t2s (Simplified) view; Latin words as whole tokens, any case
_TRIGGERS: dict[str, float] = {
    "芯片": 1.0, "晶片": 1.0, "算力": 1.0, "半导体": 1.0, "处理器": 1.0, "制程": 1.0, "纳米": 1.0,
    "奈米": 1.0, "显卡": 1.0, "集成电路": 1.0, "积体电路": 1.0, "晶体管": 1.0, "晶圆": 1.0, "光刻": 1.0,
    "英伟达": 1.0, "辉达": 1.0, "台积电": 1.0, "中芯国际": 1.0, "寒武纪": 1.0, "摩尔线程": 1.0,
    "沐曦": 1.0, "壁仞": 1.0, "燧原": 1.0, "昇腾": 1.0, "海光": 1.0, "景嘉微": 1.0, "超算": 1.0,
    "智算": 1.0, "加速卡": 1.0, "图形处理器": 1.0, "人工智能": 0.5, "人工智慧": 0.5, "大模型": 0.5,
    "数据中心": 0.5, "服务器": 0.5, "深度学习": 0.5,
    # Latin, matched as whole tokens regardless of case
    "gpgpu": 1.0, "gpu": 1.0, "gpus": 1.0, "nvidia": 1.0, "cuda": 1.0, "tflops": 1.0, "pflops": 1.0,
    "hbm": 1.0, "chiplet": 1.0, "dpu": 1.0, "npu": 1.0, "tpu": 1.0, "asic": 1.0, "fpga": 1.0,
    "cpu": 0.5, "ai": 0.5, "nm": 0.5,
}
_HAN_TRIGGER_RE = re.compile("|".join(sorted((w for w in _TRIGGERS if not w.isascii()), key=len, reverse=True)))
_LATIN_TOKENS = re.compile(r"[A-Za-z]+")

# line kinds
TEXT, CAPTION, HEADING, BYLINE, HEADER, NAV, END, TABLE = (
    "text", "caption", "heading", "byline", "header", "nav", "end", "table")
_SPECIAL = frozenset((BYLINE, HEADER, NAV, END, TABLE))


# ---------------------------------------------------------------------------------------------
# Public API


def read_document(path: Path, *, name: str | None = None, converter: Callable[[str], str] | None = None) -> Document:
    """Read, decode and split one file. Raises :class:`DecodeError` (one-line message) when it cannot.

    ``name`` names the document (default: the file name; the pipeline passes the path relative to the
    seeds directory). ``converter`` turns Traditional into Simplified for relevance scoring; by default
    an OpenCC ``t2s`` converter built once per process.
    """
    path = Path(path)
    try:
        data = _read_regular_file(path)
    except IsADirectoryError:
        raise DecodeError("is a directory, not a file") from None
    except OSError as exc:
        raise DecodeError(f"cannot read file: {exc.strerror or exc}") from None
    text, encoding, repairs = decode_lenient(data)
    document = parse_document(text, name=name or path.name, path=path, encoding=encoding, converter=converter)
    return replace(document, repairs=tuple(repairs)) if repairs else document


def _read_regular_file(path: Path) -> bytes:
    """The bytes of ``path``, opened without blocking: a FIFO or a device (even one that replaced a file
    since the directory was listed) is refused instead of hanging the build."""
    import os
    import stat

    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(21, "Is a directory", str(path))
        if not stat.S_ISREG(mode):
            raise DecodeError("not a regular file (FIFO, socket or device)")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read()
    finally:
        os.close(fd)


def parse_document(
    text: str,
    *,
    name: str = "<text>",
    path: Path | None = None,
    encoding: str = "utf-8",
    converter: Callable[[str], str] | None = None,
) -> Document:
    """The stage after decoding: ``text`` is already decoded (useful in tests and notebooks)."""
    convert = converter or _t2s()
    original = text
    text = reader_for_text(text).to_text(text)   # same length: offsets on it are offsets in the file
    lines = _read_lines(text)
    paragraphs = _paragraphs(text, lines)
    articles = _articles(name, text, paragraphs, convert)
    return Document(
        path=Path(path) if path is not None else Path(name),
        name=name,
        encoding=encoding,
        text=original,
        date=find_date(text, lines),
        articles=tuple(articles),
    )


def split_sentences(article: Article) -> list[Sentence]:
    """Sentences of ``article.text``: up to and including 。！？ (and closing quotes), or a line end.

    Never empty or whitespace-only; ``start``/``end`` are offsets into ``article.text``.
    """
    out: list[Sentence] = []
    text = article.text
    for m in _SENTENCES.finditer(text):
        start, end = m.span()
        piece = m.group()
        stripped = piece.strip()
        if not stripped:
            continue
        if stripped is not piece:
            start += len(piece) - len(piece.lstrip())
            end = start + len(stripped)
        out.append(Sentence(article, start, end, stripped))
    return out


def relevance(text: str, convert: Callable[[str], str] | None = None) -> tuple[float, float, list[str]]:
    """``(score, weighted hits, top trigger words)`` of ``text``; score = weighted hits per 1,000 chars."""
    counts: dict[str, int] = {}
    for token in _LATIN_TOKENS.findall(text):
        key = token.lower()
        if key in _TRIGGERS:
            counts[key] = counts.get(key, 0) + 1
    # Normalise to Simplified only when a trigger may be there in some script (most columns have none).
    if _screen().search(text) is not None:
        for word in _HAN_TRIGGER_RE.findall((convert or _t2s())(text)):
            counts[word] = counts.get(word, 0) + 1
    hits = sum(_TRIGGERS[k] * n for k, n in counts.items())
    length = max(len(text) - text.count("\n"), 1)
    top = [k for k, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:4]]
    return 1000.0 * hits / max(length, 200), hits, top


def find_date(text: str, lines: "list[_Line] | None" = None) -> date | None:
    """The printed page date: a page-header line's date first, else the first full date on a short line."""
    lines = lines if lines is not None else _read_lines(text)
    best: tuple[int, date] | None = None
    for line in lines:
        if line.n > 40:
            continue
        found = _parse_date(line.s)
        if found is None:
            continue
        if _PAGE_CODE.search(line.s):                 # A12 經濟 2025年8月12日 星期二
            return found
        rank = 1 if line.kind == HEADER else 2
        if best is None or rank < best[0]:
            best = (rank, found)
    return best[1] if best else None


# ---------------------------------------------------------------------------------------------
# Lines


@dataclass(slots=True)
class _Line:
    start: int          # offset of the first non-blank character in the original text
    end: int            # offset after the last non-blank character
    s: str              # the stripped line
    n: int
    kind: str
    term: bool          # ends a sentence
    headlike: bool      # could be a heading: short, no sentence punctuation
    heading: bool = False
    title: bool = False  # a heading right after a boundary


def _read_lines(text: str) -> list[_Line]:
    lines: list[_Line] = []
    make = _make_line
    for m in _LINES.finditer(text):            # from the first non-blank character to the line end
        s = m.group().rstrip()
        start = m.start()
        end = start + len(s)
        if s[-1] in "）)" and len(s) < 4000:
            byline = _BYLINE_AT_END.search(s)
            if byline is not None and byline.start(1) > 0:
                head = s[: byline.start()].rstrip()
                lines.append(make(start, start + len(head), head))
                lines.append(make(start + byline.start(1), end, s[byline.start(1):]))
                continue
        lines.append(make(start, end, s))
    _mark_menus(lines)
    return lines


def _make_line(start: int, end: int, s: str) -> _Line:
    n = len(s)
    kind = TEXT
    first, last = s[0], s[-1]
    term = last in _FINAL or (last in _CLOSERS and n > 1 and s[-2] in "。！？!?")
    punct = n > 120 or _SENTENCE_PUNCT.search(s) is not None
    if n <= 120:
        if first in "（(" and last in "）)" and _BYLINE.fullmatch(s):
            kind = BYLINE
        elif first in _CAPTION:
            kind = CAPTION
        elif _META.match(s) or (n <= 40 and not punct and _DATE.search(s)):
            kind = HEADER
        elif n <= 12 and _END_MARK.match(s):
            kind = END
        elif "\t" in s:
            kind = TABLE
        elif (("|" in s or "｜" in s) and _NAV_SEPARATED.match(s)) or (n <= 60 and not term and "，" not in s and _NAV_WORDS.search(s)):
            kind = NAV
    elif first in _CAPTION and n <= 300:
        kind = CAPTION
    elif "\t" in s and n <= 400:
        kind = TABLE
    headlike = n <= HEADING_MAX and not term and (
        not punct or (_ENUMERATED.match(s) is not None and not _SENTENCE_PUNCT.search(s, 2)))
    return _Line(start, end, s, n, kind, term, headlike)


def _mark_menus(lines: list[_Line]) -> None:
    """Runs of three or more tiny lines (首页 / 新闻 / 登录) are navigation menus."""
    run: list[_Line] = []
    for line in lines + [None]:  # type: ignore[list-item]
        if line is not None and line.kind == TEXT and line.n <= 4 and line.headlike:
            run.append(line)
            continue
        if len(run) >= 4:
            for item in run:
                item.kind = NAV
        run = []


def _display_width(s: str) -> int:
    """Columns on the printed page: CJK counts two, ASCII one (cheap: from the UTF-8 length)."""
    return len(s) + (len(s.encode("utf-8")) - len(s)) // 2


# ---------------------------------------------------------------------------------------------
# Hard line breaks -> paragraphs


@dataclass(slots=True)
class _Para:
    kind: str
    pieces: list[tuple[int, int, str | None]]   # (orig_start, orig_end, replacement or None)
    text: str
    start: int                                  # original offset of the first piece
    title: bool = False


def _paragraphs(text: str, lines: list[_Line]) -> list[_Para]:
    count = len(lines)
    if not count:
        return []
    short = [ln.n < SHORT and ln.kind in (TEXT, CAPTION) for ln in lines]
    # a line sits in a narrow column when at least 3 of its 4 nearest neighbours are short
    padded = [0, 0] + [1 if x else 0 for x in short] + [0, 0]
    present = [0, 0] + [1] * count + [0, 0]
    column = []
    for i in range(2, count + 2):
        k = present[i - 2] + present[i - 1] + present[i + 1] + present[i + 2]
        column.append(k > 0 and 4 * (padded[i - 2] + padded[i - 1] + padded[i + 1] + padded[i + 2]) >= 3 * k)
    widths = [_display_width(ln.s) for i, ln in enumerate(lines) if column[i] and short[i]]
    width = median(widths) if len(widths) >= 5 else 34.0

    ends = [True] * count        # the line closes its paragraph
    for i, ln in enumerate(lines):
        if ln.kind in _SPECIAL:
            continue
        prev = lines[i - 1] if i else None
        if ln.kind == CAPTION or ln.term:
            ends[i] = ln.term
            continue
        if ln.n >= LONG:
            ends[i] = False
            continue
        if not column[i]:
            nxt = lines[i + 1] if i + 1 < count else None
            ln.heading = ln.headlike and not (     # a full column line, wrapped into running text
                nxt is not None and nxt.kind == TEXT and nxt.n < LONG and not nxt.headlike
                and 0.9 * width <= _display_width(ln.s) <= 1.15 * width
            )
            ln.title = ln.heading and (prev is None or prev.kind in _SPECIAL)
            ends[i] = ln.heading
            continue
        heading = False
        if ln.headlike and (prev is None or ends[i - 1]):
            nxt = lines[i + 1] if i + 1 < count else None
            if prev is None or prev.kind in _SPECIAL:
                # a title, unless it fills the column: then it is the first line of a paragraph
                heading = ln.title = _display_width(ln.s) < 0.9 * width
            elif prev.heading and prev.title:
                heading = _column_cluster(ln, nxt)          # else body text right after a title
            elif prev.heading and prev.n <= 6 and ln.n <= 4:
                heading = True                               # author after a column name
            elif nxt is None or nxt.kind in _SPECIAL or nxt.kind == CAPTION:
                heading = True
            elif nxt.s[0].isascii() and nxt.s[0].isalnum():
                heading = False                              # a Latin word wrapped whole
            elif nxt.n >= LONG or not column[i + 1]:
                heading = True
            else:                                            # narrow heading, then an indented first line
                heading = _display_width(ln.s) <= 0.72 * width and _display_width(nxt.s) <= width - 3
        ln.heading = heading
        ends[i] = heading

    _end_bullet_items(text, lines, ends)
    paras: list[_Para] = []
    i = 0
    while i < count:
        group, insets, i = _collect(lines, ends, i, allow_insets=True)
        paras.append(_make_para(text, lines, group))
        for inset in insets:
            paras.append(_make_para(text, lines, inset))
    return paras


def _end_bullet_items(text: str, lines: list[_Line], ends: list[bool]) -> None:
    """A bulleted item (• 內存優化：…) is a paragraph of its own: the line before it ends, and so does the
    item at a blank line, though web pages leave such lines without a full stop."""
    for i, ln in enumerate(lines):
        if ln.s[0] not in _BULLETS:
            continue
        if i:
            ends[i - 1] = True
        if i + 1 < len(lines) and text.count("\n", ln.end, lines[i + 1].start) >= 2:
            ends[i] = True


def _column_cluster(line: _Line, nxt: _Line | None) -> bool:
    """A column name (淵謀遠略) followed by its author (袁淵) right under a title."""
    return (
        line.n <= 6
        and nxt is not None
        and nxt.kind == TEXT
        and nxt.headlike
        and nxt.n <= 4
    )


def _collect(lines: list[_Line], ends: list[bool], i: int, allow_insets: bool) -> tuple[list[int], list[list[int]], int]:
    """Line indices of the paragraph starting at ``i``, insets skipped over, and the next start."""
    group = [i]
    insets: list[list[int]] = []
    cur = i
    count = len(lines)
    if lines[i].kind in _SPECIAL or lines[i].heading:
        return group, insets, i + 1
    while not ends[cur] and cur + 1 < count:
        j = cur + 1
        nxt = lines[j]
        if nxt.kind == TEXT and not nxt.heading:
            group.append(j)
            cur = j
            continue
        # An inset (chart title, photo caption) printed in the middle of a sentence: skip over it
        # when the sentence visibly continues after it (Han character on both sides).
        if allow_insets and nxt.kind in (TEXT, CAPTION) and lines[cur].n >= LONG and _is_han(lines[cur].s[-1]):
            inset, _, after = _collect(lines, ends, j, allow_insets=False)
            if after < count:
                k = lines[after]
                if k.kind == TEXT and not k.heading and _is_han(k.s[0]):
                    insets.append(inset)
                    group.append(after)
                    cur = after
                    continue
        break
    return group, insets, max(group) + 1 if not insets else max(max(group), max(max(x) for x in insets)) + 1


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or "\uf900" <= ch <= "\ufaff"


def _make_para(text: str, lines: list[_Line], group: list[int]) -> _Para:
    first = lines[group[0]]
    kind = HEADING if first.heading else first.kind
    pieces: list[tuple[int, int, str | None]] = []
    prev_last = ""
    for idx in group:
        ln = lines[idx]
        head = ln.s[0]
        if (pieces and prev_last.isascii() and prev_last.isalnum() and head.isascii() and head.isalnum()
                and not (prev_last.isdigit() and head.isdigit())):
            gap = pieces[-1][1]
            pieces.append((gap, gap + 1, " "))     # the line break between two Latin words -> one space
        cut = _CUT if kind in (TEXT, CAPTION) else _INVISIBLE_RUN   # spaces only inside running text
        if cut.search(ln.s):
            pos = 0
            for m in cut.finditer(ln.s):
                if m.start() > pos:
                    pieces.append((ln.start + pos, ln.start + m.start(), None))
                pos = m.end()
            pieces.append((ln.start + pos, ln.end, None))
        else:
            pieces.append((ln.start, ln.end, None))
        prev_last = ln.s[-1]
    body = "".join(rep if rep is not None else text[a:b] for a, b, rep in pieces)
    return _Para(kind, pieces, body, first.start, title=first.title)


# ---------------------------------------------------------------------------------------------
# Articles


@dataclass(slots=True)
class _Draft:
    paras: list[int]                # paragraph indices kept in the article text
    title: int | None               # paragraph index of the title


def _articles(name: str, text: str, paras: list[_Para], convert: Callable[[str], str]) -> list[Article]:
    drafts, orphans = _segment(paras)
    scored = []
    for draft in drafts:
        body = "\n".join(paras[p].text for p in draft.paras if p != draft.title)
        score, hits, top = relevance(body, convert)
        keep = score >= THRESHOLD and hits >= MIN_HITS
        scored.append((draft, score, hits, keep, top))

    kept = sorted((s for s in scored if s[3]), key=lambda s: min(s[0].paras))
    starts = [min(s[0].paras) for s in kept]
    for p in orphans:
        score, hits, top = relevance(paras[p].text, convert)
        if hits < 1.0 or score < THRESHOLD:
            continue
        if kept:                                    # the nearest kept article on the page
            k = bisect.bisect_right(starts, p)
            near = [kept[i] for i in (k - 1, k) if 0 <= i < len(kept)]
            best = min(near, key=lambda s: _distance(s[0].paras, p))
            best[0].paras.append(p)
        else:
            scored.append((_Draft([p], None), score, hits, True, top))

    scored.sort(key=lambda s: paras[min(s[0].paras)].start)
    articles = []
    for index, (draft, score, hits, keep, top) in enumerate(scored):
        order = sorted(set(draft.paras))
        body, offsets = _join(text, [paras[p] for p in order])
        title = paras[draft.title].text.strip() if draft.title is not None else None
        words = "、".join(top) if top else "none"
        if keep:
            reason = f"kept: {hits:g} domain words ({words}), {score:.1f} per 1,000 characters"
        else:
            reason = f"dropped: {hits:g} domain words ({words}), {score:.1f} per 1,000 characters < {THRESHOLD:g}"
        articles.append(Article(
            doc_name=name, index=index, title=title, text=body, offsets=offsets,
            relevant=keep, relevance=round(score, 3), reason=reason,
        ))
    return articles


def _distance(members: list[int], p: int) -> int:
    low, high = min(members), max(members)
    return 0 if low <= p <= high else min(abs(p - low), abs(p - high))


def _segment(paras: list[_Para]) -> tuple[list[_Draft], list[int]]:
    """Cut the paragraphs into articles; return the drafts and the orphan paragraph indices."""
    segments: list[list[int]] = []
    cur: list[int] = []
    for idx, para in enumerate(paras):
        kind = para.kind
        if kind == BYLINE:
            if cur:
                segments.append(cur)
            cur = []
        elif kind == HEADER:
            if any(paras[p].kind == TEXT for p in cur):
                segments.append(cur)
                cur = []
        elif kind in (NAV, END):
            continue
        elif kind == HEADING and cur and _starts_column(paras, idx):
            segments.append(cur)
            cur = [idx]
        else:
            cur.append(idx)
    if cur:
        segments.append(cur)

    drafts: list[_Draft] = []
    orphans: list[int] = []
    for seg in segments:
        title = _find_title(paras, seg)
        keep: list[int] = []
        if title is None:
            texts = [p for p in seg if paras[p].kind in (TEXT, TABLE)]
            orphans.extend(p for p in seg if paras[p].kind == CAPTION)
            size = sum(len(paras[p].text) for p in texts)
            if not texts:
                continue
            if size < ORPHAN_MAX:
                orphans.extend(texts)
                continue
            keep = [p for p in seg if paras[p].kind in (TEXT, TABLE, HEADING)]
            # drop leading headings (section names) of an untitled article
            while keep and paras[keep[0]].kind == HEADING:
                keep.pop(0)
            drafts.append(_Draft(keep, None))
            continue
        pos = seg.index(title)
        cluster = set()
        for p in seg[pos + 1: pos + 3]:
            if paras[p].kind == HEADING and _is_column_name(paras[p].text):
                cluster.add(p)
            else:
                break
        for p in seg:
            kind = paras[p].kind
            if kind == CAPTION:
                orphans.append(p)
            elif p in cluster:
                continue
            elif kind == HEADING and seg.index(p) < pos:
                continue                                  # section names above the title
            else:
                keep.append(p)
        drafts.append(_Draft(keep, title))
    return drafts, orphans


def _find_title(paras: list[_Para], seg: list[int]) -> int | None:
    lead = 0
    for pos, p in enumerate(seg):
        para = paras[p]
        if para.kind == HEADING:
            if len(para.text.strip()) < TITLE_MIN:
                continue
            rest = seg[pos + 1:]
            names = 0
            while names < 2 and names < len(rest) and paras[rest[names]].kind == HEADING \
                    and _is_column_name(paras[rest[names]].text):
                names += 1
            if names < len(rest) and paras[rest[names]].kind == TEXT:
                return p                                   # a heading over body text
            continue                                       # a chart or table caption, a section name
        if para.kind in (TEXT, TABLE):
            lead += len(para.text)
            if lead > LEAD_MAX:
                return None
    return None


def _is_column_name(s: str) -> bool:
    s = s.strip()
    if len(s) <= 6:
        return True
    parts = s.split()
    return len(parts) == 2 and all(2 <= len(x) <= 5 for x in parts)


def _starts_column(paras: list[_Para], idx: int) -> bool:
    """A heading followed by a column name and/or author, then body text: a new article."""
    if len(paras[idx].text.strip()) < TITLE_MIN:
        return False
    j = idx + 1
    names = 0
    while j < len(paras) and names < 2 and paras[j].kind == HEADING and _is_column_name(paras[j].text):
        names += 1
        j += 1
    return names >= 1 and j < len(paras) and paras[j].kind == TEXT


def _join(text: str, paras: list[_Para]) -> tuple[str, OffsetMap]:
    """Article text (paragraphs joined by newlines) and its anchors back into the original text."""
    anchors: list[tuple[int, int]] = []
    parts: list[str] = []
    clean = 0
    last_orig = -1
    for k, para in enumerate(paras):
        if k:
            sep = _separator_origin(text, paras[k - 1], para)
            if sep != last_orig:
                anchors.append((clean, sep))
            parts.append("\n")
            clean += 1
            last_orig = sep + 1
        for a, b, rep in para.pieces:
            if a != last_orig:
                anchors.append((clean, a))
            parts.append(rep if rep is not None else text[a:b])
            clean += b - a
            last_orig = b
    return "".join(parts), OffsetMap(anchors or [(0, 0)])


def _separator_origin(text: str, before: _Para, after: _Para) -> int:
    """An original whitespace character to map a paragraph separator to."""
    end = before.pieces[-1][1]
    if end < len(text) and text[end].isspace():
        return end
    start = after.pieces[0][0]
    if start > 0 and text[start - 1].isspace():
        return start - 1
    return end if end < len(text) else max(start - 1, 0)


# ---------------------------------------------------------------------------------------------
# Helpers


def _parse_date(s: str) -> date | None:
    for m in _DATE.finditer(s):
        year = int(m.group(1))
        month = int(m.group(2) or m.group(4))
        day = int(m.group(3) or m.group(5))
        try:
            return date(year, month, day)
        except ValueError:
            continue
    return None


@lru_cache(maxsize=1)
def _screen() -> re.Pattern[str]:
    """Every trigger word in Simplified and in the Traditional / HK / Taiwan forms OpenCC gives it.

    A text this pattern does not match scores zero without being converted.
    """
    from kg.normalize import converter

    words = {w for w in _TRIGGERS if not w.isascii()}
    for config in ("s2t", "s2hk", "s2tw", "s2twp"):
        convert = converter(config).convert
        words |= {convert(w) for w in list(words)}
    return re.compile("|".join(sorted(words, key=len, reverse=True)))


@lru_cache(maxsize=1)
def _t2s() -> Callable[[str], str]:
    """The OpenCC Traditional -> Simplified converter, built on first use and shared."""
    from kg.normalize import converter

    return converter("t2s").convert
