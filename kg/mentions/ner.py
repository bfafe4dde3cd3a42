"""Model mentions: the trained Chinese NER model (`models/ner/`, built by `kg train`) over kept articles.

    model = NerModel.load()                     # ConfigError with a `kg train` hint when missing
    mentions = model.find(articles)             # one list of Mention per article, offsets into article.text

The model (see `kg/training/train.py`) is a character-level BILUO tagger: a small CNN over hash embeddings of
each character's Simplified form and shape, a softmax over the 53 tags (B/I/L/U × 13 classes + O),
and a constrained Viterbi decoder that returns the most probable *valid* tag sequence, so every span is
well formed. A mention's confidence is the geometric mean of the probabilities of its tags, mapped
through the isotonic calibration fitted at training time on names the model never saw (so 0.8 means
about 80 % of such mentions were right there).

Feature set "v2" (ner-zh-v2, kg/mentions/ner_features.py) adds per character its jieba word position, a
character class and context cues (quotes, next head word, last trigger). ``find`` then runs the junk
filter ``clean_spans``: edge punctuation is trimmed, and mentions in litter lines (bylines, sources,
captions, menus), dates and bare figures, personal names, spans made of generic words and fragments of
a dictionary word are dropped.

Each article is cut into sentence-sized chunks; the chunks go through the model in fixed batches (the
same batches whatever the number of processes, so results never depend on it), on two processes when
the text is large enough to pay for the fork.
"""
from __future__ import annotations

import bisect
import json
import os
import re
from pathlib import Path
from typing import Sequence

from kg import resources
from kg.errors import ConfigError
from kg.model import Article, Mention

DEFAULT_MODEL_DIR = resources.ner_model_dir()
META_FILE = "kg-ner.json"
CHUNK_CHARS = 300          # chunks are cut at sentence ends, at most about this long
BATCH_CHUNKS = 64          # chunks per model call; fixed, so batching never changes a result
PARALLEL_MIN_CHARS = 60_000  # below this, one process is faster than forking a second
MIN_CONFIDENCE = 0.4       # the lowest threshold: `find` always leaves out mentions right less than 40 % of the time
#: the share of right mentions the threshold aims at on held-out articles: the threshold is the lowest
#: confidence (>= MIN_CONFIDENCE) at which the k-fold's held-out mentions were right this often, chosen
#: per fold on the other folds only (kg.training.ner_eval.choose_threshold); the model stores it (``min_confidence``)
TARGET_PRECISION = 0.8
_BREAK = re.compile(r"[。！？；!?\n]")

_WORKER: "NerModel | None" = None  # set in the parent just before forking workers; read only by them


class NerModel:
    """A loaded NER pipeline plus its calibration. Build with :meth:`load` (or :meth:`from_nlp`)."""

    name: str

    def __init__(self, nlp, name: str, calibration: list[list[float]] | None = None,
                 labels: Sequence[str] = (), processes: int | None = None, decoder: str = "viterbi",
                 min_confidence: float = MIN_CONFIDENCE, held_out_calibration: list[list[float]] | None = None,
                 filter_junk: bool = True):
        self.nlp = nlp
        self.filter_junk = filter_junk
        self.min_confidence = min_confidence
        self.name = name
        self.decoder = decoder
        self.labels = tuple(labels)
        self._cal_x = [float(x) for x, _ in (calibration or [])]
        self._cal_y = [float(y) for _, y in (calibration or [])]
        self._held_x = [float(x) for x, _ in (held_out_calibration or [])]
        self._held_y = [float(y) for _, y in (held_out_calibration or [])]
        self.processes = processes if processes is not None else min(2, os.cpu_count() or 1)

    # ---------------------------------------------------------------------------------------- loading
    @classmethod
    def load(cls, model_dir: Path | str | None = None, processes: int | None = None,
             min_confidence: float | None = None) -> "NerModel":
        """The model in ``model_dir`` (default: the shipped ``models/ner``); ``min_confidence`` defaults to
        the threshold stored with the model (chosen on held-out articles), else MIN_CONFIDENCE."""
        model_dir = Path(model_dir or DEFAULT_MODEL_DIR)
        meta_path = model_dir / META_FILE
        if not meta_path.is_file() or not (model_dir / "config.cfg").is_file():
            raise ConfigError(f"NER model not found in {model_dir}: run `kg train` (or `make model`) to build it, "
                              "or `kg rebuild --no-model` to build with the rules only")
        try:
            import spacy

            from kg.mentions.ner_features import install_norms

            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            features = meta.get("config", {}).get("features", "v1")
            if features == "v2":
                import kg.mentions.ner_features  # noqa: F401  (registers the `kg_features` component)
            nlp = spacy.load(model_dir)
            install_norms(nlp, features)
        except Exception as error:  # a damaged model directory
            raise ConfigError(f"NER model in {model_dir} cannot be loaded ({error}): run `kg train` to rebuild it") from error
        if min_confidence is None:
            min_confidence = float(meta.get("min_confidence", MIN_CONFIDENCE))
        return cls(nlp, meta["name"], meta.get("calibration"), meta.get("labels", ()), processes,
                   meta.get("config", {}).get("decoder", "viterbi"), min_confidence, meta.get("held_out_calibration"))

    @classmethod
    def from_nlp(cls, nlp, name: str, calibration=None, decoder: str = "viterbi") -> "NerModel":
        labels = sorted({t.split("-", 1)[1] for t in nlp.get_pipe("tagger").labels if t != "O"})
        return cls(nlp, name, calibration, labels, processes=1, decoder=decoder)

    # -------------------------------------------------------------------------------------- inference
    def find(self, articles: Sequence[Article]) -> list[list[Mention]]:
        """Mentions in each article's ``text`` with calibrated confidence >= ``min_confidence``;
        deterministic, on up to two processes."""
        texts = [a.text for a in articles]
        raw = self.predict_raw(texts)
        out = []
        for text, found in zip(texts, raw):
            if self.filter_junk:
                found = [f for f in clean_spans(text, found) if f[4] is None]
            mentions = [Mention(f[0], f[1], text[f[0]:f[1]], f[2], None, self.name, self.calibrate(f[3]))
                        for f in found]
            out.append([m for m in mentions if m.confidence >= self.min_confidence])
        return out

    def calibrate(self, raw: float) -> float:
        """Raw span score -> dev-set calibration -> held-out-article calibration (when the model has one)."""
        value = calibration_step(self._cal_x, self._cal_y, raw)
        if self._held_x:
            value = calibration_step(self._held_x, self._held_y, value)
        return round(min(1.0, max(0.0, value)), 4)

    def predict_raw(self, texts: Sequence[str]) -> list[list[tuple[int, int, str, float]]]:
        """(start, end, label, raw score) per text, sorted by start."""
        chunks: list[tuple[int, int, str]] = []  # (text index, offset, chunk text)
        for i, text in enumerate(texts):
            for start, end in split_chunks(text):
                chunks.append((i, start, text[start:end]))
        batches = [chunks[k:k + BATCH_CHUNKS] for k in range(0, len(chunks), BATCH_CHUNKS)]
        total = sum(len(t) for t in texts)
        if self.processes > 1 and total >= PARALLEL_MIN_CHARS and len(batches) > 1:
            results = self._parallel(batches)
        else:
            results = [self._run_batch([c[2] for c in b]) for b in batches]
        out: list[list[tuple[int, int, str, float]]] = [[] for _ in texts]
        for batch, found in zip(batches, results):
            for (i, offset, _), ents in zip(batch, found):
                out[i].extend((offset + s, offset + e, label, score) for s, e, label, score in ents)
        return [sorted(found) for found in out]

    def _parallel(self, batches):
        import multiprocessing as mp

        global _WORKER
        _WORKER = self
        try:
            ctx = mp.get_context("fork")
            with ctx.Pool(self.processes) as pool:
                # contiguous halves keep each process's work large; order of results is preserved
                return pool.map(_worker_run, [[c[2] for c in b] for b in batches], chunksize=max(1, len(batches) // (2 * self.processes)))
        finally:
            _WORKER = None

    def _run_batch(self, texts: list[str]) -> list[list[tuple[int, int, str, float]]]:
        """One batch of chunks: spans from the BILUO tagger by constrained Viterbi decoding (or, for a
        model trained with ``parser=True`` and ``decoder == "ner"``, from the transition-based ``ner``);
        each span scored with the tagger's probabilities of its tags."""
        tagger = self.nlp.get_pipe("tagger")
        skip = [n for n in ("tagger", "ner") if n in self.nlp.pipe_names and (n == "tagger" or self.decoder != "ner")]
        docs = list(self.nlp.pipe(texts, batch_size=len(texts) or 1, disable=skip))
        probs = tagger.model.predict(docs) if any(len(d) for d in docs) else [None] * len(docs)
        labels = tagger.labels
        index = {tag: i for i, tag in enumerate(labels)}
        if self.decoder == "viterbi":
            decoded = viterbi_spans([p for p in probs if p is not None and len(p)], labels)
            decoded.reverse()  # popped in document order below
        out = []
        for text, doc, p in zip(texts, docs, probs):
            if p is None or not len(doc):
                out.append([])
                continue
            if self.decoder == "viterbi":
                spans = decoded.pop()
            else:
                spans = [(ent.start, ent.end, ent.label_) for ent in doc.ents]
            ents = []
            for start, end, label in spans:
                last = doc[end - 1]
                s, e = _trim(text, doc[start].idx, last.idx + len(last.text))
                if e > s:
                    ents.append((s, e, label, span_score(p, start, end, label, index)))
            out.append(ents)
        return out


def viterbi_spans(probs: list, labels: Sequence[str], floor: float = 0.02) -> list[list[tuple[int, int, str]]]:
    """Best valid BILUO sequence per document, as token spans.

    Only stretches where some entity tag has probability >= ``floor`` can hold a span, so the Viterbi
    runs on those stretches alone (plus one token each side), batched: a few steps instead of one per
    character. Outside them the tag is O.
    """
    import numpy

    o = list(labels).index("O")
    segments = []  # (document, start, end)
    for i, p in enumerate(probs):
        live = (1.0 - numpy.asarray(p)[:, o]) >= floor
        if not live.any():
            continue
        edges = numpy.flatnonzero(numpy.diff(numpy.concatenate(([0], live.astype("int8"), [0]))))
        for start, end in zip(edges[::2].tolist(), edges[1::2].tolist()):
            segments.append((i, max(0, start - 1), min(len(p), end + 1)))
    out: list[list[tuple[int, int, str]]] = [[] for _ in probs]
    if not segments:
        return out
    tags = _viterbi([numpy.asarray(probs[i])[s:e] for i, s, e in segments], labels)
    for (i, s, _), seq in zip(segments, tags):
        start = -1
        for j in numpy.flatnonzero(seq != o).tolist():
            prefix, label = labels[seq[j]].split("-", 1)
            if prefix in ("B", "U"):
                start = j
            if prefix in ("L", "U"):
                out[i].append((s + start, s + j + 1, label))
    return out


def _viterbi(probs: list, labels: Sequence[str]) -> list:
    """Batched Viterbi over log-probabilities with the BILUO constraints; one tag array per sequence.

    The constraints make it linear in the number of tags: O, B-x and U-x follow any "closed" tag
    (O, L-*, U-*), I-x and L-x follow B-x or I-x only.
    """
    import numpy

    labels = list(labels)
    o = labels.index("O")
    classes = sorted({t.split("-", 1)[1] for t in labels if t != "O"})
    b_i, i_i, l_i, u_i = (numpy.array([labels.index(f"{p}-{c}") for c in classes]) for p in "BILU")
    closed = numpy.concatenate(([o], l_i, u_i))            # tags after which a new tag may start
    n, t_max, k = len(probs), max(len(p) for p in probs), len(labels)
    neg = numpy.float32(-1e9)
    emit = numpy.full((n, t_max, k), neg, dtype="float32")
    emit[:, :, o] = 0.0                                      # padding: O, free
    for i, p in enumerate(probs):
        emit[i, :len(p)] = numpy.log(numpy.maximum(numpy.asarray(p, dtype="float32"), 1e-9))
    rows = numpy.arange(n)
    score = numpy.full((n, k), neg, dtype="float32")
    opens = numpy.concatenate(([o], b_i, u_i))
    score[:, opens] = emit[:, 0, opens]
    back = numpy.zeros((n, t_max, k), dtype="int16")
    for t in range(1, t_max):
        sc = score[:, closed]
        j = sc.argmax(1)
        best_closed, from_closed = sc[rows, j], closed[j]
        inside = score[:, b_i] >= score[:, i_i]                # continue from B-x or from I-x
        best_in = numpy.where(inside, score[:, b_i], score[:, i_i])
        from_in = numpy.where(inside, b_i, i_i)
        new = numpy.empty_like(score)
        new[:, opens] = best_closed[:, None] + emit[:, t, opens]
        new[:, i_i] = best_in + emit[:, t, i_i]
        new[:, l_i] = best_in + emit[:, t, l_i]
        back[:, t, opens] = from_closed[:, None]
        back[:, t, i_i] = from_in
        back[:, t, l_i] = from_in
        score = new
    score[:, numpy.concatenate((b_i, i_i))] = neg            # may not end inside a span
    tags = numpy.zeros((n, t_max), dtype="int64")
    cur = score.argmax(1)
    for t in range(t_max - 1, -1, -1):
        tags[:, t] = cur
        cur = back[rows, t, cur]
    return [tags[i, :len(p)] for i, p in enumerate(probs)]


def span_score(probs, start: int, end: int, label: str, index: dict[str, int]) -> float:
    """Geometric mean of the tagger's probabilities of the span's BILUO tags (and O just outside it)."""
    import math

    if probs is None:
        return 0.0
    if end - start == 1:
        tags = [(start, f"U-{label}")]
    else:
        tags = [(start, f"B-{label}")] + [(i, f"I-{label}") for i in range(start + 1, end - 1)] + [(end - 1, f"L-{label}")]
    logs = [math.log(max(float(probs[i][index[t]]), 1e-9)) for i, t in tags if t in index]
    return round(math.exp(sum(logs) / len(logs)), 6) if logs else 0.0


def calibration_step(xs: list[float], ys: list[float], x: float) -> float:
    """Isotonic calibration map: the value of the first step whose upper bound is >= x."""
    if not xs:
        return x
    return ys[min(bisect.bisect_left(xs, x), len(ys) - 1)]


def _worker_run(texts: list[str]):
    assert _WORKER is not None
    return _WORKER._run_batch(texts)


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def split_chunks(text: str, size: int = CHUNK_CHARS) -> list[tuple[int, int]]:
    """Cut ``text`` into pieces of at most about ``size`` characters, at sentence ends where possible."""
    out, start, n = [], 0, len(text)
    while start < n:
        if n - start <= size:
            out.append((start, n))
            break
        window = text[start:start + size]
        cut = 0
        for m in _BREAK.finditer(window):
            cut = m.end()
        if cut < size // 3:  # no sentence end in reach: cut at a character that cannot be inside a name
            cut = max((window.rfind(c) + 1 for c in "，,、：: "), default=0)
            if cut < size // 3:
                cut = size
        out.append((start, start + cut))
        start += cut
    return [(s, e) for s, e in out if text[s:e].strip()]


# ------------------------------------------------------------------------------------- junk filter
#: a line that is page litter, not prose: strong markers anywhere, weak ones only in a short line
#: (also used by data/ner/make_real_annotations.py to pick hard negatives)
LITTER_STRONG = re.compile(
    r"来源[:：]|來源[:：]|编辑[:：]|編輯[:：]|责任编辑|責任編輯|记者|記者|作者[:：]|图片来源|圖片來源|图源|圖源|"
    r"打开网易|打開網易|查看精彩|查看更多|分享到|分享好友|点击|點擊|扫码|掃碼|扫一扫|掃一掃|版权所有|版權所有|"
    r"免责声明|免責聲明|上一篇|下一篇|举报|舉報|二维码|二維碼|原标题|原標題|阅读全文|閱讀全文|阅读完|閱讀完|"
    r"▲|图[:：/]|圖[:：/]|（图|（圖|\(图|\(圖|网站首页|網站首頁")
LITTER_WEAK = re.compile(r"首页|首頁|登录|登錄|注册|註冊|评论|評論|收藏|微信|微博|APP|App|关注|關注|返回|热门|熱門|推荐|推薦|"
                         r"分享|打开|打開|查看|图片|圖片|视频|視頻|资讯|資訊|频道|頻道")
_EDGE = "，,、。.：:；;！!？?\"'“”‘’「」『』《》〈〉【】[]·•…—–-/|◎▲●■★◆○※ \t\u3000"
_PAIRS = {"(": ")", "（": "）", "[": "]", "【": "】", "《": "》", "「": "」", "“": "”"}
_UNIT = r"(?:w|kw|gb|tb|mb|nm|mm|ghz|mhz|tops|tflops|pflops|gbps|tbps|gb/s|tb/s|v|%|万|亿|元|个|倍|代|期|届|年|月|日)"
_NUMERIC = re.compile(r"^[\d\s.,，%~～\-–/+]+" + _UNIT + r"?(?:[\s\-–~～]+[\d.]+" + _UNIT + r"?)?$")
_DATE = re.compile(r"^(?:\d+\s*年)?(?:\d+\s*月份?)?(?:\d+\s*[日号號])?(?:[上下]半年|第?[一二三四1-4]季度)?$")
_DATE_START = re.compile(r"^(?:\d+\s*年\s*)?\d+\s*(?:月份?|日)|^\d{4}\s*年")
#: classes whose names are ordinary words anyway (markets, technologies): the generic-word test is not for them
_GENERIC_OK = {"Market", "Technology"}
#: Simplified, lower-case words that name kinds of things, not things (a span made of these only is junk)
GENERIC = ("集成电路", "微电子", "新材料", "服务器", "电子", "半导体", "芯片", "晶片", "显卡", "科技", "股份", "公司",
           "集团", "龙头", "企业", "厂商", "国家队", "软件", "平台", "硬件", "数学", "算力", "带宽", "高带宽", "存储",
           "内存", "技术", "产品", "系列", "国产", "处理器", "产业", "加速卡", "板卡", "模组", "设备", "材料",
           "gpu", "ai", "大模型", "模型", "研究", "中国", "国内", "国际", "全球", "美国", "新", "第一",
           "人工智能", "智能", "计算", "数据", "信息", "网络", "通信", "系统", "方案", "解决方案", "生态",
           "基金", "投资", "创业", "国家级", "子", "交易所", "委员会", "小组", "科技园", "园区", "海量", "云端",
           "foundry", "asic", "fpga", "封装", "晶圆", "代工", "代工厂", "晶圆厂")
_GENERIC_RE = re.compile("^(?:" + "|".join(sorted(map(re.escape, GENERIC), key=len, reverse=True)) + ")+$")
_SURNAMES = set("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任"
                "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯史陶黎贺顾毛郝龚邵万钱严覃戴莫孔汤")
_TITLE_BEFORE = re.compile(r"(?:董事长|总裁|总经理|ceo|cto|coo|创始人|首席执行官|首席|主席|院士|教授|博士|记者|编辑|作者|"
                           r"负责人|总监|副总|经理|分析师|研究员|部长|局长|先生|女士|执行长|董事|总工|工程师|创办人)\s*$")
_SPEECH_AFTER = re.compile(r"^\s*(?:表示|称|說|说|指出|透露|认为|介绍|坦言|强调|回应|提到|说道|直言|告诉|曾|在接受|先生|女士|博士|教授)")


def clean_spans(text: str, found: Sequence[tuple[int, int, str, float]]) -> list[tuple[int, int, str, float, str | None]]:
    """Model spans with edge punctuation trimmed, each with the reason it is junk (None = keep): ``litter``
    (a byline, source, caption, share or menu line), ``number`` (a date or a bare figure), ``person``
    (a personal name: surname-initial, with a title before or a speech verb after), ``generic`` (made of
    words that name kinds, 集成电路, 服務器, 微電子), ``source`` (a news outlet by its shape, 中央社, or a
    name cited as a source, X報道), ``fragment`` (a single character, a border cuts a dictionary word:
    百度公|司, 中科曙光營|收, or a digit run or lower-case word: 兆芯5|000, a bracket inside has no partner:
    英特爾(Intel, or a company name runs into a kind word: 騰訊 AI, 飛騰CPU as a Company)."""
    from kg.normalize import char_norm

    out = []
    lines: dict[tuple[int, int], tuple[str, list[str] | None]] = {}
    for s, e, label, score in found:
        s, e = _trim_edges(text, s, min(e, len(text)))
        if e <= s:
            continue
        ls = text.rfind("\n", 0, s) + 1
        le = text.find("\n", e)
        le = len(text) if le < 0 else le
        if (ls, le) not in lines:
            lines[ls, le] = ("".join(c if len(c) == 1 else "\0" for c in map(char_norm, text[ls:le])), None)
        norm, words = lines[ls, le]
        line = text[ls:le]
        span = norm[s - ls:e - ls]
        reason = None
        if _is_litter(line, s - ls, e - ls):
            reason = "litter"
        elif ((_NUMERIC.match(span) and not (label == "Chip" and span.isdigit())) or _DATE.match(span)
              or (label != "Policy" and _DATE_START.match(span))):
            reason = "number"
        elif label not in _GENERIC_OK and _GENERIC_RE.match(span.replace(" ", "")):
            reason = "generic"
        elif _is_person(span, norm[:s - ls], norm[e - ls:]) or _is_latin_person(text[s:e], text[max(0, s - 8):s]):
            reason = "person"
        elif label not in _GENERIC_OK and _is_source(span, norm[e - ls:]):
            reason = "source"
        elif len(span) == 1 or re.search(r"[\u4e00-\u9fff]\s+[\u4e00-\u9fff]", span):   # 興 趣: letter-spaced text
            reason = "fragment"
        elif (_cuts_code(text, s, e) or _unbalanced(text[s:e]) or _QUANTIFIED.match(span)
              or (label == "Company" and _COMPANY_GLUED.search(span))):
            reason = "fragment"
        else:
            if words is None:
                from kg.mentions.ner_features import word_positions

                words = word_positions(norm)
                lines[ls, le] = (norm, words)
            if _cuts_word(words, s - ls, e - ls):
                reason = "fragment"
        out.append((s, e, label, score, reason))
    return out


_CLAUSE_MARK = re.compile(r"[，,。！？!?；;]")


def _is_litter(line: str, s: int, e: int) -> bool:
    """A span in litter: a short line of menu/button words, or a byline/source/caption marker before the
    name in its clause and close to it (来源：X, 記者 X, （圖：X）, 打開網易新聞)."""
    if len(line.strip()) <= 30 and LITTER_WEAK.search(line[:s] + " " * (e - s) + line[e:]):
        return True
    cs = max((m.end() for m in _CLAUSE_MARK.finditer(line, 0, s)), default=0)
    m2 = _CLAUSE_MARK.search(line, e)
    ce = m2.start() if m2 else len(line)
    return any(m.start() < e and s - m.end() <= 12 for m in LITTER_STRONG.finditer(line, cs, ce))


def _trim_edges(text: str, s: int, e: int) -> tuple[int, int]:
    while True:
        s0, e0 = s, e
        while s < e and text[s] in _EDGE:
            s += 1
        while e > s and text[e - 1] in _EDGE:
            e -= 1
        # an opening bracket without its closing one (or the reverse) at an edge
        if e > s and text[e - 1] in _PAIRS and True:
            e -= 1
        if e > s and text[s] in _PAIRS.values():
            s += 1
        if e > s and text[e - 1] in _PAIRS.values():
            opener = next(o for o, c in _PAIRS.items() if c == text[e - 1])
            if opener not in text[s:e - 1]:
                e -= 1
        if e > s and text[s] in _PAIRS and _PAIRS[text[s]] not in text[s + 1:e]:
            s += 1
        if (s, e) == (s0, e0):
            return s, e


def _is_person(span: str, before: str, after: str) -> bool:
    if not (2 <= len(span) <= 3 and all("\u4e00" <= c <= "\u9fff" for c in span) and span[0] in _SURNAMES):
        return False
    return bool(_TITLE_BEFORE.search(before[-8:]) or _SPEECH_AFTER.match(after[:6]))


#: a news outlet or agency by its shape (中央社, 經濟通通訊社, 人民日報), or any name quoted as a source
_MEDIA_SHAPE = re.compile(r"(?:通讯社|新闻社|日报|晚报|时报|周刊|快讯|电视台|新闻|联播|财经|[^公]社)$")
_SOURCE_AFTER = re.compile(r"^\s*(?:[（(][^）)]{0,20}[）)])?\s*(?:报道|报导|引述|援引|获悉|记者|报道称)|"
                           r"^\s*\d{1,2}\s*月\s*\d{1,2}\s*[日号]\s*(?:消息|讯|电|报道)")   # 快科技7月27日消息
#: an English personal name glossing a Chinese one: 雷蒙多(Gina Raimondo), 黃仁勳（Jensen Huang）
_LATIN_PERSON = re.compile(r"^[A-Z][a-z]+(?:[ \-][A-Z][a-z]+){1,2}$")
_ORG_WORD = re.compile(r"\b(?:Inc|Corp|Co|Ltd|Group|Holdings|Capital|Securities|Technolog(?:y|ies)|Semiconductor|Systems|"
                       r"Partners|Ventures|Labs?|Electronics|Micro|Devices|Bank|Fund|Foundation|University|Institute)\b")


def _is_latin_person(span: str, before: str) -> bool:
    return bool(_LATIN_PERSON.match(span) and not _ORG_WORD.search(span)
                and re.search(r"[\u4e00-\u9fff]{2,4}\s*[（(]\s*$", before))


def _is_source(span: str, after: str) -> bool:
    """A media outlet (by its shape) or a name cited as a source (X報道, X援引…): not an industry entity."""
    return bool(_MEDIA_SHAPE.search(span) or _SOURCE_AFTER.match(after[:12]))


#: a company name runs into the kind of thing it makes or the field it is in (騰訊 AI, 平頭哥算力, 飛騰CPU):
#: no company name of the gold or the lexicon ends so (English names may end in AI: Baichuan AI, 01.AI;
#: so may a Chinese one written together: 智譜AI)
_COMPANY_GLUED = re.compile(r"(?:[\u4e00-\u9fff]\s+ai|gpu|cpu|npu|dcu|芯片|晶片|算力|大模型|模型|加速卡|产品|系列)$")


#: a quantifier opens the span (多家雲計算, 數家華為): a noun phrase, not a name
_QUANTIFIED = re.compile(r"^(?:多家|数家|几家|各家|多个|数个|几个|多款|数款|几款|部分|一些|多种|各类|各种)")


def _same_run(a: str, b: str) -> bool:
    """Two adjacent characters of one digit run or one lower-case word (a border between them cuts it;
    H800|GPU, HBM|2E and Deep|Seek are joins of two pieces, not cuts)."""
    return (a.isascii() and b.isascii()) and ((a.isdigit() and b.isdigit()) or (a.islower() and b.islower()))


def _cuts_code(text: str, s: int, e: int) -> bool:
    """Does a border cut a digit run or a lower-case word (兆芯5|000, JM9|231, Ope|nCL), or leave a code's
    last piece hanging after a space (兆芯 3 K, 鯤鵬 3)?"""
    if (s > 0 and _same_run(text[s - 1], text[s])) or (e < len(text) and _same_run(text[e - 1], text[e])):
        return True
    return bool(re.search(r"(?:^|\s)[A-Za-z0-9]$", text[s:e]) and re.search(r"\s", text[s:e])
                and not re.search(r"[A-Za-z0-9]{2,}\s+[A-Za-z0-9]$", text[s:e]))


def _unbalanced(span: str) -> bool:
    """A bracket inside the span without its partner (英特爾(Intel, Kirin)9006C): it cuts a parenthesis."""
    for opener, closer in (("(", ")"), ("（", "）"), ("[", "]"), ("【", "】"), ("《", "》"), ("「", "」")):
        if span.count(opener) != span.count(closer):
            return True
    return False


def _cuts_word(words: list[str], s: int, e: int) -> bool:
    """Does the span start or end inside a jieba dictionary word (not one its HMM put together: names)?"""
    first, last = words[s], words[e - 1]
    return bool((first[:1] in "IE" and first[2:] not in "ns") or (last[:1] in "BI" and last[2:] not in "ns"))
