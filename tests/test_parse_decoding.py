"""Bytes -> text (charset evidence order, lying declarations) and payload sniffing by content."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from crawler.parsing.decoding import decode_html
from crawler.parsing.sniff import sniff

TEXT = "山阳县人民政府2020年政府信息公开工作年度报告：主动公开政府信息6391条，镕䶮𠀀"  # incl. non-GBK chars
GBK_TEXT = "山阳县人民政府2020年政府信息公开工作年度报告：主动公开政府信息6391条"


def _page(body: str, head: str = "") -> str:
    return f"<html><head>{head}<title>t</title></head><body><p>{body}</p></body></html>"


def test_http_header_charset_wins() -> None:
    d = decode_html(_page(GBK_TEXT).encode("gbk"), {"content-type": "text/html; charset=GBK"})
    assert GBK_TEXT in d.text
    assert (d.encoding, d.declared, d.rule) == ("gb18030", "gbk", "http-header")


def test_gb2312_declaration_decodes_gbk_only_characters_via_gb18030() -> None:
    body = "镕基 喆 昇 堃"  # outside GB2312, inside GBK/GB18030: a strict gb2312 decoder would fail
    payload = _page(body, '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">').encode("gb18030")
    d = decode_html(payload, {})
    assert body in d.text
    assert d.rule == "meta" and d.encoding == "gb18030" and d.declared == "gb2312"


def test_meta_charset_html5_and_gb_2312_80_label() -> None:
    d = decode_html(_page(GBK_TEXT, '<meta charset="GB_2312-80">').encode("gbk"), {})
    assert GBK_TEXT in d.text and d.rule == "meta" and d.encoding == "gb18030"


def test_bom_beats_meta() -> None:
    payload = b"\xef\xbb\xbf" + _page(TEXT, '<meta charset="gbk">').encode("utf-8")
    d = decode_html(payload, {})
    assert TEXT in d.text and d.rule == "bom" and d.encoding == "utf-8"


def test_utf16_bom() -> None:
    d = decode_html(b"\xff\xfe" + _page(TEXT).encode("utf-16-le"), {})
    assert TEXT in d.text and d.rule == "bom"


def test_undeclared_gbk_is_detected() -> None:
    d = decode_html(_page(GBK_TEXT * 3).encode("gbk"), {"content-type": "text/html"})
    assert GBK_TEXT in d.text
    assert d.rule == "detected" and d.encoding == "gb18030" and d.declared is None


def test_undeclared_utf8_is_detected() -> None:
    d = decode_html(_page(TEXT).encode("utf-8"), {})
    assert TEXT in d.text and d.rule == "detected" and d.encoding == "utf-8"


def test_iso_8859_1_header_that_is_really_gbk() -> None:
    """portals.md §5: an error page declared iso-8859-1 (平谷); never trust Latin-1 over CJK bytes."""
    d = decode_html(_page(GBK_TEXT).encode("gbk"), {"content-type": "text/html; charset=ISO-8859-1"})
    assert GBK_TEXT in d.text
    assert d.rule == "detected" and d.declared == "iso-8859-1"


def test_declared_utf8_that_fails_falls_through_to_meta() -> None:
    payload = _page(GBK_TEXT, '<meta charset="gbk">').encode("gbk")
    d = decode_html(payload, {"content-type": "text/html; charset=utf-8"})
    assert GBK_TEXT in d.text and d.rule == "meta"


def test_stale_gb2312_meta_on_utf8_page() -> None:
    """A template copied with <meta charset=gb2312> around UTF-8 content must not become mojibake."""
    d = decode_html(_page(TEXT, '<meta charset="gb2312">').encode("utf-8"), {})
    assert TEXT in d.text and d.encoding == "utf-8" and d.declared == "gb2312"


def test_unknown_declared_label_falls_through() -> None:
    d = decode_html(_page(TEXT, '<meta charset="x-no-such-charset">').encode("utf-8"), {})
    assert TEXT in d.text and d.rule == "detected"


def test_ascii_only_page() -> None:
    d = decode_html(b"<html><body>hello</body></html>", {})
    assert d.text.endswith("</html>") and d.rule == "default"


def test_mixed_encodings_never_raise() -> None:
    payload = _page(TEXT).encode("utf-8") + GBK_TEXT.encode("gbk") + b"\xff\xfe\x80"
    d = decode_html(payload, {})
    assert "山阳县" in d.text


# ------------------------------------------------------------------------------------------------
# sniff


def _zip(names: list[str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n in names:
            z.writestr(n, "<x/>")
    return buf.getvalue()


def _ole(streams: list[str]) -> bytes:
    """A minimal OLE header plus UTF-16 directory-entry names (enough for name inspection)."""
    head = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    entries = b"".join(s.encode("utf-16-le").ljust(64, b"\x00") + struct.pack("<H", 2 * len(s) + 2) + b"\x00" * 62 for s in streams)
    return head + entries


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


@pytest.mark.parametrize(
    ("payload", "url", "ctype", "expected"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "http://x/report.doc", "text/html", "pdf"),  # lying suffix + type
        (b"\r\n%PDF-1.4\n", "http://x/downfile.jsp?id=1", "application/octet-stream", "pdf"),
        (_zip(["[Content_Types].xml", "word/document.xml"]), "http://x/a.doc", None, "docx"),
        (_zip(["[Content_Types].xml", "xl/workbook.xml"]), "http://x/a.docx", None, "xlsx"),
        (_zip(["readme.txt"]), "http://x/a.zip", None, None),
        (_ole(["Root Entry", "WordDocument", "1Table"]), "http://x/a.doc", None, "doc"),
        (_ole(["Root Entry", "WordDocument"]), "http://x/a.wps", None, "wps"),
        (_ole(["Root Entry", "Workbook"]), "http://x/a.doc", None, "xls"),
        (PNG, "http://x/a.html", "text/html", "image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "", None, "image"),
        (b"GIF89a\x01\x00", "", None, "image"),
        (b"II*\x00\x08\x00", "", None, "image"),
        (b"<!DOCTYPE html><html><body>x</body></html>", "http://x/a.pdf", "application/pdf", "html"),
        (b"\n\n  <html>", "", None, "html"),
        (b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml">', "", None, "html"),
        (b"<!-- TRS --><div id=zoom>", "", None, "html"),
        ("年度报告\n一、总体情况".encode(), "http://x/a.txt", "text/plain", "text"),
        ("年度报告".encode("gbk") * 20, "", None, "text"),
        (bytes(range(256)) * 8, "http://x/a.html", "text/html", None),
        (b"\x00\x01\x02\x03garbage\x00\x00", "", None, None),
    ],
)
def test_sniff(payload: bytes, url: str, ctype: str | None, expected: str | None) -> None:
    assert sniff(payload, url, ctype) == expected


def test_sniff_text_with_html_content_type_is_html() -> None:
    assert sniff(b"plain words but served as html", "", "text/html; charset=utf-8") == "html"
