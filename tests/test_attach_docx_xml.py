"""DOCX structures python-docx does not write but Word and WPS do: gridBefore, content controls,
nested tables, vMerge without a restart value, line breaks inside cells."""

from __future__ import annotations

import io
import zipfile

from crawler.parsing.attachments.docx import parse_docx
from crawler.parsing.dispatch import DEFAULT_LIMITS

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _docx(body: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr(
            "word/document.xml", f'<?xml version="1.0"?><w:document {W}><w:body>{body}</w:body></w:document>'
        )
    return buf.getvalue()


def p(text: str) -> str:
    return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>"


def tc(text: str, span: int = 1, vmerge: str | None = None) -> str:
    props = ""
    if span > 1:
        props += f'<w:gridSpan w:val="{span}"/>'
    if vmerge == "restart":
        props += '<w:vMerge w:val="restart"/>'
    elif vmerge == "continue":
        props += "<w:vMerge/>"
    return f"<w:tc><w:tcPr>{props}</w:tcPr>{p(text) if text else '<w:p/>'}</w:tc>"


def test_word_structures() -> None:
    body = (
        p("示例镇2023年政府信息公开工作年度报告")
        + "<w:sdt><w:sdtContent>"
        + p("三、收到和处理政府信息公开申请情况")
        + "</w:sdtContent></w:sdt>"
        + "<w:tbl>"
        + "<w:tr>"
        + tc("三、本年度办理结果", vmerge="restart")
        + tc("（一）予以公开", span=2)
        + tc("5")
        + "</w:tr>"
        + "<w:tr>"
        + tc("", vmerge="continue")
        + tc("（三）不予公开", vmerge="restart")
        + tc("1.属于国家秘密")
        + tc("0")
        + "</w:tr>"
        + "<w:tr>"
        + tc("", vmerge="continue")
        + tc("", vmerge="continue")
        + tc("2.其他法律行政法规禁止公开")
        + tc("1")
        + "</w:tr>"
        + '<w:tr><w:trPr><w:gridBefore w:val="2"/></w:trPr>'
        + tc("小计")
        + tc("1")
        + "</w:tr>"
        + "<w:tr>"
        + "<w:sdt><w:sdtContent>"
        + tc("四、结转下年度继续办理", span=3)
        + "</w:sdtContent></w:sdt>"
        + "<w:tc><w:p><w:r><w:t>1</w:t><w:br/><w:t>2</w:t></w:r></w:p></w:tc>"
        + "</w:tr>"
        + "</w:tbl>"
    )
    text, grids, title = parse_docx(_docx(body), DEFAULT_LIMITS)
    assert title == "示例镇2023年政府信息公开工作年度报告"
    assert "三、收到和处理政府信息公开申请情况" in text
    (g,) = grids
    assert g.caption == "三、收到和处理政府信息公开申请情况"
    assert (g.n_rows, g.n_cols) == (5, 4)
    assert [c.origin for c in g.rows[0]] == [(0, 0), (0, 1), (0, 1), (0, 3)]
    assert g.rows[2][0].origin == (0, 0) and g.rows[2][1].origin == (1, 1)
    assert g.rows[3][0].text == "" and g.rows[3][2].text == "小计"  # gridBefore leaves two empty slots
    assert g.rows[3][0].origin == (3, 0)
    assert [c.text for c in g.rows[4]] == ["四、结转下年度继续办理"] * 3 + ["1\n2"]
    assert g.rows[4][2].origin == (4, 0)


def test_nested_table_text_stays_in_its_cell() -> None:
    inner = "<w:tbl><w:tr>" + tc("内层") + "</w:tr></w:tbl>"
    body = "<w:tbl><w:tr>" + tc("外层") + f"<w:tc>{p('前')}{inner}</w:tc>" + "</w:tr></w:tbl>"
    _, grids, _ = parse_docx(_docx(body), DEFAULT_LIMITS)
    assert len(grids) == 1
    assert grids[0].rows[0][1].text == "前\n内层"


def test_docx_of_scanned_pictures_is_image_only() -> None:
    from crawler.parsing import parse_document

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        drawing = "<w:p><w:r><w:drawing/></w:r></w:p>"
        zf.writestr(
            "word/document.xml",
            f'<?xml version="1.0"?><w:document {W}><w:body>{drawing}</w:body></w:document>',
        )
        zf.writestr("word/media/image1.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    result = parse_document(buf.getvalue(), "http://127.0.0.1/scan.docx")
    assert result.status == "image_only"
    assert result.source == "docx"
    assert result.is_report
