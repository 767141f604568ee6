"""Render a ReportSpec as the files real portals attach: PDF (ruled or unruled), DOCX, XLSX.

The simulator serves these bytes (Jiangsu-style PDF portal, generic DOCX portal) and the attachment
parsers' round-trip tests parse them back. Two properties matter:

* the tables carry the official spans (表三's 3x3 corner note, the rowspan-20/22 "三、本年度办理结果",
  表四's two-level header), so parsers meet the same merged cells as in real files; in the PDF 表三
  always continues onto the next page, without repeating its header, as in real reports;
* output is deterministic (fixed dates, fixed zip timestamps, reportlab's invariant mode), so the
  simulator serves stable bytes and captures deduplicate.

:func:`table_layouts` is the one description of the three tables; every renderer draws from it.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field

from crawler.parsing.schema import T3_COLUMNS
from simulator.render import T3_CORNER_TEXT, T3_OTHER_V2021, T3_RESULT_GROUPS, T3_TOP
from simulator.spec import ReportSpec

FIXED_DATETIME = (2024, 1, 1, 0, 0, 0)
_FIXED_W3CDTF = "2024-01-01T00:00:00Z"

SECTION_TITLES: dict[str, str] = {
    "overall": "一、总体情况",
    "active_disclosure": "二、主动公开政府信息情况",
    "requests": "三、收到和处理政府信息公开申请情况",
    "review_litigation": "四、政府信息公开行政复议、行政诉讼情况",
    "problems": "五、存在的主要问题及改进情况",
    "other": "六、其他需要报告的事项",
}
# which table follows which section title
_TABLE_AFTER = {"active_disclosure": "t2", "requests": "t3", "review_litigation": "t4"}

# The official 表三 layout is written once, in simulator.render; the file renderers reshape it into
# (group label, [(row key, sub-label)]) where an ungrouped row is its own group with an empty sub-label.
T3_CORNER = T3_CORNER_TEXT
_T3_COLS = T3_COLUMNS
_T3_TOP = list(T3_TOP)
_T3_GROUPS: list[tuple[str, list[tuple[str, str]]]] = [
    entry
    for group, rows in T3_RESULT_GROUPS
    for entry in ([(label, [(key, "")]) for key, label in rows] if group is None else [(group, list(rows))])
]
_T3_OTHER_V2019 = ("（六）其他处理", [("other_handling", "")])
_T3_OTHER_V2021 = ("（六）其他处理", list(T3_OTHER_V2021))
_T3_TOTAL = ("（七）总计", [("result_total", "")])

_T4_COLS = (
    ("maintain", "结果维持"),
    ("correct", "结果纠正"),
    ("other", "其他结果"),
    ("pending", "尚未审结"),
    ("total", "总计"),
)

# 表二 blocks: (caption, [(col key, header)], [(row key, label)])
_T2_V2019 = [
    (
        "art20_1",
        "第二十条第（一）项",
        [("made", "本年新制作数量"), ("published", "本年新公开数量"), ("total_public", "对外公开总数量")],
        [("regulations", "规章"), ("normative_docs", "规范性文件")],
    ),
    (
        "art20_5",
        "第二十条第（五）项",
        [("prev_items", "上一年项目数量"), ("change", "本年增/减"), ("decisions", "处理决定数量")],
        [("licensing", "行政许可"), ("other_services", "其他对外管理服务事项")],
    ),
    (
        "art20_6",
        "第二十条第（六）项",
        [("prev_items", "上一年项目数量"), ("change", "本年增/减"), ("decisions", "处理决定数量")],
        [("penalty", "行政处罚"), ("coercion", "行政强制")],
    ),
    (
        "art20_8",
        "第二十条第（八）项",
        [("prev_items", "上一年项目数量"), ("change", "本年增/减")],
        [("fees", "行政事业性收费")],
    ),
    (
        "art20_9",
        "第二十条第（九）项",
        [("items", "采购项目数量"), ("amount", "采购总金额")],
        [("procurement", "政府集中采购")],
    ),
]
_T2_V2021 = [
    (
        "art20_1",
        "第二十条第（一）项",
        [("issued", "本年制发件数"), ("repealed", "本年废止件数"), ("in_force", "现行有效件数")],
        [("regulations", "规章"), ("normative_docs", "行政规范性文件")],
    ),
    ("art20_5", "第二十条第（五）项", [("decisions", "本年处理决定数量")], [("licensing", "行政许可")]),
    (
        "art20_6",
        "第二十条第（六）项",
        [("decisions", "本年处理决定数量")],
        [("penalty", "行政处罚"), ("coercion", "行政强制")],
    ),
    (
        "art20_8",
        "第二十条第（八）项",
        [("amount", "本年收费金额（单位：万元）")],
        [("fees", "行政事业性收费")],
    ),
]


@dataclass(frozen=True, slots=True)
class SpanCell:
    """One (possibly merged) cell of a table layout."""

    row: int
    col: int
    text: str
    rowspan: int = 1
    colspan: int = 1
    numeric: bool = False  # a value cell (centred, may be blank)


@dataclass(slots=True)
class TableLayout:
    key: str  # "t2" | "t3" | "t4"
    caption: str
    n_rows: int
    n_cols: int
    header_rows: int  # rows that are header (never split from the table's first page)
    col_widths: tuple[float, ...]  # relative widths (sum 1.0)
    cells: list[SpanCell] = field(default_factory=list)


def format_value(value: int | float | None) -> str:
    """How a cell value is printed: blank for None, plain digits, decimals without exponent."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    text = repr(float(value))
    if "e" in text or "E" in text:
        text = f"{value:.10f}".rstrip("0").rstrip(".")
    if text.endswith(".0"):
        text = text[:-2]
    return text


def _v(spec: ReportSpec, key: str) -> str:
    return format_value(spec.cells.get(key))


def _table2(spec: ReportSpec) -> TableLayout:
    blocks = _T2_V2021 if spec.template == "v2021" else _T2_V2019
    cells: list[SpanCell] = []
    r = 0
    for block, caption, cols, rows in blocks:
        cells.append(SpanCell(r, 0, caption, colspan=4))
        r += 1
        cells.append(SpanCell(r, 0, "信息内容"))
        for i, (_, header) in enumerate(cols):
            span = 4 - 1 - i if i == len(cols) - 1 else 1
            cells.append(SpanCell(r, 1 + i, header, colspan=span))
        r += 1
        for row_key, label in rows:
            cells.append(SpanCell(r, 0, label))
            for i, (col_key, _) in enumerate(cols):
                span = 4 - 1 - i if i == len(cols) - 1 else 1
                cells.append(
                    SpanCell(
                        r, 1 + i, _v(spec, f"t2.{block}.{row_key}.{col_key}"), colspan=span, numeric=True
                    )
                )
            r += 1
    return TableLayout("t2", SECTION_TITLES["active_disclosure"], r, 4, 0, (0.31, 0.23, 0.23, 0.23), cells)


def _table3(spec: ReportSpec) -> TableLayout:
    cells: list[SpanCell] = [
        SpanCell(0, 0, T3_CORNER, rowspan=3, colspan=3),
        SpanCell(0, 3, "申请人情况", colspan=7),
        SpanCell(1, 3, "自然人", rowspan=2),
        SpanCell(1, 4, "法人或其他组织", colspan=5),
        SpanCell(1, 9, "总计", rowspan=2),
    ]
    for i, label in enumerate(("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")):
        cells.append(SpanCell(2, 4 + i, label))

    def values(r: int, row_key: str) -> None:
        for i, col in enumerate(_T3_COLS):
            cells.append(SpanCell(r, 3 + i, _v(spec, f"t3.{row_key}.{col}"), numeric=True))

    r = 3
    for row_key, label in _T3_TOP:
        cells.append(SpanCell(r, 0, label, colspan=3))
        values(r, row_key)
        r += 1
    groups = [*_T3_GROUPS, _T3_OTHER_V2021 if spec.template == "v2021" else _T3_OTHER_V2019, _T3_TOTAL]
    n_result_rows = sum(len(rows) for _, rows in groups)
    cells.append(SpanCell(r, 0, "三、本年度办理结果", rowspan=n_result_rows))
    for group_label, rows in groups:
        if len(rows) == 1 and not rows[0][1]:
            cells.append(SpanCell(r, 1, group_label, colspan=2))
            values(r, rows[0][0])
            r += 1
            continue
        cells.append(SpanCell(r, 1, group_label, rowspan=len(rows)))
        for row_key, label in rows:
            cells.append(SpanCell(r, 2, label))
            values(r, row_key)
            r += 1
    cells.append(SpanCell(r, 0, "四、结转下年度继续办理", colspan=3))
    values(r, "carry_next")
    r += 1
    widths = (0.09, 0.11, 0.24) + (0.08,) * 7
    return TableLayout("t3", SECTION_TITLES["requests"], r, 10, 3, widths, cells)


def _table4(spec: ReportSpec) -> TableLayout:
    cells: list[SpanCell] = [
        SpanCell(0, 0, "行政复议", colspan=5),
        SpanCell(0, 5, "行政诉讼", colspan=10),
        SpanCell(1, 5, "未经复议直接起诉", colspan=5),
        SpanCell(1, 10, "复议后起诉", colspan=5),
    ]
    for i, (_, label) in enumerate(_T4_COLS):
        cells.append(SpanCell(1, i, label, rowspan=2))
        cells.append(SpanCell(2, 5 + i, label))
        cells.append(SpanCell(2, 10 + i, label))
    for b, row_key in enumerate(("review", "lit_direct", "lit_after")):
        for i, (col_key, _) in enumerate(_T4_COLS):
            cells.append(SpanCell(3, b * 5 + i, _v(spec, f"t4.{row_key}.{col_key}"), numeric=True))
    return TableLayout("t4", SECTION_TITLES["review_litigation"], 4, 15, 3, (1 / 15,) * 15, cells)


_LABEL_COLS = {"t2": 1, "t3": 3, "t4": 0}  # leading columns that hold row labels


def table_layouts(spec: ReportSpec) -> list[TableLayout]:
    """Tables 二, 三, 四 of a 2019/2021-format report with the official merged cells (none for pre-2019)."""
    if spec.template not in ("v2019", "v2021"):
        return []
    return [_table2(spec), _table3(spec), _table4(spec)]


def _section_order(spec: ReportSpec) -> list[str]:
    keys = list(SECTION_TITLES)
    keys += [k for k in spec.sections if k not in SECTION_TITLES]
    return keys


_PRE2019_DEFAULT = "本年度无需要特别说明的情况。"


def _document(spec: ReportSpec) -> list[tuple[str, object]]:
    """The report body in order: ("heading", text), ("para", text), ("table", TableLayout).

    2019/2021 formats: the six official sections with tables 二/三/四 after their headings. Pre-2019
    reports: the old 条例's seven sections, free text only (the HTML renderer's titles).
    """
    out: list[tuple[str, object]] = []
    if spec.template == "pre2019":
        from simulator.render import PRE2019_SECTION_TITLES

        out.append(
            (
                "para",
                f"根据《中华人民共和国政府信息公开条例》（国务院令第492号）要求，特向社会公布{spec.year}年度本机关政府信息公开工作年度报告。",
            )
        )
        for key, title in PRE2019_SECTION_TITLES:
            out.append(("heading", title))
            out.append(("para", spec.sections.get(key) or _PRE2019_DEFAULT))
        return out
    out.append(("para", _intro(spec)))
    tables = {t.key: t for t in table_layouts(spec)}
    for key in _section_order(spec):
        table = tables.get(_TABLE_AFTER.get(key, ""))
        text = spec.sections.get(key)
        if key in SECTION_TITLES and (text or table is not None):
            out.append(("heading", SECTION_TITLES[key]))
        if text:
            out.extend(("para", para) for para in text.split("\n"))
        if table is not None:
            out.append(("table", table))
    return out


def _intro(spec: ReportSpec) -> str:
    return (
        f"本报告根据《中华人民共和国政府信息公开条例》要求编制，报告中所列数据的统计期限自{spec.year}年1月1日起至"
        f"{spec.year}年12月31日止。"
    )


def _sign_off(spec: ReportSpec) -> list[str]:
    lines = [spec.issuer or spec.agency]
    if spec.published:
        d = spec.published
        lines.append(f"{d.year}年{d.month}月{d.day}日")
    return lines


# --------------------------------------------------------------------------------------------- PDF

_PAGE_W, _PAGE_H = 595.0, 842.0  # A4 in points
_MARGIN = 50.0
_FONT = "STSong-Light"


def _wrap(text: str, width: float, size: float) -> list[str]:
    """Break text into lines no wider than ``width`` (character by character: CJK has no spaces)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines: list[str] = []
    for para in text.split("\n"):
        cur = ""
        for ch in para:
            if cur and stringWidth(cur + ch, _FONT, size) > width:
                lines.append(cur)
                cur = ch
            else:
                cur += ch
        lines.append(cur)
    return lines


class _PdfWriter:
    """A tiny flowing layout on a reportlab canvas: paragraphs and tables, page breaks by hand."""

    def __init__(self, buf: io.BytesIO, title: str, ruled: bool, encrypt: str | None) -> None:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont
        from reportlab.pdfgen import canvas

        if _FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(UnicodeCIDFont(_FONT))
        kwargs: dict[str, object] = {"pagesize": (_PAGE_W, _PAGE_H), "invariant": 1}
        if encrypt is not None:
            from reportlab.lib.pdfencrypt import StandardEncryption

            kwargs["encrypt"] = StandardEncryption(encrypt, ownerPassword=encrypt + "-owner", strength=128)
        self.c = canvas.Canvas(buf, **kwargs)
        self.c.setTitle(title)
        self.c.setAuthor("nianbao simulator")
        self.c.setCreator("nianbao simulator")
        self.c.setProducer("nianbao simulator")
        self.ruled = ruled
        self.y = _PAGE_H - _MARGIN
        self.page = 1

    def new_page(self) -> None:
        self.c.showPage()
        self.page += 1
        self.y = _PAGE_H - _MARGIN

    def paragraph(self, text: str, size: float = 11, *, center: bool = False, indent: float = 0) -> None:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        width = _PAGE_W - 2 * _MARGIN - indent
        leading = size * 1.6
        for line in _wrap(text, width, size):
            if self.y - leading < _MARGIN:
                self.new_page()
            self.y -= leading
            self.c.setFont(_FONT, size)
            x = (_PAGE_W - stringWidth(line, _FONT, size)) / 2 if center else _MARGIN + indent
            self.c.drawString(x, self.y + size * 0.3, line)
        self.y -= size * 0.4

    def table(self, t: TableLayout, *, force_split: bool, size: float = 8.5) -> None:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        total_w = _PAGE_W - 2 * _MARGIN
        col_x = [_MARGIN]
        for w in t.col_widths:
            col_x.append(col_x[-1] + w * total_w)
        col_x[-1] = _MARGIN + total_w
        leading = size * 1.35
        pad = 3.0

        def cell_w(c: SpanCell) -> float:
            return col_x[c.col + c.colspan] - col_x[c.col]

        # row heights: single-row cells set their row's height; spanning cells stretch their last row
        heights = [leading + 2 * pad] * t.n_rows
        for c in t.cells:
            if c.rowspan == 1:
                need = len(_wrap(c.text, cell_w(c) - 2 * pad, size)) * leading + 2 * pad
                heights[c.row] = max(heights[c.row], need)
        for c in t.cells:
            if c.rowspan > 1:
                need = len(_wrap(c.text, cell_w(c) - 2 * pad, size)) * leading + 2 * pad
                have = sum(heights[c.row : c.row + c.rowspan])
                if need > have:
                    heights[c.row + c.rowspan - 1] += need - have

        # choose the page breaks: rows [start, end) per page part
        parts: list[tuple[int, int]] = []
        head_h = sum(heights[: t.header_rows]) + sum(heights[t.header_rows : t.header_rows + 3])
        if self.y - head_h < _MARGIN:
            self.new_page()
        start = 0
        avail = self.y - _MARGIN
        while start < t.n_rows:
            end, used = start, 0.0
            while end < t.n_rows and used + heights[end] <= avail:
                used += heights[end]
                end += 1
            if force_split and not parts and end >= t.n_rows - 4:
                end = max(t.header_rows + 3, t.n_rows - 5)  # 表三 always continues on the next page
            end = max(end, start + 1)
            parts.append((start, end))
            start = end
            avail = _PAGE_H - 2 * _MARGIN

        for i, (start, end) in enumerate(parts):
            if i:
                self.new_page()
            row_y = [self.y]
            for r in range(start, end):
                row_y.append(row_y[-1] - heights[r])
            self.c.setFont(_FONT, size)
            self.c.setLineWidth(0.6)
            for c in t.cells:
                r0, r1 = max(c.row, start), min(c.row + c.rowspan, end)
                if r0 >= r1:
                    continue
                top, bottom = row_y[r0 - start], row_y[r1 - start]
                x0, x1 = col_x[c.col], col_x[c.col + c.colspan]
                if self.ruled:
                    self.c.rect(x0, bottom, x1 - x0, top - bottom, stroke=1, fill=0)
                if c.row < start:  # the continuation of a merged cell: its text stays on the first page
                    continue
                lines = _wrap(c.text, x1 - x0 - 2 * pad, size)
                block = len(lines) * leading
                # ruled: vertically centred, as Word does; unruled: top-aligned, so a label sits
                # on its row's first line
                ty = top - (top - bottom - block) / 2 if self.ruled else top - pad
                for line in lines:
                    ty -= leading
                    w = stringWidth(line, _FONT, size)
                    # row labels (in the label columns) are left-aligned, everything else is centred,
                    # as in Word templates: values and column headers share the column's centre
                    centred = c.numeric or c.row < t.header_rows or c.col >= _LABEL_COLS[t.key]
                    x = (x0 + x1 - w) / 2 if centred else x0 + pad
                    self.c.drawString(x, ty + (leading - size) / 2 + size * 0.15, line)
            self.y = row_y[-1] - 8

    def finish(self) -> None:
        self.c.showPage()
        self.c.save()


def render_pdf(spec: ReportSpec, ruled: bool = True, *, encrypt_password: str | None = None) -> bytes:
    """The report as a PDF: title, sections, tables 二/三/四 (表三 continues onto the next page).

    ``ruled=False`` draws the tables without any lines (text positioned only), as some converters do.
    ``encrypt_password`` produces an encrypted PDF (for the parser's bad-input tests).
    """
    buf = io.BytesIO()
    w = _PdfWriter(buf, spec.title, ruled, encrypt_password)
    w.paragraph(spec.title, 16, center=True)
    for kind, item in _document(spec):
        if kind == "heading":
            w.paragraph(str(item), 12)
        elif kind == "para":
            w.paragraph(str(item), 11)
        else:
            assert isinstance(item, TableLayout)
            w.table(item, force_split=item.key == "t3")
    for line in _sign_off(spec):
        w.paragraph(line, 11)
    w.finish()
    return buf.getvalue()


# --------------------------------------------------------------------------------------- zip files


def _deterministic_zip(data: bytes) -> bytes:
    """Rewrite an OOXML zip with fixed entry timestamps and fixed core-property dates."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            blob = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                blob = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z?", _FIXED_W3CDTF.encode(), blob)
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_DATETIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, blob)
    return out.getvalue()


def render_docx(spec: ReportSpec) -> bytes:
    """The report as a Word document with real merged cells (w:gridSpan / w:vMerge)."""
    import datetime as dt

    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    doc = Document()
    props = doc.core_properties
    props.title = spec.title
    props.author = spec.issuer or spec.agency
    props.last_modified_by = "nianbao simulator"
    fixed = dt.datetime(*FIXED_DATETIME)
    props.created = fixed
    props.modified = fixed
    props.last_printed = fixed
    props.revision = 1

    head = doc.add_paragraph(spec.title)
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for kind, item in _document(spec):
        if kind != "table":
            doc.add_paragraph(str(item))
            continue
        assert isinstance(item, TableLayout)
        table = item
        wt = doc.add_table(rows=table.n_rows, cols=table.n_cols)
        wt.style = "Table Grid"
        # wt.cell() rebuilds the whole cell list on every call (quadratic, seconds per report):
        # take the unmerged grid once; spans never overlap, so origins and corners stay valid.
        grid = wt._cells
        for c in table.cells:
            cell = grid[c.row * table.n_cols + c.col]
            if c.rowspan > 1 or c.colspan > 1:
                cell = cell.merge(grid[(c.row + c.rowspan - 1) * table.n_cols + c.col + c.colspan - 1])
            cell.text = c.text
    for line in _sign_off(spec):
        doc.add_paragraph(line)
    buf = io.BytesIO()
    doc.save(buf)
    return _deterministic_zip(buf.getvalue())


def render_xlsx(spec: ReportSpec) -> bytes:
    """The report's tables on one worksheet (title, caption rows, tables separated by a blank row)."""
    import datetime as dt

    from openpyxl import Workbook

    wb = Workbook()
    fixed = dt.datetime(*FIXED_DATETIME)
    wb.properties.creator = spec.issuer or spec.agency
    wb.properties.title = spec.title
    wb.properties.created = fixed
    wb.properties.modified = fixed
    ws = wb.active
    ws.title = "年报"
    ws.cell(1, 1, spec.title)
    row = 3
    for t in table_layouts(spec):
        ws.cell(row, 1, t.caption)
        row += 1
        for c in t.cells:
            value: object = c.text
            if c.numeric and c.text:
                num = _number(c.text)
                value = num if num is not None else c.text
            ws.cell(row + c.row, 1 + c.col, value)
            if c.rowspan > 1 or c.colspan > 1:
                ws.merge_cells(
                    start_row=row + c.row,
                    start_column=1 + c.col,
                    end_row=row + c.row + c.rowspan - 1,
                    end_column=c.col + c.colspan,
                )
        row += t.n_rows + 1
    buf = io.BytesIO()
    wb.save(buf)
    return _deterministic_zip(buf.getvalue())


def _number(text: str) -> int | float | None:
    """The number a value cell prints (XLSX stores numbers as numbers, not text)."""
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return None
