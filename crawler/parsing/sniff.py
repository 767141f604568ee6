"""What a payload is: magic numbers first, then the declared content type, then the URL suffix.

Portals mislabel files all the time (a PDF served as ``application/octet-stream`` behind
``downfile.jsp``, a DOCX named ``.doc``, an HTML error page named ``.pdf``), so the bytes decide
whenever they can; the content type and the URL only break ties the bytes cannot (OLE containers,
text vs HTML).
"""

from __future__ import annotations

import io
import re
import zipfile
from urllib.parse import urlsplit

from crawler.parsing.result import Source

_HEAD = 4096  # everything below looks at this many leading bytes at most (zip directory aside)

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_IMAGE_MAGIC: tuple[bytes, ...] = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",  # JPEG
    b"GIF87a",
    b"GIF89a",
    b"BM",  # BMP (checked with a size sanity test below)
    b"II*\x00",  # TIFF little-endian
    b"MM\x00*",  # TIFF big-endian
)
_HTML_START = re.compile(
    rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title|div|table|p\b|script|style|link|!--|span|center|form|iframe|h\d|a\s|br|font|frameset)",
    re.IGNORECASE | re.DOTALL,
)
_HTML_ANYWHERE = re.compile(rb"<(?:html|body|div|table|p|br|head|title)\b", re.IGNORECASE)


def sniff(payload: bytes, url: str, content_type: str | None) -> Source | None:
    """Classify ``payload``; ``None`` when it is none of the formats we parse (binary garbage)."""
    if not payload:
        return None
    head = payload[:_HEAD]
    if head.lstrip()[:5] == b"%PDF-" or b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(payload, url)
    if head.startswith(_OLE_MAGIC):
        return _sniff_ole(payload, url, content_type)
    if head.startswith(b"{\\rtf"):
        return "doc"  # RTF renamed .doc is common; the Word converter handles both
    if _is_image(head):
        return "image"
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 text (rare, but Windows tools write it)
        text16 = head.decode("utf-16", "ignore").encode("utf-8")
        return "html" if _HTML_START.match(text16) or _HTML_ANYWHERE.search(text16) else "text"
    body = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    if _HTML_START.match(body):
        return "html"
    if not _looks_textual(head):
        return None
    ctype = (content_type or "").lower()
    if "html" in ctype or "xml" in ctype:
        return "html"
    if _HTML_ANYWHERE.search(head):
        return "html"
    return "text"


def _sniff_zip(payload: bytes, url: str) -> Source | None:
    """OOXML is a zip: ``word/`` → docx, ``xl/`` → xlsx. Other zips (bundles of reports) → by suffix."""
    try:
        names = zipfile.ZipFile(io.BytesIO(payload)).namelist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        names = _local_header_names(payload[: 64 * 1024])
    if any(n.startswith("word/") for n in names):
        return "docx"
    if any(n.startswith("xl/") for n in names):
        return "xlsx"
    suffix = _suffix(url)
    if suffix in ("docx", "xlsx"):
        return suffix  # type: ignore[return-value]
    return None


_LOCAL_HEADER = re.compile(rb"PK\x03\x04.{22}(..)(..)", re.DOTALL)


def _local_header_names(blob: bytes) -> list[str]:
    """Names from zip local headers, for truncated archives whose central directory is missing."""
    names: list[str] = []
    for m in _LOCAL_HEADER.finditer(blob):
        n = int.from_bytes(m.group(1), "little")
        start = m.end()
        names.append(blob[start : start + n].decode("utf-8", "replace"))
    return names


def _sniff_ole(payload: bytes, url: str, content_type: str | None) -> Source:
    """OLE compound file: Word / WPS / Excel, told apart by stream names in the directory, then URL/type."""
    sample = payload[: 2 * 1024 * 1024]
    utf16 = lambda s: s.encode("utf-16-le")  # noqa: E731 - directory entries are UTF-16LE
    suffix = _suffix(url)
    if suffix == "wps":
        return "wps"
    # Word first: a Word file can mention "Book" (bookmarks, summary streams), an Excel file never
    # has a WordDocument stream.
    if utf16("WordDocument") in sample:
        return "wps" if b"WPS" in sample[:512 * 1024] and suffix != "doc" and _wps_hint(sample) else "doc"
    if utf16("Workbook") in sample or utf16("Book") in sample:
        return "xls"
    if suffix in ("xls", "et"):
        return "xls"
    ctype = (content_type or "").lower()
    if "excel" in ctype or "spreadsheet" in ctype:
        return "xls"
    return "doc"


def _wps_hint(sample: bytes) -> bool:
    """Kingsoft WPS writes its application name into the summary stream."""
    return "WPS Office".encode("utf-16-le") in sample or b"WPS Office" in sample or b"Kingsoft" in sample


def _is_image(head: bytes) -> bool:
    for magic in _IMAGE_MAGIC:
        if head.startswith(magic):
            if magic == b"BM":  # "BM" also starts ordinary text; require a plausible header
                return len(head) >= 26 and head[6:10] == b"\x00\x00\x00\x00"
            return True
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


_CONTROL_BYTES = bytes([*range(0, 9), *range(14, 27), *range(28, 32)])


def _looks_textual(head: bytes) -> bool:
    """Few control bytes and decodable as UTF-8 or GB18030 (ignoring a possibly cut last character)."""
    if not head:
        return False
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    if controls > len(head) // 100 + 1:
        return False
    for enc in ("utf-8", "gb18030"):
        try:
            head[: len(head) - 4 if len(head) == _HEAD else len(head)].decode(enc)
            return True
        except UnicodeDecodeError:
            continue
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(head, cp_isolation=["utf_8", "gb18030", "big5", "utf_16"]).best()
        return best is not None and best.chaos < 0.2
    except Exception:  # pragma: no cover - detector failure means "not text"
        return False


def _suffix(url: str) -> str:
    path = urlsplit(url).path if url else ""
    name = path.rsplit("/", 1)[-1].lower()
    return name.rsplit(".", 1)[-1] if "." in name else ""
