"""Training of the NER model (`kg train`): annotations in `data/ner/` + augmentation -> `models/ner/`.

The training set is rebuilt from the repo on every run, seeded, so `kg train` reproduces the shipped
model:

* `data/ner/seeds.jsonl`: sentences of the seed articles auto-annotated with the gold surface forms
  (see `data/ner/README.md`), each also seen with its mentions swapped for other names of the same
  class (**mention replacement**, from the lexicon, `data/ner/names.tsv` and shaped synthetic names);
* `data/ner/templates.txt`: the industry's typical sentence shapes filled with names;
* every sentence in Traditional and in its OpenCC Simplified (`t2s`) and Taiwan (`s2twp`) views;
* **lexicon dropout**: a fixed share of each class's names never reaches training (it fills the dev
  set instead), and a share of every fill is a synthetic name, so the model has to read context and
  shape rather than recall names;
* real sentences (``real_gold``, ``silver``): `data/ner/dev_gold.jsonl` (the dev articles' sentences
  annotated from their gold, less ``exclude_docs``), `data/ner/silver.jsonl` (corpus sentences with the
  lexicon's matches; the spans of dropped-out or held-out lexicon entries are always swapped, never
  learnt as written) and `data/ner/litter.jsonl` (hard negatives); see data/ner/make_real_annotations.py.

Feature set "v2" (``TrainConfig.features``; kg/mentions/ner_features.py) adds jieba word positions, a character
class and context cues to the character form and shape of "v1".

The model is a blank `zh` pipeline (character segmenter): a small CNN `tok2vec` (hash embeddings of
the character's Simplified form and shape; width 48, depth 3) and a `tagger` whose labels are the
BILUO entity tags (B-Chip, I-Chip, L-Chip, U-Chip, …, O). `kg.mentions.ner` decodes its per-character
probabilities with a constrained Viterbi (valid BILUO sequences only) into spans, and scores each span
by its tags' probabilities. That beat spaCy's transition-based `ner` on the same features both on
held-out names (dev F 0.85 vs 0.65) and on speed (no per-character transition loop); `parser=True`
still trains one alongside for comparison.
"""
from __future__ import annotations

import json
import random
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

from kg import resources
from kg.mentions.lexicon import Lexicon
from kg.normalize import char_norm, converter, name_key  # noqa: F401  (char_norm: kept importable from here)
from kg.vocabulary import vocabulary

ROOT = resources.checkout()               # training reads the checkout (seeds/, tests/data)
DATA_DIR = resources.ner_data_dir()
DEFAULT_MODEL_DIR = resources.ner_model_dir()
DEFAULT_LEXICON = resources.lexicon_path()
MODEL_NAME = "ner-zh-v1"


def model_name(config: "TrainConfig") -> str:
    """ner-zh-v1 (character form and shape) or ner-zh-v2 (+ word and context features, real sentences)."""
    return MODEL_NAME if config.features == "v1" else f"ner-zh-{config.features}"

#: the model's labels: the entity classes it predicts, in the order of its tags (the ``ner`` column of
#: ontology/classes.tsv, read by kg.vocabulary)
LABELS = vocabulary().ner_labels
#: lexicon class -> label: the class, else its superclass (an InstructionSet trains as an Architecture);
#: classes the model does not predict are absent
LEXICON_CLASS = {cls: cls if cls in LABELS else vocabulary().superclass.get(cls)
                 for cls in vocabulary().lexicon_classes
                 if cls in LABELS or vocabulary().superclass.get(cls) in LABELS}

Span = tuple[int, int, str]


@dataclass
class Example:
    text: str
    spans: list[Span]
    doc: str = ""
    #: spans (as (start, end)) that must never be learnt as written: silver names under lexicon dropout or
    #: of a held-out fold; every use of the sentence swaps them for another name of the class
    force: frozenset = frozenset()


@dataclass(frozen=True)
class TrainConfig:
    """Everything that shapes the model; stored in the model's meta for the record."""

    epochs: int = 16
    width: int = 48
    depth: int = 3
    maxout_pieces: int = 2
    embed_rows: int = 6000
    hidden_width: int = 48
    dropout: float = 0.15
    learn_rate: float = 0.002
    batch_start: int = 8            # sentences per batch, compounding up to batch_end
    batch_end: int = 48
    seed_variants: int = 6          # mention-replaced copies of each seed sentence per epoch
    template_fills: int = 24        # fills of each template per epoch
    negatives: int = 400            # entity-free seed sentences per epoch (at most all of them)
    synthetic_share: float = 0.35   # share of replacement names that are synthetic
    dev_share: float = 0.15         # lexicon dropout: share of each class's names kept out of training
    decoder: str = "viterbi"        # inference spans: "viterbi" (BILUO tagger, constrained decoding) or "ner"
    parser: bool = False            # also train a transition-based `ner` on the shared features
    features: str = "v2"            # "v1": character form + shape; "v2": + jieba word position, context cues (kg/mentions/ner_features.py)
    real_gold: bool = True          # train on data/ner/dev_gold.jsonl (the dev articles' gold names), less exclude_docs
    real_variants: int = 3          # mention-replaced copies of each dev-gold sentence per epoch
    real_negatives: int = 150       # entity-free dev-article sentences per epoch
    silver: int = 1500              # silver corpus sentences per epoch (data/ner/silver.jsonl), sampled
    silver_replace: float = 0.5     # chance that a silver span is swapped for another name of its class


@dataclass
class TrainReport:
    out_dir: Path
    seconds: float
    n_train: int
    n_dev: int
    epochs: int
    dev_scores: dict[str, float]
    size_bytes: int
    log: list[str] = field(default_factory=list)

    def summary(self) -> str:
        f = self.dev_scores
        return (f"trained {self.out_dir} in {self.seconds:.0f}s: {self.epochs} epochs, {self.n_train} sentences/epoch, "
                f"dev (unseen names) P {f.get('p', 0):.2f} R {f.get('r', 0):.2f} F {f.get('f', 0):.2f}; "
                f"{self.size_bytes / 1e6:.1f} MB")


# --------------------------------------------------------------------------------------------- text

# char_norm (the NORM feature), name_key (the project's one name key) and the OpenCC converters live in
# kg.normalize; the names stay importable from here.


def convert_example(ex: Example, config: str) -> Example:
    """The example in another script: each stretch between span borders is converted on its own."""
    conv = converter(config)
    cuts = sorted({0, len(ex.text), *[s for s, _, _ in ex.spans], *[e for _, e, _ in ex.spans]})
    pieces, where = [], {}
    pos = 0
    for a, b in zip(cuts, cuts[1:]):
        where[a] = pos
        piece = conv.convert(ex.text[a:b])
        pieces.append(piece)
        pos += len(piece)
    where[len(ex.text)] = pos
    return Example("".join(pieces), [(where[s], where[e], lab) for s, e, lab in ex.spans], ex.doc)


# --------------------------------------------------------------------------------------------- data

def load_seed_examples(path: Path = DATA_DIR / "seeds.jsonl", exclude_docs: Iterable[str] = ()) -> list[Example]:
    exclude = set(exclude_docs)
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            if d.get("doc") not in exclude:
                out.append(Example(d["text"], [tuple(s) for s in d["spans"]], d.get("doc", "")))
    return out


def load_negatives(path: Path = DATA_DIR / "negatives.jsonl", exclude_docs: Iterable[str] = ()) -> list[Example]:
    if not path.is_file():
        return []
    return [Example(e.text, [], e.doc) for e in load_seed_examples(path, exclude_docs)]


def load_real_examples(path: Path = DATA_DIR / "dev_gold.jsonl", exclude_docs: Iterable[str] = ()
                       ) -> tuple[list[Example], list[Example]]:
    """The dev articles' sentences annotated from their gold (make_real_annotations.py): (with names, without)."""
    if not path.is_file():
        return [], []
    examples = load_seed_examples(path, exclude_docs)
    return [ex for ex in examples if ex.spans], [ex for ex in examples if not ex.spans]


def lexicon_forms(lexicon_path: Path | None = DEFAULT_LEXICON) -> dict[str, list[str]]:
    """Lexicon id -> its surface forms (labels and aliases)."""
    lexicon = _lexicon(lexicon_path)
    return {e.id: list(e.surface_forms) for e in lexicon.entries} if lexicon else {}


def _lexicon(lexicon_path: Path | None) -> Lexicon | None:
    """The lexicon at ``lexicon_path`` (read and checked by kg.mentions.lexicon), None when there is none."""
    return Lexicon.load(lexicon_path) if lexicon_path and Path(lexicon_path).is_file() else None


def load_silver(path: Path = DATA_DIR / "silver.jsonl", banned_ids: Iterable[str] = (), banned_text: str = ""
                ) -> list[Example]:
    """Corpus sentences with the lexicon's matches as spans (make_real_annotations.py). A span of a
    ``banned_ids`` entry (lexicon dropout, or an entry the held-out fold names) or whose name occurs in
    ``banned_text`` is marked ``force``: it is always swapped for another name, never learnt as written."""
    if not path.is_file():
        return []
    banned = set(banned_ids)
    hay = name_key(banned_text) if banned_text else ""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        d = json.loads(line)
        spans, force = [], set()
        for s, e, label, key in d["spans"]:
            spans.append((s, e, label))
            if key in banned or (hay and name_key(d["text"][s:e]) in hay):
                force.add((s, e))
        out.append(Example(d["text"], spans, d.get("doc", ""), frozenset(force)))
    return out


def load_templates(path: Path = DATA_DIR / "templates.txt") -> list[str]:
    return [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()
            if ln.strip() and not ln.startswith("#")]


def load_name_pools(names_path: Path = DATA_DIR / "names.tsv", lexicon_path: Path | None = DEFAULT_LEXICON
                    ) -> dict[str, list[str]]:
    """label -> names, from names.tsv and (when present) the lexicon's labels and aliases."""
    pools: dict[str, dict[str, None]] = {label: {} for label in LABELS}
    for line in names_path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            label, names = line.split("\t", 1)
            for n in names.split("|"):
                if n.strip():
                    pools[label].setdefault(n.strip(), None)
    lexicon = _lexicon(lexicon_path)
    for entry in lexicon.entries if lexicon else ():
        label = LEXICON_CLASS.get(entry.cls)
        if label:
            for n in entry.surface_forms:       # zh_hant, zh_hans, en, aliases
                pools[label].setdefault(n, None)
    return {label: list(names) for label, names in pools.items()}


def restrict_pools(pools: dict[str, list[str]], held_out_text: str, extra_names: Iterable[str] = ()
                   ) -> dict[str, list[str]]:
    """Pools without every name that occurs in ``held_out_text`` (or is one of ``extra_names``)."""
    hay = name_key(held_out_text)
    banned = {name_key(n) for n in extra_names}
    return {label: [n for n in names if name_key(n) not in banned and name_key(n) not in hay]
            for label, names in pools.items()}


def split_pools(pools: dict[str, list[str]], share: float, seed: int) -> tuple[dict, dict]:
    """Lexicon dropout: (train pools, dev pools). Each name goes to dev by a stable hash of (seed, label,
    its name key) below ``share``, so all scripts of a name go together and adding or removing one name
    moves no other name (the split never depends on the pool's size or order)."""
    train, dev = {}, {}
    for label, names in pools.items():
        dev[label] = sorted(n for n in names if unit_hash(seed, "dropout", label, name_key(n) or n) < share)
        chosen = set(dev[label])
        train[label] = sorted(n for n in names if n not in chosen)
    return train, dev


# ------------------------------------------------------------------------------ order-free draws
#
# Every random choice of the training set comes from a generator seeded by a stable hash of what the
# choice is about (the global seed, the epoch, the kind of item, the sentence or template text and the
# copy number), never from one stream consumed in data order: adding a lexicon entry, a template or a
# sentence changes only the draws that involve it.

def stable_hash(*parts) -> int:
    """64-bit hash of ``parts`` (their text), the same in every process and Python (not ``hash``)."""
    import hashlib

    return int.from_bytes(hashlib.blake2b("\x1f".join(map(str, parts)).encode("utf-8"), digest_size=8).digest(), "big")


def unit_hash(*parts) -> float:
    """:func:`stable_hash` as a number in [0, 1)."""
    return stable_hash(*parts) / 2.0 ** 64


def draw_rng(*parts) -> random.Random:
    """A generator of its own for the draws about ``parts``."""
    return random.Random(stable_hash(*parts))


def stable_sample(items: Sequence[Example], k: int, *key) -> list[Example]:
    """``k`` of ``items``: those with the smallest hash of (``key``, text, copy number): an item is picked or
    not whatever the others are (adding one displaces at most one)."""
    seen: dict[str, int] = {}
    ranked = []
    for i, ex in enumerate(items):
        n = seen[ex.text] = seen.get(ex.text, -1) + 1
        ranked.append((stable_hash(*key, ex.doc, ex.text, n), i))
    return [items[i] for _, i in sorted(ranked)[:k]]


class NamePicker:
    """Draws a name of a pool by consistent hashing: every name holds ``points`` places on a unit circle
    at stable hashes of (seed, label, name); a draw u in [0, 1) takes the name at the first place >= u.
    A name added to the pool takes over only the draws that land just before its places (about 1/n of
    them); every other draw keeps its name. The pool's order plays no part."""

    def __init__(self, names: Iterable[str], label: str, seed: int = 0, points: int = 16):
        import bisect

        self._bisect = bisect.bisect_left
        marks = sorted((unit_hash(seed, "pool", label, n, j), n) for n in set(names) for j in range(points))
        self.marks = [m for m, _ in marks]
        self.names = [n for _, n in marks]

    def __bool__(self) -> bool:
        return bool(self.names)

    def pick(self, u: float) -> str:
        i = self._bisect(self.marks, u)
        return self.names[i if i < len(self.names) else 0]


# ------------------------------------------------------------------------------- synthetic names

_NAME_CHARS = ("華芯天海星光鴻昇曦原智微龍騰雲銳創源聯達興瀚思睿諾昆侖壁燧景嘉寒武海兆易象帝登臨彤央"
               "算力深度摩爾沐仞啟明辰宇恒泰安信通訊矽晶晟鯤鵬凌雲九章太極乾坤玄瀾曜宸航盛弘瑞德"
               "中國科電子北京上海深圳蘇杭粵閩湘鄂蜀秦晉遼吉皖贛滇黔桂甬錫豐君和合元一芯核心")
_COMPANY_SUFFIX = ("科技", "智能", "半導體", "微電子", "集成電路", "信息", "電子", "股份", "技術", "智芯",
                   "芯片", "計算", "算力", "科技集團", "微", "芯")
_LATIN_SYL = ("ka", "zen", "ron", "vi", "lo", "tek", "sil", "ix", "ma", "nova", "qu", "lin", "tra", "ver", "on",
              "ar", "del", "sy", "mo", "cor")
_CN_NUM = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十")


def _hz(rng: random.Random, lo: int, hi: int) -> str:
    return "".join(rng.choice(_NAME_CHARS) for _ in range(rng.randint(lo, hi)))


def _latin(rng: random.Random) -> str:
    w = "".join(rng.choice(_LATIN_SYL) for _ in range(rng.randint(2, 3)))
    return w.capitalize() if rng.random() < 0.7 else w.upper()


def _code(rng: random.Random) -> str:
    letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTVWXYZ") for _ in range(rng.randint(1, 4)))
    digits = str(rng.randint(1, 9999))
    sep = rng.choice(("", "", "", "-", " "))
    tail = rng.choice(("", "", "", "X", "S", "Pro", "B", "i", "-X8", "C"))
    return f"{letters}{sep}{digits}{tail}"


def synthetic_name(label: str, rng: random.Random) -> str:
    """A plausibly shaped name of the class that no list holds."""
    r = rng.random()
    if label == "Company":
        if r < 0.2:
            return _latin(rng) + rng.choice(("", " Technology", " Micro", " AI", " Semi"))
        return _hz(rng, 2, 3) + rng.choice(_COMPANY_SUFFIX)
    if label == "Chip":
        if r < 0.45:
            return _code(rng)
        if r < 0.65:
            return _hz(rng, 1, 2) + rng.choice(_CN_NUM) + "號"
        if r < 0.85:
            return _hz(rng, 2, 2) + str(rng.choice((rng.randint(1, 9) * 100 + rng.randint(0, 99), rng.randint(1, 5))))
        return _hz(rng, 2, 2) + rng.choice(("系列", "加速卡", "GPU", "芯片", f"{rng.randint(1, 4)}.0"))
    if label == "Architecture":
        return (_code(rng).split("-")[0][:5] if r < 0.5 else _hz(rng, 2, 2)) + rng.choice(("架構", "架構", ""))
    if label == "SoftwarePlatform":
        if r < 0.5:
            return _latin(rng) + rng.choice(("", "", " SDK", "RT", "Lab"))
        return _hz(rng, 2, 2) + rng.choice(("操作系統", "框架", "軟件平台", "工具鏈", "編譯器", "開發平台"))
    if label == "System":
        if r < 0.4:
            return _latin(rng) + " " + rng.choice(("X1", "900", "NVL36", "Pod", "AGX", str(rng.randint(10, 999))))
        return _hz(rng, 2, 2) + rng.choice(("超級計算機", "服務器", "一體機", "智算集群", "台式機", "號", "工作站"))
    if label == "Market":
        return _hz(rng, 2, 2) + rng.choice(("市場", "領域", "行業", "場景"))
    if label == "Technology":
        if r < 0.4:
            return "".join(rng.choice("ABCDEFGHKLMNPRSTUVWX") for _ in range(rng.randint(2, 5))) + rng.choice(("", "技術", "封裝"))
        return _hz(rng, 2, 3) + rng.choice(("技術", "封裝", "計算", "互聯", "工藝"))
    if label == "Policy":
        return rng.choice(("「{}」", "《{}》", "{}")).format(
            _hz(rng, 2, 4) + rng.choice(("計劃", "規劃", "法案", "工程", "行動計劃", "政策", "管理辦法", "戰略")))
    if label == "GovernmentAgency":
        return rng.choice(("國家", "美國", "", "省", "市")) + _hz(rng, 2, 3) + rng.choice(("部", "局", "委員會", "辦公室", "廳"))
    if label == "ResearchInstitution":
        return _hz(rng, 2, 3) + rng.choice(("大學", "研究院", "實驗室", "研究所", "理工大學"))
    if label == "Exchange":
        return _hz(rng, 2, 2) + rng.choice(("證券交易所", "交易所", "板"))
    if label == "Fund":
        return _hz(rng, 2, 4) + rng.choice(("產業投資基金", "基金", "創投", "資本", "投資基金二期"))
    if label == "Organization":
        return _hz(rng, 2, 4) + rng.choice(("產業聯盟", "協會", "聯盟", "基金會", "工作組", "學會"))
    raise ValueError(label)


#: classes whose new names have a recognisable shape (suffix, code); the others are mostly ordinary
#: words (markets, technologies, policies) and get synthetic names a third as often
SHAPED = {"Company", "Chip", "System", "SoftwarePlatform", "Architecture", "ResearchInstitution", "Fund"}

_FILLERS = {
    "NODE": ("7納米", "5nm", "3納米", "12納米", "14nm", "28納米", "4奈米", "16納米", "7nm", "6納米"),
    "NUM": ("2", "3", "10", "20", "50", "100", "256", "1.5", "30", "8", "64", "1000"),
    "YEAR": ("2019", "2020", "2021", "2022", "2023", "2024", "2025", "2026"),
    "MONTH": ("1", "3", "6", "8", "10", "12"),
    "PRON": ("該公司", "公司", "這家企業", "該企業", "公司方面", "業內人士", "分析師", "公司董事長", "該公司負責人"),
    "THIS": ("該芯片", "這款芯片", "該產品", "新產品", "這款GPU", "該系列產品", "新一代產品", "該加速卡"),
    "PLACE": ("上海", "北京", "深圳", "西安", "杭州", "南京", "成都", "長沙", "美國", "台灣", "合肥", "武漢", "香港"),
}
_SLOT = re.compile(r"\{([A-Za-z]+)(?:#\d)?\}")


class Augmenter:
    """Makes one epoch's sentences: fills templates, swaps mentions, adds script views. Seeded, and every
    item's draws come from a generator of its own (:func:`draw_rng`), keyed by what the item is."""

    def __init__(self, pools: dict[str, list[str]], templates: list[str], config: TrainConfig, seed: int = 0):
        self.pools = pools
        self.pickers = {label: NamePicker(names, label, seed) for label, names in pools.items()}
        self.templates = templates
        self.config = config
        self.seed = seed

    def name(self, label: str, rng: random.Random) -> str:
        picker = self.pickers.get(label)
        share = self.config.synthetic_share if label in SHAPED else self.config.synthetic_share / 3
        if not picker or rng.random() < share:
            return synthetic_name(label, rng)
        return picker.pick(rng.random())

    def fill(self, template: str, rng: random.Random) -> Example:
        out, spans, pos, used = [], [], 0, {}
        for m in _SLOT.finditer(template):
            lit = template[pos:m.start()]
            out.append(lit)
            slot = m.group(0)
            label = m.group(1)
            if label in _FILLERS:
                value = rng.choice(_FILLERS[label])
                out.append(value)
            else:
                value = used.get(slot) or self.name(label, rng)
                used[slot] = value
                start = sum(map(len, out))
                out.append(value)
                spans.append((start, start + len(value), label))
            pos = m.end()
        out.append(template[pos:])
        return Example("".join(out), spans, "template")

    def replace(self, ex: Example, rng: random.Random, p: float = 0.7) -> Example:
        text, spans, shift, pos = [], [], 0, 0
        for s, e, label in sorted(ex.spans):
            text.append(ex.text[pos:s])
            value = self.name(label, rng) if (s, e) in ex.force or rng.random() < p else ex.text[s:e]
            start = s + shift
            spans.append((start, start + len(value), label))
            text.append(value)
            shift += len(value) - (e - s)
            pos = e
        text.append(ex.text[pos:])
        return Example("".join(text), spans, ex.doc)

    def views(self, ex: Example, rng: random.Random) -> list[Example]:
        """Traditional as written + Simplified; a third of the time also the Taiwan view."""
        out = [ex, convert_example(ex, "t2s")]
        if rng.random() < 0.33:
            out.append(convert_example(convert_example(ex, "t2s"), "s2twp"))
        return out

    def epoch(self, seeds: list[Example], negatives: list[Example], key: object,
              real: Sequence[Example] = (), real_negatives: Sequence[Example] = (), silver: Sequence[Example] = (),
              litter: Sequence[Example] = ()) -> list[Example]:
        """One epoch's sentences. ``key`` names the epoch (seed and epoch number); each item's draws come
        from :func:`draw_rng` of (key, kind, doc, text, copy), and the epoch's order is the items' hash
        order, so an item's copies are the same whatever else the data holds."""
        c = self.config
        items: list[tuple[int, Example]] = []

        def add(kind: str, ex: Example, copy: int, made: list[Example]) -> None:
            for v, out in enumerate(made):
                items.append((stable_hash(key, "order", kind, ex.doc, ex.text, copy, v), out))

        def rng(kind: str, ex: Example | str, copy: int) -> random.Random:
            return draw_rng(key, kind, *((ex.doc, ex.text) if isinstance(ex, Example) else ("", ex)), copy)

        def copies(kind: str, group: Sequence[Example], variants: int, p: float = 0.7) -> None:
            count: dict[tuple[str, str], int] = {}
            for ex in group:            # a sentence twice in the data gets copies of its own
                n = count[ex.doc, ex.text] = count.get((ex.doc, ex.text), -1) + 1
                add(kind, ex, n * 1000, self.views(ex, rng(kind, ex, n * 1000)))
                for j in range(1, variants + 1):
                    r = rng(kind, ex, n * 1000 + j)
                    add(kind, ex, n * 1000 + j, [r.choice(self.views(self.replace(ex, r, p), r))])

        def once(kind: str, group: Sequence[Example]) -> None:
            for ex in group:
                r = rng(kind, ex, 0)
                add(kind, ex, 0, [r.choice(self.views(ex, r))])

        copies("seed", seeds, c.seed_variants)
        for t in self.templates:
            for j in range(c.template_fills):
                r = rng("template", t, j)
                ex = r.choice(self.views(self.fill(t, r), r))
                items.append((stable_hash(key, "order", "template", t, j), ex))
        once("negative", stable_sample(negatives, min(c.negatives, len(negatives)), key, "negative"))
        copies("real", real, c.real_variants)
        once("real-negative", stable_sample(real_negatives, min(c.real_negatives, len(real_negatives)), key, "real-negative"))
        for ex in stable_sample(silver, min(c.silver, len(silver)), key, "silver"):
            r = rng("silver", ex, 0)
            add("silver", ex, 0, [r.choice(self.views(self.replace(ex, r, p=c.silver_replace), r))])
        once("litter", litter)
        items.sort(key=lambda item: item[0])
        return [ex for _, ex in items]


# --------------------------------------------------------------------------------------------- model

def make_nlp(config: TrainConfig):
    """Blank `zh` (character segmenter): a shared CNN `tok2vec`, the `ner` (spans) and a BILUO `tagger`
    head on the same features (per-character tag probabilities: the mention's confidence)."""
    import spacy

    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "char"}}})
    from kg.mentions.ner_features import install_norms

    install_norms(nlp, config.features)
    attrs, rows = ["NORM", "SHAPE"], [config.embed_rows, 250]
    if config.features == "v2":
        from kg.mentions import ner_features

        nlp.add_pipe(ner_features.COMPONENT)
        attrs, rows = attrs + ["LEMMA", "MORPH"], rows + [500, 1000]
    nlp.add_pipe("tok2vec", config={"model": {
        "@architectures": "spacy.Tok2Vec.v2",
        "embed": {"@architectures": "spacy.MultiHashEmbed.v2", "width": config.width,
                  "attrs": attrs, "rows": rows, "include_static_vectors": False},
        "encode": {"@architectures": "spacy.MaxoutWindowEncoder.v2", "width": config.width,
                   "depth": config.depth, "window_size": 1, "maxout_pieces": config.maxout_pieces},
    }})
    listener = {"@architectures": "spacy.Tok2VecListener.v1", "width": config.width, "upstream": "tok2vec"}
    if config.parser:
        ner = nlp.add_pipe("ner", config={"model": {
            "@architectures": "spacy.TransitionBasedParser.v2", "state_type": "ner", "extra_state_tokens": False,
            "hidden_width": config.hidden_width, "maxout_pieces": 2, "use_upper": True, "nO": None, "tok2vec": listener}})
        for label in LABELS:
            ner.add_label(label)
    tagger = nlp.add_pipe("tagger", config={"model": {
        "@architectures": "spacy.Tagger.v2", "nO": None, "normalize": True, "tok2vec": listener}})
    for tag in BILUO_TAGS:
        tagger.add_label(tag)
    return nlp


BILUO_TAGS = ("O",) + tuple(f"{p}-{label}" for label in LABELS for p in "BILU")


def to_spacy_example(nlp, ex: Example):
    from spacy.training import Example as SpacyExample
    from spacy.training import offsets_to_biluo_tags

    doc = nlp.make_doc(ex.text)
    if "kg_features" in nlp.pipe_names:
        from kg.mentions.ner_features import set_features

        set_features(doc)
    ents = []
    for s, e, label in ex.spans:
        span = doc.char_span(s, e, label=label, alignment_mode="expand")
        if span is not None:
            ents.append(span)
    offsets = [(sp.start_char, sp.end_char, sp.label_) for sp in _non_overlapping(ents)]
    tags = offsets_to_biluo_tags(doc, offsets)
    return SpacyExample.from_dict(doc, {"entities": offsets, "tags": tags})


def _non_overlapping(spans):
    out, last = [], -1
    for sp in sorted(spans, key=lambda s: (s.start, -s.end)):
        if sp.start >= last:
            out.append(sp)
            last = sp.end
    return out


def score_spans(pred: list[list[Span]], gold: list[list[Span]]) -> dict[str, float]:
    tp = fp = fn = 0
    for p, g in zip(pred, gold):
        ps, gs = set(p), set(g)
        tp += len(ps & gs)
        fp += len(ps - gs)
        fn += len(gs - ps)
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    return {"p": prec, "r": rec, "f": 2 * prec * rec / (prec + rec) if prec + rec else 0.0}


def _held_out_calibration() -> list[list[float]]:
    """The second calibration stage measured on held-out articles (data/ner/calibration.json), if any."""
    path = DATA_DIR / "calibration.json"
    return json.loads(path.read_text(encoding="utf-8"))["steps"] if path.is_file() else []


def held_out_threshold() -> float | None:
    """The confidence threshold chosen on the held-out articles' mentions (data/ner/calibration.json), if any."""
    path = DATA_DIR / "calibration.json"
    return json.loads(path.read_text(encoding="utf-8")).get("threshold") if path.is_file() else None


def fit_calibration(scored: list[tuple[float, bool]], bins: int = 20) -> list[list[float]]:
    """Isotonic (pool-adjacent-violators) map raw beam score -> precision, as [upper bound, value] steps."""
    scored = sorted(scored)
    if not scored:
        return [[1.0, 0.5]]
    size = max(1, len(scored) // bins)
    blocks = []
    for i in range(0, len(scored), size):
        chunk = scored[i:i + size]
        blocks.append([chunk[-1][0], sum(ok for _, ok in chunk), len(chunk)])
    merged: list[list[float]] = []
    for b in blocks:
        merged.append(b)
        while len(merged) > 1 and merged[-2][1] / merged[-2][2] > merged[-1][1] / merged[-1][2]:
            hi, k, n = merged.pop()
            merged[-1] = [hi, merged[-1][1] + k, merged[-1][2] + n]
    steps = [[b[0], round((b[1] + 1) / (b[2] + 2), 4)] for b in merged]  # Laplace-smoothed precision
    for i in range(1, len(steps)):  # smoothing may undo the order of small blocks: keep it monotone
        steps[i][1] = max(steps[i][1], steps[i - 1][1])
    steps[-1][0] = 1.0
    return steps


# ------------------------------------------------------------------------------------------ training

def train(out_dir: Path | str = DEFAULT_MODEL_DIR, seed: int = 0, *, config: TrainConfig | None = None,
          exclude_docs: Sequence[str] = (), held_out_text: str = "", lexicon_path: Path | None = DEFAULT_LEXICON,
          progress: Callable[[str], None] | None = None) -> TrainReport:
    """Build the training set from `data/ner/`, train, calibrate on the dev set, write the model to ``out_dir``.

    ``exclude_docs``/``held_out_text`` serve the held-out evaluation: their sentences leave the training
    set and every name occurring in ``held_out_text`` leaves the name pools and the lexicon.
    """
    import spacy
    from spacy.util import compounding, fix_random_seed, minibatch

    from kg.mentions.ner import NerModel

    config = config or TrainConfig()
    say = progress or (lambda msg: None)
    t0 = time.perf_counter()
    fix_random_seed(seed)

    seeds = load_seed_examples(exclude_docs=exclude_docs)
    negatives = load_negatives(exclude_docs=exclude_docs)
    templates = load_templates()
    pools = load_name_pools(lexicon_path=lexicon_path)
    if held_out_text:
        pools = restrict_pools(pools, held_out_text)
    train_pools, dev_pools = split_pools(pools, config.dev_share, seed)
    real, real_negatives, silver, litter = [], [], [], []
    if config.real_gold:
        real, real_negatives = load_real_examples(exclude_docs=exclude_docs)
    if config.silver:
        # lexicon dropout on the silver labels: an entry with a name in the dev pools is never learnt from
        # the corpus as written (nor are the entries the held-out text names); its names leave the pools
        forms = lexicon_forms(lexicon_path)
        dev_keys = {name_key(n) for names in dev_pools.values() for n in names}
        hay = name_key(held_out_text) if held_out_text else ""
        dropped = {i for i, fs in forms.items() if any(name_key(f) in dev_keys for f in fs)}
        held = {i for i, fs in forms.items() if hay and any(name_key(f) and name_key(f) in hay for f in fs)}
        silver = load_silver(banned_ids=dropped | held, banned_text=held_out_text)
        litter = load_negatives(DATA_DIR / "litter.jsonl")
        drop = {name_key(f) for i in dropped for f in forms[i]}
        train_pools = {label: [n for n in names if name_key(n) not in drop] for label, names in train_pools.items()}
    real_data = {"real": real, "real_negatives": real_negatives, "silver": silver, "litter": litter}
    augment = Augmenter(train_pools, templates, config, seed)
    dev_augment = Augmenter(dev_pools, templates, TrainConfig(synthetic_share=0.5), seed)
    # the dev set (names the model never saw): its draws keyed by what each sentence is, as the epochs'
    dev = [dev_augment.fill(t, draw_rng(seed, "dev", "template", t, j)) for t in templates for j in range(2)]
    dev += [dev_augment.replace(ex, draw_rng(seed, "dev", "seed", ex.doc, ex.text, i), p=1.0) for i, ex in enumerate(seeds)]
    # a quarter of the real entity-free prose (by a hash of its text): false positives there shape the calibration
    held_negative = [stable_hash(seed, "dev", "negative", ex.doc, ex.text) % 4 == 0 for ex in negatives]
    dev += [ex for ex, held in zip(negatives, held_negative) if held]
    negatives = [ex for ex, held in zip(negatives, held_negative) if not held]
    dev = [convert_example(ex, "t2s") if stable_hash(seed, "dev", "script", ex.text) % 2 else ex for ex in dev]

    nlp = make_nlp(config)
    first = augment.epoch(seeds, negatives, f"{seed}:0", **real_data)
    examples = [to_spacy_example(nlp, ex) for ex in first]
    optimizer = nlp.initialize(lambda: examples[:500])
    optimizer.learn_rate = config.learn_rate
    log = []
    n_train = len(examples)
    for epoch in range(config.epochs):
        if epoch:
            examples = [to_spacy_example(nlp, ex) for ex in augment.epoch(seeds, negatives, f"{seed}:{epoch}", **real_data)]
        losses: dict[str, float] = {}
        for batch in minibatch(examples, size=compounding(config.batch_start, config.batch_end, 1.01)):
            nlp.update(batch, drop=config.dropout, sgd=optimizer, losses=losses)
        line = f"epoch {epoch + 1}/{config.epochs}: loss " + " ".join(f"{k} {v:.1f}" for k, v in sorted(losses.items()))
        log.append(line)  # no timings in the stored log: the model directory must be byte-reproducible
        say(f"{line} ({time.perf_counter() - t0:.0f}s)")

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out_dir)
    # calibrate the beam scores on the dev set (names the model never saw), then store with the model
    gold = [[tuple(s) for s in ex.spans] for ex in dev]
    all_scores, calibration = {}, []
    for decoder in ("viterbi", "ner") if config.parser else ("viterbi",):
        model = NerModel.from_nlp(nlp, name=f"model:{model_name(config)}", decoder=decoder)
        raw = model.predict_raw([ex.text for ex in dev])
        scored, preds = [], []
        for found, g in zip(raw, gold):
            gs = set(g)
            preds.append([(s, e, lab) for s, e, lab, _ in found])
            scored.extend((score, (s, e, lab) in gs) for s, e, lab, score in found)
        all_scores[decoder] = score_spans(preds, gold)
        if decoder == config.decoder:
            calibration = fit_calibration(scored)
    dev_scores = all_scores[config.decoder]
    say(f"dev (unseen names): " + "; ".join(f"{d} P {v['p']:.2f} R {v['r']:.2f} F {v['f']:.2f}" for d, v in all_scores.items()))
    meta = {
        "name": f"model:{model_name(config)}", "labels": list(LABELS), "seed": seed, "config": config.__dict__,
        "calibration": calibration, "dev": all_scores, "n_train": n_train, "n_dev": len(dev),
        "exclude_docs": list(exclude_docs), "log": log,
        "data": {k: len(v) for k, v in real_data.items()} | {"seeds": len(seeds), "negatives": len(negatives),
                                                             "templates": len(templates)},
        "held_out_calibration": _held_out_calibration(),
    }
    if held_out_threshold() is not None:
        meta["min_confidence"] = held_out_threshold()
    (out_dir / "kg-ner.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                                         encoding="utf-8")
    size = sum(p.stat().st_size for p in out_dir.rglob("*") if p.is_file())
    return TrainReport(out_dir, time.perf_counter() - t0, n_train, len(dev), config.epochs, dev_scores, size, log)



# ------------------------------------------------------------------------------------ relation model

def train_relations(out_dir: Path | str | None = None, seed: int = 0, progress: Callable[[str], None] | None = None):
    """The relation model (kg/claims/relation_model.py) from the seed gold, every dev article's gold and the rule
    cases -> ``out_dir`` (default ``models/rel``); see kg/training/relation_training.py. Deterministic per seed."""
    from kg.training.relation_training import train as train_relation_model

    return train_relation_model(out_dir, seed=seed, progress=progress)
