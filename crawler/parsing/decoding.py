"""Bytes -> text: HTTP charset, BOM, <meta>, then CJK-aware detection; gb2312/gbk decoded as gb18030.

Scrapy falls back to cp1252 when a page declares nothing, which turns GBK pages into mojibake, so
we never use its ``response.text``. A declared charset is only trusted when it decodes the whole
payload strictly; otherwise detection decides (portals.md §5: pages declaring ``iso-8859-1`` that
are really GBK, templates copied with a stale ``<meta charset="gb2312">`` around UTF-8 content).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping

from crawler.parsing.result import Decoded

_META_SCAN = 4096  # the HTML spec's prescan window is 1024; portals put <meta> after long comments
_CT_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:\-]+)", re.IGNORECASE)
_META_CHARSET = re.compile(
    rb"<meta[^>]+?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:\-]+)", re.IGNORECASE
)
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it shares the first two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Legacy Chinese labels all decode as the superset; Latin-1 labels are suspicious on a Chinese portal.
_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "gb_2312": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "ms936": "gb18030",
    "csgb2312": "gb18030",
    "euc-cn": "gb18030",
    "gb18030": "gb18030",
    "utf8": "utf-8",
    "unicode": "utf-8",
    "big5": "big5hkscs",
    "big5-hkscs": "big5hkscs",
}
_LATIN1 = {"iso-8859-1", "latin1", "latin-1", "iso8859-1", "windows-1252", "cp1252", "us-ascii", "ascii"}


def canonical_codec(label: str) -> str | None:
    """Python codec name for a declared charset label, or None when Python does not know it."""
    label = label.strip().strip("\"'").lower()
    name = _ALIASES.get(label, label)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_html(payload: bytes, headers: Mapping[str, str] | None = None) -> Decoded:
    """Decode an HTML (or text) payload; see the module docstring for the order of evidence."""
    headers = headers or {}
    header_label = _header_charset(headers)
    declared = header_label

    if header_label:
        text = _try_declared(payload, header_label)
        if text is not None:
            return Decoded(text, canonical_codec(header_label) or header_label, header_label, "http-header")

    for bom, codec in _BOMS:
        if payload.startswith(bom):
            return Decoded(payload[len(bom) :].decode(codec, "replace"), codec, declared, "bom")

    m = _META_CHARSET.search(payload[:_META_SCAN])
    if m:
        meta_label = m.group(1).decode("ascii", "replace").lower()
        declared = declared or meta_label
        text = _try_declared(payload, meta_label)
        if text is not None:
            return Decoded(text, canonical_codec(meta_label) or meta_label, declared, "meta")

    return _detect(payload, declared)


def _header_charset(headers: Mapping[str, str]) -> str | None:
    ctype = headers.get("content-type") or headers.get("Content-Type") or ""
    if isinstance(ctype, bytes):  # Scrapy headers hold bytes
        ctype = ctype.decode("latin-1")
    m = _CT_CHARSET.search(ctype)
    return m.group(1).lower() if m else None


def _try_declared(payload: bytes, label: str) -> str | None:
    """Strict decode with the declared codec; None when it fails or when the label is a Latin-1 lie.

    A Latin-1 family declaration decodes *any* bytes, so it only counts when the payload is pure
    ASCII or clearly not CJK in a multi-byte encoding.
    """
    codec = canonical_codec(label)
    if codec is None:
        return None
    if label.strip().lower() in _LATIN1 or codec in ("latin-1", "iso8859-1", "cp1252", "ascii"):
        if payload.isascii():
            return payload.decode("ascii")
        if _decodes(payload, "utf-8") or _decodes(payload, "gb18030"):
            return None  # high bytes that form valid UTF-8/GB text: the declaration is wrong
        return payload.decode(codec, "replace")
    if codec != "utf-8" and not payload.isascii() and _decodes(payload, "utf-8"):
        # Valid multi-byte UTF-8 is practically never real GBK/Big5 text: a stale template <meta>.
        return None
    try:
        return payload.decode(codec)
    except (UnicodeDecodeError, LookupError):
        if codec == "gb18030" and _mostly_decodes(payload, codec):
            return payload.decode(codec, "replace")  # a few broken bytes in a long GBK page
        if codec == "utf-8" and not _decodes(payload, "gb18030") and _mostly_utf8(payload):
            return decode_mixed(payload)  # declared UTF-8, mostly UTF-8, some GBK fragments
        return None


def _gb_fallback(exc: UnicodeError) -> tuple[str, int]:
    """UTF-8 error handler: bytes that are not UTF-8 are tried as one GB18030 character."""
    assert isinstance(exc, UnicodeDecodeError)
    obj, start = exc.object, exc.start
    for width in (2, 4):
        chunk = obj[start : start + width]
        if len(chunk) == width and chunk[0] >= 0x81:
            try:
                return chunk.decode("gb18030"), start + width
            except UnicodeDecodeError:
                continue
    return "\ufffd", start + 1


codecs.register_error("nianbao-gb-fallback", _gb_fallback)


def decode_mixed(payload: bytes) -> str:
    """UTF-8 with GB18030 for the stretches that are not UTF-8 (a UTF-8 template around pasted GBK)."""
    return payload.decode("utf-8", "nianbao-gb-fallback")


def _decodes(payload: bytes, codec: str) -> bool:
    try:
        payload.decode(codec)
        return True
    except UnicodeDecodeError:
        return False


_HIGH_BYTES = bytes(range(0x80, 0x100))


def _mostly_utf8(payload: bytes) -> bool:
    """More than half of the non-ASCII bytes form valid UTF-8 sequences."""
    chunk = payload[:200_000]
    high = len(chunk) - len(chunk.translate(None, _HIGH_BYTES))  # counted in C
    if not high:
        return True
    bad = chunk.decode("utf-8", "replace").count("\ufffd")
    return bad * 2 < high


def _mostly_decodes(payload: bytes, codec: str) -> bool:
    """At most ~0.1% replacement characters: real pages concatenated from fragments have a few bad bytes."""
    text = payload.decode(codec, "replace")
    return text.count("\ufffd") <= max(2, len(text) // 1000)


def _detect(payload: bytes, declared: str | None) -> Decoded:
    """No usable declaration: UTF-8 if it is valid, else GB18030 if valid, else ask charset-normalizer."""
    if payload.isascii():
        return Decoded(payload.decode("ascii"), "ascii", declared, "default")
    if _decodes(payload, "utf-8"):
        return Decoded(payload.decode("utf-8"), "utf-8", declared, "detected")
    if _decodes(payload, "gb18030"):
        return Decoded(payload.decode("gb18030"), "gb18030", declared, "detected")
    if _mostly_utf8(payload):
        return Decoded(decode_mixed(payload), "utf-8", declared, "detected")
    codec = _normalizer_guess(payload)
    if codec:
        return Decoded(payload.decode(codec, "replace"), codec, declared, "detected")
    # Mixed encodings (UTF-8 template around GBK content): pick the codec with fewer replacement chars.
    best = min(("utf-8", "gb18030"), key=lambda c: payload.decode(c, "replace").count("\ufffd"))
    return Decoded(payload.decode(best, "replace"), best, declared, "default")


def _normalizer_guess(payload: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(payload[:200_000], cp_isolation=["utf_8", "gb18030", "big5", "utf_16"]).best()
    except Exception:  # the detector is a heuristic; never let it break a parse
        return None
    if best is None:
        return None
    codec = canonical_codec(best.encoding)
    if codec in ("gb2312", "gbk"):
        codec = "gb18030"
    return codec
