"""DOCX reports, read from the XML: paragraphs as text, tables with w:gridSpan / w:vMerge as dense grids.

python-docx would hide exactly what matters here (a horizontally merged cell is returned once per
slot, a vertical merge as repeated objects), so the body is walked directly: ``w:tc`` with
``w:gridSpan`` covers several grid columns, ``w:vMerge w:val="restart"`` starts a vertical merge and
a bare ``w:vMerge`` continues the cell above. The result is the same dense grid an HTML table with
rowspan/colspan gives, and goes through the same mapper.

The zip's declared sizes are checked against ``ParseLimits.max_unzipped_bytes`` before anything is
inflated, and members are read with a hard cap too (declared sizes can lie).
"""

from __future__ import annotations

from lxml import etree

from crawler.parsing.attachments.common import (
    AttachmentError,
    Span,
    check_zip,
    clean_text,
    grid_from_spans,
    pick_title,
    read_member,
)
from crawler.parsing.dispatch import ParseLimits
from crawler.parsing.grid import Grid

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W = f"{{{W}}}"
_DC = "{http://purl.org/dc/elements/1.1/}"


def parse_docx(payload: bytes, limits: ParseLimits) -> tuple[str, list[Grid], str | None]:
    """(text, grids, title) of a Word 2007+ document."""
    zf = check_zip(payload, limits.max_unzipped_bytes, "DOCX")
    names = set(zf.namelist())
    if "word/document.xml" not in names:
        raise AttachmentError("error", "not a Word document: the zip has no word/document.xml")
    xml = read_member(zf, "word/document.xml", limits.max_unzipped_bytes, "DOCX")
    core_title = None
    if "docProps/core.xml" in names:
        try:
            core = etree.fromstring(read_member(zf, "docProps/core.xml", 1 << 20, "DOCX"), _parser())
            el = core.find(f"{_DC}title")
            core_title = clean_text(el.text) if el is not None and el.text else None
        except etree.XMLSyntaxError:
            core_title = None
    try:
        root = etree.fromstring(xml, _parser())
    except etree.XMLSyntaxError as exc:
        raise AttachmentError("error", f"corrupt DOCX: word/document.xml is not well-formed ({exc})") from exc
    body = root.find(f"{_W}body")
    if body is None:
        raise AttachmentError("error", "corrupt DOCX: word/document.xml has no w:body")
    lines: list[str] = []
    grids: list[Grid] = []
    cells = 0
    for el in _blocks(body):
        if el.tag == f"{_W}p":
            text = _para_text(el)
            if text:
                lines.append(text)
        elif el.tag == f"{_W}tbl":
            grid = _table_grid(el, caption=lines[-1] if lines else "")
            cells += grid.n_rows * grid.n_cols
            if cells > limits.max_table_cells:
                raise AttachmentError(
                    "error",
                    f"DOCX refused: more than {limits.max_table_cells:,} table cells (ParseLimits.max_table_cells)",
                )
            grids.append(grid)
            for row in grid.rows:
                seen = [c.text for i, c in enumerate(row) if c.origin[1] == i and c.text]
                if seen:
                    lines.append(" ".join(s.replace("\n", "") for s in seen))
    text = "\n".join(lines)
    if len(text.strip()) < 20 and not grids and any(n.startswith("word/media/") for n in names):
        raise AttachmentError("image_only", "Word document holding only pictures (scanned pages); no OCR")
    title = pick_title(lines) or core_title
    return text, grids, title


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)


def _blocks(body: etree._Element):  # type: ignore[no-untyped-def]
    """Top-level paragraphs and tables in order, looking through content controls (w:sdt)."""
    for el in body:
        if el.tag in (f"{_W}p", f"{_W}tbl"):
            yield el
        elif el.tag == f"{_W}sdt":
            content = el.find(f"{_W}sdtContent")
            if content is not None:
                yield from _blocks(content)


def _para_text(p: etree._Element) -> str:
    parts: list[str] = []
    for node in p.iter(f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}cr"):
        if node.tag == f"{_W}t":
            parts.append(node.text or "")
        elif node.tag == f"{_W}tab":
            parts.append(" ")
        else:
            parts.append("\n")
    return clean_text("".join(parts))


def _cell_text(tc: etree._Element) -> str:
    paras = [_para_text(p) for p in tc.iter(f"{_W}p")]
    return clean_text("\n".join(p for p in paras if p))


def _int_attr(el: etree._Element | None, default: int) -> int:
    if el is None:
        return default
    try:
        return max(1, int(el.get(f"{_W}val", default)))
    except ValueError:
        return default


def _table_grid(tbl: etree._Element, caption: str) -> Grid:
    """w:tr/w:tc with gridSpan and vMerge -> spans -> dense grid."""
    spans: dict[tuple[int, int], list] = {}  # origin -> [row, col, row_end, col_end, text]
    owner: dict[tuple[int, int], tuple[int, int]] = {}  # slot -> origin
    rows = [tr for tr in tbl if tr.tag == f"{_W}tr"]
    for r, tr in enumerate(rows):
        trpr = tr.find(f"{_W}trPr")
        before = trpr.find(f"{_W}gridBefore") if trpr is not None else None
        col = _int_attr(before, 0) if before is not None else 0
        for tc in tr:
            if tc.tag == f"{_W}sdt":  # a content control wrapping a cell
                inner = tc.find(f"{_W}sdtContent")
                tc = inner.find(f"{_W}tc") if inner is not None else None
                if tc is None:
                    continue
            if tc.tag != f"{_W}tc":
                continue
            tcpr = tc.find(f"{_W}tcPr")
            span = _int_attr(tcpr.find(f"{_W}gridSpan"), 1) if tcpr is not None else 1
            vmerge = tcpr.find(f"{_W}vMerge") if tcpr is not None else None
            continues = vmerge is not None and vmerge.get(f"{_W}val", "continue") == "continue"
            above = owner.get((r - 1, col)) if continues else None
            if above is not None and spans[above][3] == col + span:
                spans[above][2] = r + 1
                origin = above
            else:
                origin = (r, col)
                spans[origin] = [r, col, r + 1, col + span, _cell_text(tc)]
            for c in range(col, col + span):
                owner[(r, c)] = origin
            col += span
    return grid_from_spans([Span(*v) for v in spans.values()], caption=caption)
