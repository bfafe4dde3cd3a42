"""Review queue for `kg candidates`: entities only the NER model found, and their promotion into the lexicon.

    from kg.candidates import candidates, promote
    for c in candidates("exports/graph.ttl"):
        print(c.id, c.cls, c.documents, c.confidence, c.examples)
    row = promote("exports/graph.ttl", "天垓150", write=True)   # appends a row to ontology/lexicon.tsv

A candidate is an entity whose every ``kg:foundBy`` value starts with ``model:``. Its numbers come from
the graph alone: the type-assertion evidence records the model left (``rdf:predicate rdf:type``, one per
sentence), their documents and confidences. Promotion turns the entity's labels and class into a
lexicon row, so the next `kg rebuild` finds the name by rules (source ``lexicon``) and it leaves the queue.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from kg import resources
from kg.errors import ConfigError, InputError
from kg.mentions.ner_features import jieba_tokenizer
from kg.model import is_a
from kg.namespaces import ID_NS as ID
from kg.namespaces import KG_NS as KG
from kg.namespaces import RDF_PREDICATE, RDF_SUBJECT, RDF_TYPE, RDFS_LABEL
from kg.namespaces import SKOS_ALT_LABEL as SKOS_ALT

DEFAULT_GRAPH = Path("exports/graph.ttl")
DEFAULT_LEXICON = resources.lexicon_path()
_LEX_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")


@dataclass(frozen=True)
class Candidate:
    id: str                              # local name of the entity IRI
    cls: str                             # kg class local name
    labels: dict[str, str]               # language -> rdfs:label
    alt_labels: tuple[str, ...]
    mentions: int                        # evidence records (sentences) of the model's type assertion
    documents: tuple[str, ...]           # file names
    confidence: float                    # highest confidence among those records
    examples: tuple[tuple[str, str], ...]  # up to two (file name, sentence)
    found_by: tuple[str, ...]
    flags: tuple[str, ...] = ()          # why it is probably not a name (see junk_flags); listed last

    @property
    def label(self) -> str:
        return self.labels.get("zh-Hant") or self.labels.get("zh-Hans") or self.labels.get("en") or self.id

    def as_dict(self) -> dict:
        return {"id": self.id, "class": self.cls, "label": self.label, "labels": self.labels,
                "alt_labels": list(self.alt_labels), "mentions": self.mentions, "documents": list(self.documents),
                "confidence": self.confidence, "found_by": list(self.found_by), "flags": list(self.flags),
                "examples": [{"document": d, "sentence": s} for d, s in self.examples]}


def _load(graph_path: Path):
    import rdflib

    graph_path = Path(graph_path)
    if not graph_path.is_file():
        raise InputError(f"graph not found: {graph_path} (run `kg rebuild` first, or pass --graph)")
    fmt = {".ttl": "turtle", ".nt": "nt", ".nq": "nquads", ".trig": "trig"}.get(graph_path.suffix, "turtle")
    g = rdflib.Graph()
    try:
        g.parse(graph_path, format=fmt)
    except Exception as error:  # rdflib raises many types for a malformed file
        raise InputError(f"cannot read graph {graph_path}: {error}") from error
    return g


def candidates(graph_path: Path | str = DEFAULT_GRAPH, *, min_confidence: float = 0.0,
               review_order: bool = True) -> list[Candidate]:
    """Entities found only by the model, most worth reviewing first.

    Order: unflagged before flagged (``Candidate.flags``: the structural signs of a fragment, a generic
    word or litter, see :func:`junk_flags`), then more documents, more mentions, higher confidence, then
    label (so the order is stable). ``review_order=False`` skips the flags (plain counts order).
    """
    from rdflib import URIRef

    g = _load(Path(graph_path))
    q_found = URIRef(KG + "foundBy")
    found: dict[URIRef, list[str]] = {}
    for s, o in g.subject_objects(q_found):
        found.setdefault(s, []).append(str(o))
    out = []
    sentences: dict[str, list[str]] = {}
    for s, sources in found.items():
        if not sources or not all(src.startswith("model:") for src in sources):
            continue
        cls = next((str(o).rsplit("#", 1)[-1] for o in g.objects(s, URIRef(RDF_TYPE)) if str(o).startswith(KG)), "")
        labels = {o.language or "": str(o) for o in g.objects(s, URIRef(RDFS_LABEL))}
        alts = tuple(sorted(str(o) for o in g.objects(s, URIRef(SKOS_ALT))))
        records = []
        for ev in g.subjects(URIRef(RDF_SUBJECT), s):
            if str(g.value(ev, URIRef(RDF_PREDICATE))) != RDF_TYPE:
                continue
            doc = g.value(ev, URIRef(KG + "document"))
            name = g.value(doc, URIRef(KG + "fileName")) if doc is not None else None
            conf = g.value(ev, URIRef(KG + "confidence"))
            records.append((str(name or (doc or "")), str(g.value(ev, URIRef(KG + "sentence")) or ""),
                            float(conf) if conf is not None else 0.0))
        docs = {str(g.value(d, URIRef(KG + "fileName")) or d) for d in g.objects(s, URIRef(KG + "mentionedIn"))}
        docs |= {r[0] for r in records if r[0]}
        confidence = max((r[2] for r in records), default=0.0)
        if confidence < min_confidence:
            continue
        # two examples: the most confident sentence, then the best one from another document if any
        ranked = sorted(records, key=lambda r: (-r[2], r[0], r[1]))
        examples = ranked[:1]
        other = [r for r in ranked[1:] if not examples or r[0] != examples[0][0]] or ranked[1:]
        examples += other[:1]
        local = str(s)[len(ID):] if str(s).startswith(ID) else str(s).rsplit("/", 1)[-1]
        out.append(Candidate(local, cls, labels, alts, len(records), tuple(sorted(docs)), round(confidence, 4),
                             tuple((d, sent) for d, sent, _ in examples), tuple(sorted(sources))))
        sentences[local] = sorted({r[1] for r in records if r[1]})
    if review_order:
        known = _known_names(g, found)
        out = [_with_flags(c, sentences[c.id], known) for c in out]
    out.sort(key=lambda c: (bool(c.flags), -len(c.documents), -c.mentions, -c.confidence, c.label, c.id))
    return out


def table(cands: list[Candidate], *, width: int = 60) -> str:
    """A plain-text review list: one header line per candidate and its example sentences."""
    if not cands:
        return "no candidates: every entity in the graph is known to the lexicon or the patterns"
    lines = []
    for c in cands:
        lines.append(f"{c.id}\t{c.cls}\t{c.label}\tmentions {c.mentions}\tdocuments {len(c.documents)}\t"
                     f"confidence {c.confidence:.2f}" + (f"\tflags {','.join(c.flags)}" if c.flags else ""))
        for doc, sentence in c.examples:
            s = sentence if len(sentence) <= width else sentence[:width - 1] + "…"
            lines.append(f"    {doc}: {s}")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------- review order
#
# The model also tags pieces of words, generic nouns and page litter. Nothing here knows a particular
# string: each rule reads the shape of the name or of the sentences it was found in, and a flag only
# moves the candidate down the list (it stays listed, with its flags, for the reviewer to overrule).
# A sentence-context flag needs every sentence of the candidate to show it, so one clean sentence clears it.

def _proper_name_class(cls: str) -> bool:
    """Organisations and products have proper names: a plain dictionary word is not one of them (Market,
    Technology and Policy names often are ordinary words: 金融, 封裝, 出口管制)."""
    return is_a(cls, "Organization") or is_a(cls, "Product")


#: function characters a name does not start or end with (particles, conjunctions, prepositions, copula)
_BAD_START = frozenset("的了与及或等把被对从向将也都就而并又还在")
_BAD_END = frozenset("的了和与及或等在是说称将把被从向对也都就而并又于为")
#: jieba parts of speech of ordinary words (not nr/ns/nt/nz person, place, organisation, other proper names)
_COMMON_POS = frozenset({"n", "v", "vn", "a", "ad", "an", "d", "i", "l", "m", "q", "r", "t", "f", "s", "b", "z", "vd"})
#: an organisation's or a place's head word right after the span: the name goes on (…中心, …大街, …聯合證券)
_HEAD_AFTER = re.compile(r"^[\u4e00-\u9fff]{0,2}?(?:中心|研究院|研究所|实验室|大学|学院|大街|大道|证券|银行|基金管理|"
                         r"资本局)")
#: a product head right after a name that is not itself a product or a maker: a modifier (…芯片, …加速卡)
_PRODUCT_AFTER = re.compile(r"^(?:芯片|晶片|处理器|加速卡|加速器|服务器|模组|产品)")
#: characters that jieba's HMM glues to a following new word (由西雲…): not part of the name
_GLUE = frozenset("由在与和及从向对把被将为于的了是等经让给据")
#: a legal-form or organisation head ending the name: 平安集團 is a name even though 平安 is a word
_ORG_HEAD = re.compile(r"(?:公司|集团|股份|控股|科技|资本|基金|证券|银行|研究院|研究所|实验室|大学|学院|协会|联盟|组织)$")
#: the name quoted as a source: X報導, 據X消息, 綜合A、B等報導, 《X》報導, X 7月25日消息
_SOURCE_AFTER = re.compile(r"^[》」』”\"]?\s*(?:[（(][^）)]{0,20}[）)])?\s*"
                           r"(?:(?:[、,，和及与]\s*[^、,，。；;\s]{1,12}){0,5}?\s*等)?\s*(?:的|等)?\s*"
                           r"(?:媒体|新闻|网站)?\s*(?:报道|报导|引述|援引|获悉|报道称|授权|消息称)|"
                           r"^\S{0,2}\d{1,2}\s*月\s*\d{1,2}\s*[日号]\s*(?:消息|讯|电|报道)|"
                           r"^新闻\s*(?:$|[|｜:：\s])")
#: a news outlet by its shape
_MEDIA_SHAPE = re.compile(r"(?:通讯社|新闻社|日报|晚报|时报|周刊|快讯|电视台|新闻网|新闻)$")
#: an English personal name glossing a Chinese one in brackets: 某某（Jane Doe）, 某某（中，John Roe）
_LATIN_PERSON = re.compile(r"^[A-Z][a-z]+(?:[ \-][A-Z][a-z]+){1,2}$")
_ORG_WORD = re.compile(r"\b(?:Inc|Corp|Co|Ltd|Group|Holdings|Capital|Securities|Technolog(?:y|ies)|Semiconductor|"
                       r"Systems|Partners|Ventures|Labs?|Electronics|Micro|Devices|Bank|Fund|Foundation|University|"
                       r"Institute|Alpha|Mountain)\b")
#: page furniture in a sentence: image placeholders, tag and category labels, share and menu words
_LITTER = re.compile(r"(?i)(?<![a-z])(?:alt not available|editorial team|read more)(?![a-z])|"
                     r"^\s*(?:categories|tags?|share|menu|home|related)\s*[:：]|打开\S{0,4}查看|点击查看|返回搜狐|责任编辑")
#: an event (a conference, a contest) named right before or after: 開發者大會(X), X數學競賽
_EVENT_BEFORE = re.compile(r"(?:大会|论坛|峰会|博览会|展览会|研讨会|发布会|竞赛|大赛|比赛)\s*[（(]?\s*$")
_EVENT_AFTER = re.compile(r"^\s*[\u4e00-\u9fff]{0,3}?(?:大会|论坛|峰会|博览会|研讨会|竞赛|大赛|比赛)")
#: a capitalised word (a surname) followed by what follows a person: X團隊, X教授
_PERSON_AFTER = re.compile(r"^\s*(?:团队|教授|博士|先生|女士|夫妇|本人)")
#: …or preceded by a kinship word or a person's title: 兒子X, 科學家(X)
_PERSON_BEFORE = re.compile(r"(?:儿子|女儿|妻子|丈夫|父亲|母亲|总裁|董事长|创始人|教授|科学家|研究员|经理|主席|部长|记者)"
                            r"\s*[（(]?\s*$")
_ALNUM = re.compile(r"[A-Za-z0-9]")
_HAN = re.compile(r"[\u4e00-\u9fff]")


@lru_cache(maxsize=1)
def _pos_tags() -> dict[str, str]:
    """Part of speech of each word in jieba's shipped dictionary (``word freq tag`` lines)."""
    import jieba

    tags: dict[str, str] = {}
    path = Path(jieba.__file__).parent / "dict.txt"
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 3:
                tags[parts[0]] = parts[2]
    return tags


def _fold(text: str) -> str:
    """Simplified, NFKC, lower case, one character for one (offsets into the fold are offsets into text)."""
    from kg.normalize import char_norm

    out = []
    for ch in text:
        n = char_norm(ch)
        out.append(n if len(n) == 1 else ch)
    return "".join(out)


def _words(folded: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for word in jieba_tokenizer().cut(folded, HMM=True):
        spans.append((pos, pos + len(word)))
        pos += len(word)
    return spans


def name_flags(name: str, cls: str) -> list[str]:
    """Flags read from the string alone: ``edge`` (starts or ends with a function character, or holds 的),
    ``word`` (a proper-name class given one ordinary dictionary word, e.g. a generic noun)."""
    folded = _fold(name).strip()
    flags = []
    if folded and (folded[0] in _BAD_START or folded[-1] in _BAD_END or "的" in folded[1:-1]):
        flags.append("edge")
    if _proper_name_class(cls) and re.fullmatch(r"[a-z]股", folded):
        flags.append("word")            # a share class (A股, H股), not a market or an exchange
    elif _proper_name_class(cls) and _HAN.search(folded) and not _ORG_HEAD.search(folded):
        tags = _pos_tags()
        parts = [folded[a:b] for a, b in _words(folded)]
        if tags.get(folded) in _COMMON_POS:
            flags.append("word")        # one ordinary word: 編譯器, 科技股
        elif (cls != "Exchange" and len(parts) == 2 and len(parts[0]) == 1 and _HAN.match(parts[0])
              and tags.get(parts[1]) in _COMMON_POS):
            # one character glued to an ordinary word (上+半導體); an exchange's one-character place
            # abbreviation + board (滬+主板) is that class's usual shape
            flags.append("word")
        elif len(parts) == 2 and len(folded) <= 4 and all(len(w) == 2 and tags.get(w) in _COMMON_POS for w in parts):
            flags.append("word")        # two ordinary words, no name among them: an idiom or a phrase
    return flags


def sentence_flags(name: str, sentence: str, known: list[str] = (), cls: str = "") -> set[str] | None:
    """Flags of one sentence for the name found in it, or None when the name does not occur there.

    ``cut``: every occurrence starts or ends inside a word (a jieba word, or a run of Latin letters and
    digits); ``part``: inside or across a known name (``known``: folded names of entities the rules found);
    ``longer``: an organisation or place head follows (the name goes on); ``source``: cited as a news
    source; ``person``: an English personal name glossing a Chinese one; ``litter``: the sentence is page
    furniture (image placeholders, tag lines, share buttons).
    """
    fs, fn = _fold(sentence), _fold(name).strip()
    if not fn:
        return None
    starts = [m.start() for m in re.finditer(re.escape(fn), fs)]
    if not starts:
        return None
    words = None
    per_occurrence = []
    for s in starts:
        e = s + len(fn)
        flags = set()
        before, after = fs[max(0, s - 12):s], fs[e:e + 24]
        if (_ALNUM.match(fn[0]) and re.search(r"[A-Za-z0-9][.\-]?$|[A-Za-z0-9] $", before)) or \
           (_ALNUM.match(fn[-1]) and re.match(r"^(?:[.\-]?[A-Za-z0-9])", after)) or \
           (_ALNUM.match(fn[-1]) and e == len(fs.rstrip()) and not fs.rstrip()[-1:] in "。！？!?.；;）)」』”\""):
            flags.add("cut")            # inside a run of letters and digits, or where the text was cut off
        else:
            if words is None:
                words = _words(fs)
            tk = jieba_tokenizer()
            for a, b in words:
                if b - a > 1 and (a < s < b or a < e < b):
                    outside = fs[a:s] if a < s < b else fs[e:b]
                    if tk.FREQ.get(fs[a:b]) or not set(outside) <= _GLUE:
                        flags.add("cut")
                        break
        for k in known:
            i = fs.find(k)
            while i >= 0:
                j = i + len(k)
                if i < e and s < j and (i < s or j > e) and not (i >= s and j <= e):
                    flags.add("part")
                    break
                i = fs.find(k, i + 1)
            if "part" in flags:
                break
        if _HEAD_AFTER.match(after) or ((is_a(cls, "Market") or is_a(cls, "Technology")) and _PRODUCT_AFTER.match(after)):
            flags.add("longer")
        if _EVENT_BEFORE.search(before) or _EVENT_AFTER.match(after):
            flags.add("event")
        if re.fullmatch(r"[A-Z][a-z]+", name.strip()) and (_PERSON_AFTER.match(after) or _PERSON_BEFORE.search(before)):
            flags.add("person")
        if "的" in fn and fs[s - 1:s] == "《" and fs[e:e + 1] == "》":
            flags.add("titled")         # 的 inside a 《title》 is part of the name
        if _SOURCE_AFTER.match(after) or (_MEDIA_SHAPE.search(fn) and not _ORG_HEAD.search(fn)):
            flags.add("source")
        if _LATIN_PERSON.match(name.strip()) and not _ORG_WORD.search(name) and \
                re.search(r"[（(][^）)]{0,4}$", before):
            flags.add("person")
        per_occurrence.append(flags)
    common = set.intersection(*per_occurrence)
    if _LITTER.search(sentence):
        common.add("litter")
    return common


def junk_flags(name: str, cls: str, sentences: list[str], known: list[str] = ()) -> tuple[str, ...]:
    """Why ``name`` (class ``cls``) is probably a fragment, a generic word or litter; () when nothing says so.

    String flags (:func:`name_flags`) hold on their own; a sentence flag (:func:`sentence_flags`) holds
    when every sentence the name was found in shows it.
    """
    flags = set(name_flags(name, cls))
    seen = [f for f in (sentence_flags(name, s, known, cls) for s in sentences) if f is not None]
    if any("titled" in f for f in seen):
        flags.discard("edge")
    if seen:
        flags |= set.intersection(*seen) - {"titled"}
    return tuple(sorted(flags))


def _known_names(g, found) -> list[str]:
    """Folded labels of the entities some rule found (not only the model): what a fragment is cut from."""
    from rdflib import URIRef

    names = set()
    for s, sources in found.items():
        if all(src.startswith("model:") for src in sources):
            continue
        for p in (RDFS_LABEL, SKOS_ALT):
            for o in g.objects(s, URIRef(p)):
                f = _fold(str(o)).strip()
                if len(f) >= 2:
                    names.add(f)
    return sorted(names, key=lambda x: (-len(x), x))


def _with_flags(c: Candidate, sentences: list[str], known: list[str]) -> Candidate:
    # the sentence may be in either script; the fold makes both one string, so the label is enough
    own = _fold(c.label).strip()
    return replace(c, flags=junk_flags(c.label, c.cls, sentences, [k for k in known if k != own]))


# ----------------------------------------------------------------------------------------- promotion

def _ascii_id(c: Candidate) -> str:
    base = c.labels.get("en") or c.id
    ident = re.sub(r"[^A-Za-z0-9]+", "-", base).strip("-")
    if not ident or not ident[0].isalpha() or not _LEX_ID.match(ident):
        # no ASCII name: a readable id from the class and the code points is still stable and valid
        ident = f"{c.cls}-" + "-".join(f"{ord(ch):x}" for ch in c.label if not ch.isspace())[:60]
    return ident


def lexicon_row(c: Candidate, taken_ids: set[str] = frozenset()) -> list[str]:
    """The lexicon row for a candidate: id, class, en, zh_hant, zh_hans, aliases."""
    from kg.normalize import default_normalizer

    normalizer = default_normalizer()
    hant = c.labels.get("zh-Hant", "")
    hans = c.labels.get("zh-Hans", "")
    en = c.labels.get("en", "")
    if not (hant or hans) and not en:
        hant = c.label
    if hant and not hans:
        hans = normalizer.to_simplified(hant)
    if hans and not hant:
        hant = normalizer.to_traditional(hans)
    main = {hant, hans, en}
    aliases = [a for a in c.alt_labels if a not in main]
    ident = _ascii_id(c)
    base, n = ident, 2
    while ident in taken_ids:
        ident, n = f"{base}-{n}", n + 1
    return [ident, c.cls, en, hant, hans, "|".join(aliases)]


def promote(graph_path: Path | str, entity_id: str, *, lexicon_path: Path | str = DEFAULT_LEXICON,
            cls: str | None = None, write: bool = True) -> str:
    """Append the candidate ``entity_id`` (its IRI local name) to the lexicon; return the TSV row.

    ``cls`` overrides the model's class (a reviewer's correction). With ``write=False`` nothing changes:
    the row is only returned, to be pasted by hand. Refuses names the lexicon already has.
    """
    from kg.mentions.lexicon import Lexicon
    from kg.normalize import default_normalizer

    name_key = default_normalizer().key   # the same key the resolver and the lexicon checks use
    found = {c.id: c for c in candidates(graph_path)}
    c = found.get(entity_id)
    if c is None:
        raise InputError(f"no model-only entity {entity_id!r} in {graph_path}; `kg candidates` lists them")
    if cls:
        from kg.vocabulary import vocabulary

        allowed = vocabulary().lexicon_classes
        if cls not in allowed:
            raise ConfigError(f"unknown class {cls!r}; use one of {', '.join(allowed)}")
        c = Candidate(c.id, cls, c.labels, c.alt_labels, c.mentions, c.documents, c.confidence, c.examples, c.found_by)
    lexicon_path = Path(lexicon_path)
    lexicon = Lexicon.load(lexicon_path)
    text = lexicon_path.read_text(encoding="utf-8")
    known = {name_key(form): entry.id for entry in lexicon.entries for form in entry.surface_forms}
    row = lexicon_row(c, set(lexicon.by_id))
    for name in (row[2], row[3], row[4], *row[5].split("|")):
        if name and name_key(name) in known:
            raise ConfigError(f"{name!r} is already in the lexicon (entry {known[name_key(name)]}); edit that row instead")
    line = "\t".join(row)
    if write:
        with lexicon_path.open("a", encoding="utf-8") as fh:
            if text and not text.endswith("\n"):
                fh.write("\n")
            fh.write(line + "\n")
    return line
