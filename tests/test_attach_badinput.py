"""Hostile and broken files: every one ends in a clear status and message, in bounded time and memory."""

from __future__ import annotations

import io
import os
import shutil
import struct
import subprocess
import tempfile
import zipfile
import zlib
from pathlib import Path

import pytest
from attach_helpers import make_spec

from crawler.parsing import ParseLimits, parse_document
from crawler.parsing.attachments import parse_attachment
from crawler.parsing.attachments.doc import soffice_path
from crawler.parsing.attachments.image import image_size
from simulator.render_files import render_docx, render_pdf, render_xlsx


def test_truncated_pdf_is_an_error() -> None:
    payload = render_pdf(make_spec("v2021", seed=1))
    result = parse_document(payload[: len(payload) // 2], "http://127.0.0.1/r.pdf")
    assert result.status == "error"
    assert result.source == "pdf"
    assert "truncated" in result.message


def test_encrypted_pdf_is_an_error() -> None:
    payload = render_pdf(make_spec("v2021", seed=1), encrypt_password="secret")
    assert b"/Encrypt" in payload
    result = parse_document(payload, "http://127.0.0.1/r.pdf")
    assert result.status == "error"
    assert "encrypted" in result.message


def test_corrupt_pdf_body_is_an_error() -> None:
    payload = b"%PDF-1.4\n" + os.urandom(4000) + b"\n%%EOF\n"
    result = parse_document(payload, "http://127.0.0.1/r.pdf")
    assert result.status in ("error", "image_only")
    assert result.message


def _many_pages(n: int) -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    for i in range(n):
        c.drawString(72, 720, f"page {i + 1} 1 2 3 4")
        c.showPage()
    c.save()
    return buf.getvalue()


def test_page_cap_bounds_a_300_page_pdf() -> None:
    from crawler.parsing.attachments.pdf import parse_pdf

    payload = _many_pages(300)
    text, _, _, note = parse_pdf(payload, ParseLimits(max_pdf_pages=10))
    assert note.startswith("page cap: parsed the first 10 of 300 pages")
    assert "page 10 " in text and "page 11 " not in text
    result = parse_document(payload, "http://127.0.0.1/big.pdf", limits=ParseLimits(max_pdf_pages=10))
    assert result.status != "ok"
    assert "page cap: parsed the first 10 of 300 pages" in result.message


def test_size_cap_refuses_huge_payloads() -> None:
    payload = render_pdf(make_spec("v2021", seed=1))
    result = parse_document(payload, "http://127.0.0.1/r.pdf", limits=ParseLimits(max_bytes=1000))
    assert result.status == "error" and "too large" in result.message


def _bomb(member: str, size: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open(member, "w", force_zip64=True) as fh:
            chunk = b"\0" * (1 << 20)
            for _ in range(size >> 20):
                fh.write(chunk)
    return buf.getvalue()


def test_docx_zip_bomb_refused_before_inflating() -> None:
    payload = _bomb("word/document.xml", 80 << 20)  # 80 MiB of zeros, ~80 KiB on the wire
    assert len(payload) < 1 << 20
    result = parse_document(payload, "http://127.0.0.1/r.docx")
    assert result.status == "error"
    assert "zip bomb" in result.message and "declared uncompressed size" in result.message


def test_xlsx_zip_bomb_refused_before_inflating() -> None:
    payload = _bomb("xl/worksheets/sheet1.xml", 80 << 20)
    result = parse_document(payload, "http://127.0.0.1/r.xlsx")
    assert result.status == "error"
    assert "zip bomb" in result.message


def test_docx_with_lying_sizes_is_bounded() -> None:
    """Declared sizes rewritten to look small: reading stops at the cap (or the CRC check fails)."""
    payload = bytearray(_bomb("word/document.xml", 8 << 20))
    # patch every central-directory entry's uncompressed size to 100 bytes
    pos = 0
    while (pos := payload.find(b"PK\x01\x02", pos)) >= 0:
        if struct.unpack("<I", payload[pos + 24 : pos + 28])[0] != 0xFFFFFFFF:
            payload[pos + 24 : pos + 28] = struct.pack("<I", 100)
        pos += 4
    result = parse_document(
        bytes(payload), "http://127.0.0.1/r.docx", limits=ParseLimits(max_unzipped_bytes=1 << 20)
    )
    assert result.status == "error"
    assert result.message


def test_zip_named_docx_without_word_part() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "hello")
    result = parse_document(buf.getvalue(), "http://127.0.0.1/report.docx")
    assert result.status == "error"
    assert "not a Word document" in result.message


def test_extension_and_content_type_that_lie() -> None:
    html = "<html><head><title>404</title></head><body>页面不存在</body></html>".encode()
    result = parse_document(html, "http://127.0.0.1/report.pdf", {"content-type": "application/pdf"})
    assert result.source == "html"  # the bytes decide
    docx = render_docx(make_spec("v2021", seed=2))
    result = parse_document(docx, "http://127.0.0.1/report.pdf", {"content-type": "application/pdf"})
    assert result.source == "docx"
    assert result.status == "ok"
    xlsx = render_xlsx(make_spec("v2021", seed=2))
    result = parse_document(xlsx, "http://127.0.0.1/report.docx", {"content-type": "application/msword"})
    assert result.source == "xlsx"
    assert result.status == "ok"
    garbage = os.urandom(5000)
    result = parse_document(garbage, "http://127.0.0.1/report.docx", {"content-type": "application/msword"})
    assert result.status == "error"


def _png(width: int, height: int) -> bytes:
    raw = b"".join(b"\0" + b"\xff\xff\xff" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def test_image_report_is_image_only() -> None:
    png = _png(40, 30)
    assert image_size(png) == (40, 30)
    result = parse_document(png, "http://127.0.0.1/nianbao.png")
    assert result.status == "image_only"
    assert result.source == "image"
    assert result.is_report
    assert "40x30" in result.message


def test_pdf_without_text_layer_is_image_only() -> None:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    c.rect(100, 100, 200, 200, fill=1)
    c.showPage()
    c.save()
    result = parse_document(buf.getvalue(), "http://127.0.0.1/scan.pdf")
    assert result.status == "image_only"


def test_doc_without_converter_is_kept_unparsed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no soffice, no antiword on PATH
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4000
    result = parse_attachment("doc", ole, "http://127.0.0.1/r.doc", ParseLimits())
    assert result.status == "unparsed"
    assert result.message.startswith("unparsed: converter missing")
    assert result.is_report


needs_soffice = pytest.mark.skipif(soffice_path() is None, reason="LibreOffice (soffice) not installed")


def _soffice_convert(src: Path, fmt: str, tmp: str) -> bytes:
    subprocess.run(
        [
            soffice_path(),
            f"-env:UserInstallation=file://{tmp}/profile",
            "--headless",
            "--convert-to",
            fmt,
            "--outdir",
            tmp,
            str(src),
        ],
        check=True,
        capture_output=True,
        timeout=120,
        env={**os.environ, "HOME": tmp},
    )
    return (Path(tmp) / f"{src.stem}.{fmt}").read_bytes()


@pytest.fixture(scope="module")
def doc_bytes() -> bytes:
    """A real .doc: our DOCX converted by LibreOffice (the tool many portals' files come from)."""
    if soffice_path() is None:
        pytest.skip("LibreOffice (soffice) not installed")
    with tempfile.TemporaryDirectory() as tmp:
        docx = Path(tmp) / "r.docx"
        docx.write_bytes(render_docx(make_spec("v2019", seed=5)))
        return _soffice_convert(docx, "doc", tmp)


def _xls(spec) -> bytes:
    """The spec's tables as a BIFF .xls with merged cells, written by xlwt (as old Excel would)."""
    import xlwt

    from simulator.render_files import table_layouts

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("年报")
    sheet.write(0, 0, spec.title)
    row = 2
    for t in table_layouts(spec):
        sheet.write(row, 0, t.caption)
        row += 1
        for c in t.cells:
            value: object = int(c.text) if c.numeric and c.text.lstrip("-").isdigit() else c.text
            if c.rowspan > 1 or c.colspan > 1:
                sheet.write_merge(
                    row + c.row, row + c.row + c.rowspan - 1, c.col, c.col + c.colspan - 1, value
                )
            else:
                sheet.write(row + c.row, c.col, value)
        row += t.n_rows + 1
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def test_xls_merged_cells_through_xlrd() -> None:
    from crawler.parsing.dispatch import sniff_source

    spec = make_spec("v2021", seed=6)
    payload = _xls(spec)
    assert sniff_source(payload, "http://127.0.0.1/t.xls", None) == "xls"
    result = parse_document(payload, "http://127.0.0.1/t.xls")
    assert result.source == "xls"
    assert result.status == "ok", result.message
    got = {k: c.value for k, c in result.cells.items()}
    assert {k: got.get(k) for k in spec.cells} == spec.cells


def test_converter_timeout_is_bounded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A converter that hangs is killed at the timeout; the report is kept as unparsed."""
    import time

    from crawler.parsing.attachments import doc

    fake = tmp_path / "soffice"
    fake.write_text(f"#!/bin/sh\nexec {shutil.which('sleep')} 30\n")  # PATH below has no sleep
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(doc, "CONVERT_TIMEOUT", 1.0)
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "WordDocument".encode("utf-16-le") + b"\0" * 4000
    started = time.monotonic()
    result = parse_attachment("doc", ole, "http://127.0.0.1/r.doc", ParseLimits())
    assert time.monotonic() - started < 20
    assert result.status == "unparsed"
    assert "timed out" in result.message


@needs_soffice
def test_doc_and_wps_through_libreoffice_keep_tables(doc_bytes: bytes) -> None:
    """A .doc served as WPS (Kingsoft writes Word-format files): converted, every cell comes back."""
    spec = make_spec("v2019", seed=5)
    result = parse_attachment("wps", doc_bytes, "http://127.0.0.1/r.wps", ParseLimits())
    assert result.source == "wps"
    assert result.status == "ok", result.message
    assert result.metadata.title == "示例县统计局2022年政府信息公开工作年度报告"
    assert {k: c.value for k, c in result.cells.items()} == spec.cells


def test_ole_word_file_taken_for_xls_reaches_the_converter(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """xlrd refuses it, the WordDocument stream sends it to the Word converter (a stand-in here that
    writes a prepared DOCX where LibreOffice would, so no office suite is needed)."""
    prepared = tmp_path / "prepared.docx"
    prepared.write_bytes(render_docx(make_spec("v2021", seed=8)))
    fake = tmp_path / "soffice"
    fake.write_text(
        "#!/bin/sh\n"
        'while [ $# -gt 0 ]; do [ "$1" = "--outdir" ] && out="$2"; shift; done\n'
        f'exec {shutil.which("cp")} {prepared} "$out/input.docx"\n'
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "WordDocument".encode("utf-16-le") + b"\0" * 4000
    result = parse_attachment("xls", ole, "http://127.0.0.1/r.xls", ParseLimits())
    assert result.source == "doc"
    assert result.status == "ok", result.message
    assert (
        result.cells["t3.new_received.total"].value
        == make_spec("v2021", seed=8).cells["t3.new_received.total"]
    )


@pytest.mark.skipif(shutil.which("antiword") is None, reason="antiword not installed")
def test_doc_with_antiword_only_gives_text(
    doc_bytes: bytes, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "antiword").symlink_to(shutil.which("antiword"))
    monkeypatch.setenv("PATH", str(tmp_path))
    from crawler.parsing.attachments.doc import parse_doc

    text, grids, _title, converter = parse_doc(doc_bytes, "doc", ParseLimits())
    assert converter == "antiword"
    assert grids == []
    assert "三、收到和处理政府信息公开申请情况" in text


def test_pdf_text_without_unicode_mapping_is_unparsed() -> None:
    """Glyph ids without a ToUnicode map come out as "(cid:NNN)": never mapped as if they were text.

    (An owner-password-only reportlab PDF with a CID font reads this way through pdfminer.)
    """
    payload = render_pdf(make_spec("v2021", seed=9), encrypt_password="")
    result = parse_document(payload, "http://127.0.0.1/r.pdf")
    assert result.status == "unparsed"
    assert "Unicode" in result.message
