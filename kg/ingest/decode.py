"""Bytes to text: detect the encoding of one input file, never guessing silently.

Order of evidence: byte-order marks, then strict UTF-8, then UTF-16 by its NUL-byte pattern, then a
scored choice between GB18030 (GBK and GB2312 are subsets) and Big5. GB18030 decodes almost any
byte string, so strictness alone cannot pick it: each candidate decoding of a sample is scored by the
share of characters that are common Chinese characters (GB2312 level 1 and Big5's frequent block,
both derived from the codecs themselves), ASCII or CJK punctuation. Wrong decodings produce rare
characters and fail that test.
"""
from __future__ import annotations

import codecs
import re
from functools import lru_cache

from kg.errors import ConfigError, DecodeError

__all__ = ["decode_bytes", "decode_lenient", "require_text_file"]

_SAMPLE = 256 * 1024          # bytes scored per candidate; enough for any real text, bounded for 50 MB files
_MIN_SCORE = 0.80             # share of plausible characters a decoding needs to be believed
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# C0 controls other than tab, newlines, form feed and escape; plus C1 controls.
_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r\x0b\x0c\x1b")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f-\x9f]")
_WHITESPACE = b" \t\r\n\x0b\x0c"


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode ``data`` and return ``(text, encoding)``; the BOM, if any, is not part of ``text``.

    Raises :class:`DecodeError` with a one-line message for empty, binary or undecodable input.
    """
    if not data.strip(_WHITESPACE):
        raise DecodeError("empty file")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom):].decode(encoding.replace("-sig", ""))
            except UnicodeDecodeError as exc:
                raise DecodeError(f"invalid {encoding} text after its byte-order mark (byte {exc.start + len(bom)})") from None
            return _checked(text), encoding

    has_nul = b"\x00" in data
    if not has_nul:
        try:
            return _checked(data.decode("utf-8")), "utf-8"
        except UnicodeDecodeError:
            pass
    else:
        # NUL bytes: UTF-16 (ASCII has a NUL high byte), or binary. Which parity holds the NULs
        # hints at the byte order; the decodings' scores decide.
        if len(data) % 2:
            raise DecodeError("binary file, not text")
        sample = data[:_SAMPLE]
        order = ["utf-16-le", "utf-16-be"] if _utf16_by_nuls(data) != "utf-16-be" else ["utf-16-be", "utf-16-le"]
        best = max(order, key=lambda enc: _score(sample, enc))
        if _score(sample, best) < _MIN_SCORE:
            raise DecodeError("binary file, not text")
        try:
            return _checked(data.decode(best)), best
        except UnicodeDecodeError:
            raise DecodeError("binary file, not text") from None

    sample = data[:_SAMPLE]
    candidates = ["gb18030", "big5", "cp950", "big5hkscs"]
    if len(data) % 2 == 0:
        candidates += ["utf-16-le", "utf-16-be"]
    scored = sorted(((_score(sample, enc), i, enc) for i, enc in enumerate(candidates)), key=lambda t: (-t[0], t[1]))
    for score, _, encoding in scored:
        if score < _MIN_SCORE:
            break
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return _checked(text), _canonical(encoding)
    if _control_share(sample) > 0.01:
        raise DecodeError("binary file, not text")
    raise DecodeError("undecodable: not UTF-8, UTF-16, GB18030 or Big5 text")


#: at most this share of a file's bytes may be repaired before it counts as undecodable
_MAX_REPAIRED_SHARE = 0.002


def decode_lenient(data: bytes) -> tuple[str, str, list[str]]:
    """Like :func:`decode_bytes`, but a few stray bytes in otherwise good text (one ``\\xff`` or ``\\x00`` in a
    scraped page) do not cost the article: NULs are read as spaces and invalid UTF-8 as U+FFFD (evidence
    offsets are into the decoded text, so they still point at the right characters). Returns
    ``(text, encoding, notes)``; each note says what was repaired and at which byte."""
    try:
        text, encoding = decode_bytes(data)
        return text, encoding, []
    except DecodeError as error:
        first_error = error
    limit = max(2, int(len(data) * _MAX_REPAIRED_SHARE))
    nuls = data.count(0)
    has_bom = any(data.startswith(bom) for bom, _ in _BOMS)   # UTF-16/32 text is full of NULs: never "repair" it
    cleaned = data.replace(b"\x00", b" ") if 0 < nuls <= limit and not has_bom else data
    notes = [f"{nuls} NUL byte(s) read as spaces, the first at byte {data.index(0)}"] if cleaned is not data else []
    try:
        text, encoding = decode_bytes(cleaned)
        return text, encoding, notes
    except DecodeError:
        pass
    try:
        cleaned.decode("utf-8")
        raise first_error   # valid UTF-8 after all: the file was refused for another reason
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    text = cleaned.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - cleaned.decode("utf-8", errors="ignore").count("\ufffd")
    if 0 < bad <= limit and _text_score(text) >= _MIN_SCORE:
        try:
            return _checked(text), "utf-8", notes + [f"{bad} undecodable byte(s) replaced, the first at byte {first_bad}"]
        except DecodeError:
            pass
    # a GB18030 or Big5 page with a stray byte: the same repair, when the rest reads as common Chinese
    best = None
    for encoding in ("gb18030", "big5", "cp950", "big5hkscs"):
        try:
            cleaned.decode(encoding)
            continue   # decodes strictly: decode_bytes refused it for another reason
        except UnicodeDecodeError as exc:
            first = exc.start
        text = cleaned.decode(encoding, errors="replace")
        bad = text.count("\ufffd") - cleaned.decode(encoding, errors="ignore").count("\ufffd")
        score = _text_score(text)
        if 0 < bad <= limit and score >= _MIN_SCORE and (best is None or score > best[0]):
            best = (score, text, _canonical(encoding), bad, first)
    if best is not None:
        _, text, encoding, bad, first = best
        try:
            return _checked(text), encoding, notes + [f"{bad} undecodable byte(s) replaced (read as {encoding}), "
                                                      f"the first at byte {first}"]
        except DecodeError:
            pass
    raise first_error


def _text_score(text: str) -> float:
    """Share of plausible characters in a sample of decoded ``text`` (U+FFFD counts as plausible)."""
    sample = text[: _SAMPLE // 2]
    if not sample:
        return 0.0
    return (len(_plausible_re().findall(sample)) + sample.count("\ufffd")) / len(sample)


def _canonical(encoding: str) -> str:
    return "big5" if encoding == "cp950" else encoding


def _checked(text: str) -> str:
    if not text.strip():
        raise DecodeError("empty file")
    sample = text[: _SAMPLE // 2]
    if len(_CONTROL_CHARS.findall(sample)) > 0.01 * len(sample) + 1:
        raise DecodeError("binary file, not text")
    return text


def _control_share(sample: bytes) -> float:
    if not sample:
        return 0.0
    stripped = sample.translate(None, _CONTROL_BYTES)
    return (len(sample) - len(stripped)) / len(sample)


def _utf16_by_nuls(data: bytes) -> str | None:
    """UTF-16 text without a BOM has its NULs (high bytes of ASCII) on one parity only."""
    if len(data) % 2:
        return None
    sample = data[: _SAMPLE]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    # CJK code points U+xx00 put a few NULs on the other parity too; ASCII makes the pattern lopsided.
    if odd > 4 * even:
        return "utf-16-le"
    if even > 4 * odd:
        return "utf-16-be"
    return None


def _score(sample: bytes, encoding: str) -> float:
    """Share of plausible characters in the strict decoding of ``sample`` (0 when it does not decode)."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        text = decoder.decode(sample, final=False)   # a character cut by the sample's end is left pending
    except UnicodeDecodeError:
        return 0.0
    if not text:
        return 0.0
    plausible = len(_plausible_re().findall(text))
    return plausible / len(text)


@lru_cache(maxsize=1)
def _plausible_re() -> re.Pattern[str]:
    """ASCII, CJK punctuation, full-width forms, and the common Simplified and Traditional characters."""
    common = set(_common_chars("gb2312", range(0xB0, 0xD8)))         # GB2312 level 1: 3,755 characters
    common |= set(_common_chars("big5", range(0xA4, 0xC7)))          # Big5 frequent block: 5,401 characters
    chars = "".join(sorted(common))
    return re.compile("[\t\n\r\x20-\x7e\u2000-\u206f\u3000-\u303f\uff00-\uffef\u00b7\u2460-\u24ff\u25a0-\u25ff" + re.escape(chars) + "]")


def _common_chars(encoding: str, leads: range) -> list[str]:
    trails = list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF))
    out = []
    for lead in leads:
        for trail in trails:
            try:
                out.append(bytes((lead, trail)).decode(encoding))
            except UnicodeDecodeError:
                pass
    return out


def require_text_file(path) -> "object":
    """``path`` unchanged if it is UTF-8 text without NUL bytes (a configuration file: lexicon, rules);
    otherwise :class:`ConfigError` naming the file, the line and the byte. A missing file passes
    (its loader says so)."""
    from pathlib import Path

    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return path
    except IsADirectoryError:
        raise ConfigError(f"{path} is a directory, not a file") from None
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror or error}") from None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    nul = data.find(b"\x00")
    try:
        data.decode("utf-8")
        bad = None
    except UnicodeDecodeError as exc:
        bad = exc.start
    if nul >= 0 and (bad is None or nul < bad):
        line = data.count(b"\n", 0, nul) + 1
        raise ConfigError(f"{path} line {line}: a NUL byte at byte {nul}: a binary file, not UTF-8 text")
    if bad is not None:
        line = data.count(b"\n", 0, bad) + 1
        guess = ""
        for encoding in ("gb18030", "big5"):
            try:
                data.decode(encoding)
                guess = f" (it decodes as {encoding}: save it as UTF-8)"
                break
            except UnicodeDecodeError:
                pass
        raise ConfigError(f"{path} line {line}: not UTF-8 text (byte {bad}: 0x{data[bad]:02x}){guess}")
    return path
