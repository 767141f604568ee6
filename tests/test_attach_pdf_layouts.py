"""PDF text quirks, drawn by hand: numbers split across text runs, header characters one per line."""

from __future__ import annotations

import io

import pytest

from crawler.parsing.attachments.pdf import parse_pdf
from crawler.parsing.dispatch import DEFAULT_LIMITS

HEADERS = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
VALUES = ["12", "305", "0", "7", "324"]


def _draw(ruled: bool) -> bytes:
    """A 行政复议 table: a header row with one character per line, values drawn digit by digit."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    c.setFont("STSong-Light", 10)
    c.drawString(72, 760, "四、政府信息公开行政复议、行政诉讼情况")
    x0, width, top = 72, 60, 740
    # rows: label row (行政复议 across 5 columns), header row (70pt, vertical), values row
    heights = [20, 70, 20]
    ys = [top]
    for h in heights:
        ys.append(ys[-1] - h)
    if ruled:
        c.setLineWidth(0.5)
        for y in ys:
            c.line(x0, y, x0 + 5 * width, y)
        for i in range(6):
            c.line(x0 + i * width, ys[0] if i in (0, 5) else ys[1], x0 + i * width, ys[-1])
    c.drawString(x0 + 2.5 * width - 20, ys[0] - 14, "行政复议")
    for i, head in enumerate(HEADERS):
        for k, ch in enumerate(head):  # one character per line, centred in the column
            c.drawString(x0 + i * width + width / 2 - 5, ys[1] - 12 - k * 12, ch)
    for i, value in enumerate(VALUES):
        x = x0 + i * width + width / 2 - 3 * len(value)
        for ch in value:  # every digit its own text run
            c.drawString(x, ys[2] - 14, ch)
            x += 5.6
    c.showPage()
    c.save()
    return buf.getvalue()


@pytest.mark.parametrize("ruled", [True, False])
def test_split_digits_and_vertical_headers(ruled: bool) -> None:
    text, grids, _, _ = parse_pdf(_draw(ruled), DEFAULT_LIMITS)
    assert grids, text
    grid = grids[0]
    last = [c.text for c in grid.rows[-1] if c.text]
    assert last == VALUES
    headers = [c.text.replace("\n", "") for c in grid.rows[-2] if c.text]
    assert headers == HEADERS
    if ruled:
        assert grid.layout == "table"
        assert grid.rows[0][4].origin == (0, 0)  # 行政复议 spans the five columns
    else:
        assert grid.layout == "text"
