"""Hostile and broken payloads through parse_document: a status and a clear message, never an
exception, bounded time and memory. Inputs are generated here (nothing big is committed)."""

from __future__ import annotations

import os
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.parsing import ParseLimits, parse_document
from crawler.parsing.decoding import decode_html
from crawler.parsing.sniff import sniff

TITLE = "某县2020年政府信息公开工作年度报告"
URL = "http://www.example.gov.cn/art/2021/1/20/art_1_1.html"
STATUSES = {"ok", "partial", "no_tables", "not_report", "blocked", "image_only", "unparsed", "error"}


def _page(body: str, title: str = TITLE) -> bytes:
    return f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>{body}</body></html>".encode()


def _parse(payload: bytes, **kw):
    result = parse_document(payload, URL, {"content-type": "text/html"}, **kw)
    assert result.status in STATUSES
    assert result.status == "ok" or result.message, f"status {result.status} without a message"
    assert not result.message.startswith("parser error"), result.message  # no crash was swallowed
    return result


def test_empty_payload() -> None:
    r = _parse(b"")
    assert r.status == "error" and "empty" in r.message


@pytest.mark.parametrize("payload", [b"   \n\t  ", b"\x00" * 64])
def test_blank_or_nul_payloads(payload: bytes) -> None:
    assert _parse(payload).status in ("error", "not_report")


def test_binary_garbage() -> None:
    r = _parse(random.Random(7).randbytes(200_000))
    assert r.status == "error" and "unrecognised" in r.message


def test_payload_over_the_cap_is_refused_before_parsing() -> None:
    payload = b"<html><body>" + b"<p>x</p>" * (50 * 1024 * 1024 // 8)  # 50 MB
    r = _parse(payload)
    assert r.status == "error" and "too large" in r.message and "max_bytes" in r.message


def test_large_page_under_a_lowered_cap_and_above_it() -> None:
    body = "<p>一、总体情况 本机关全年主动公开政府信息。</p>" * 8_000  # ~0.5 MB of paragraphs
    payload = _page(body)
    assert _parse(payload, limits=ParseLimits(max_bytes=256 * 1024)).status == "error"
    r = _parse(payload)
    assert r.is_report and r.metadata.title == TITLE


def test_tables_nested_50_deep() -> None:
    nested = "<table><tr><td>" * 50 + "一、总体情况" + "</td></tr></table>" * 50
    r = _parse(_page(nested))
    assert r.is_report and r.metadata.year == 2020


def test_divs_nested_100k_deep() -> None:
    r = _parse(_page("<div>" * 100_000 + "一、总体情况" + "</div>" * 100_000))
    assert r.status in STATUSES and r.metadata.title == TITLE


def test_unclosed_tags_and_unclosed_title() -> None:
    payload = f"<html><head><title>{TITLE}<body><div id=zoom><p>一、总体情况<table><tr><td>1<td>2<tr><td>3".encode()
    r = _parse(payload)
    assert r.metadata.title == TITLE  # the unclosed <title> did not swallow the page
    assert r.is_report


def test_table_with_1000_columns() -> None:
    row = "<tr>" + "".join(f"<td>{i}</td>" for i in range(1000)) + "</tr>"
    r = _parse(_page("<div id='zoom'><p>一、总体情况</p><table>" + row * 12 + "</table></div>"))
    assert r.is_report


def test_table_cell_cap_is_respected() -> None:
    row = "<tr>" + "<td>0</td>" * 100 + "</tr>"
    payload = _page("<div id='zoom'><table>" + row * 100 + "</table></div>")
    r = _parse(payload, limits=ParseLimits(max_table_cells=1000))
    assert r.status in STATUSES


def test_absurd_spans() -> None:
    r = _parse(_page("<table><tr><td colspan=100000 rowspan=100000>1</td><td colspan=-3>2</td></tr></table>"))
    assert r.status in STATUSES


def test_mixed_encodings_in_one_page() -> None:
    payload = (
        f"<html><head><meta charset='utf-8'><title>{TITLE}</title></head><body><p>".encode()
        + "一、总体情况 本机关".encode("gbk")
        + "二、主动公开政府信息情况".encode()
        + b"\xff\xfe\x80</p></body></html>"
    )
    r = _parse(payload)
    assert r.metadata.title == TITLE and r.encoding == "utf-8"


def test_control_characters_and_xml_declaration() -> None:
    payload = (
        '<?xml version="1.0" encoding="gbk"?>' + f"<html><head><title>{TITLE}</title></head><body>\x00\x07\x1b<p>一、总体情况</p></body></html>"
    ).encode("gbk")
    r = _parse(payload)
    assert r.metadata.title == TITLE and r.encoding == "gb18030"


def test_script_only_page() -> None:
    r = _parse(b"<html><head><script>var a = '<table>';</script></head><body></body></html>")
    assert r.status == "not_report"


def test_truncated_pdf_and_zip_headers_do_not_crash() -> None:
    # (OLE garbage is left to the attachment tests: its converter path takes seconds)
    for payload in (b"%PDF-1.4\n1 0 obj <<", b"PK\x03\x04" + os.urandom(200)):
        r = parse_document(payload, "http://x.gov.cn/a.bin", {})
        assert r.status in STATUSES and (r.status == "ok" or r.message)


def test_random_html_soup_never_raises() -> None:
    rng = random.Random(11)
    pieces = ["<table>", "</table>", "<tr>", "<td colspan=3>", "</td>", "<div>", "</div>", "<p>", "一、总体情况",
              "索引号：", "2020年", "<!--", "-->", "<script>", "</script>", "&nbsp;", "\u3000", "<br>", "|", "<a href='x.pdf'>附件</a>"]
    for _ in range(30):
        soup = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 400)))
        _parse(_page(soup))


# ------------------------------------------------------------------------------------------------
# properties: arbitrary bytes and headers never escape as exceptions

_CHUNKS = st.sampled_from(
    [b"<html>", b"<meta charset='gbk'>", b"<meta charset=utf-8>", b"<title>", "年度报告".encode(), "年度报告".encode("gbk"),
     b"\xef\xbb\xbf", b"\xff\xfe", b"%PDF-", b"PK\x03\x04", b"<table><tr><td>", b"</td>", b"\x00", b"\xd0\xcf\x11\xe0",
     "索　引　号：".encode(), b"2020-01-20", b"<!--ZJEG_RSS.content.begin-->", b"<?xml version='1.0' encoding='gbk'?>"]
)
_PAYLOADS = st.lists(st.one_of(_CHUNKS, st.binary(max_size=40)), max_size=30).map(b"".join)
_CTYPES = st.sampled_from([None, "text/html", "text/html; charset=gbk", "text/html; charset=bogus", "application/pdf",
                           "text/plain; charset=iso-8859-1"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=_PAYLOADS, ctype=_CTYPES, status=st.sampled_from([200, 200, 403, 412, 418, 500]))
def test_arbitrary_payloads_never_raise(payload: bytes, ctype: str | None, status: int) -> None:
    headers = {"content-type": ctype} if ctype else {}
    decode_html(payload, headers)
    sniff(payload, "http://x.gov.cn/a", ctype)
    result = parse_document(payload, "http://x.gov.cn/a.html", headers, status=status)
    assert result.status in STATUSES
    assert result.status == "ok" or result.message
    assert not result.message.startswith("parser error"), result.message
    if status != 200:
        assert result.status == "blocked"
