"""The PDFium reading of PDF pages (pdf_layer) and the fast steps of pdf.py against pdfplumber itself.

The PDF parser reads pages with PDFium and runs its own versions of a few pdfplumber steps (words,
text, edge merging, cell search). Each must give what pdfplumber gives: the chars and graphics of a
page those of pdfminer, the fast steps the results of pdfplumber's functions.
"""

from __future__ import annotations

import io
import random

import pdfplumber
import pytest
from attach_helpers import PDF_DIR, make_spec
from pdfplumber.table import edges_to_intersections, intersections_to_cells, merge_edges
from pdfplumber.utils import extract_text, extract_words, obj_to_bbox
from pdfplumber.utils.text import chars_to_textmap

from crawler.parsing.attachments import pdf as pdf_mod
from crawler.parsing.attachments import pdf_layer
from crawler.parsing.attachments.pdf import parse_pdf
from crawler.parsing.dispatch import DEFAULT_LIMITS
from simulator.render_files import render_pdf

BOX = ("x0", "x1", "top", "bottom")


def _form_and_fonts_pdf() -> bytes:
    """Text and rules inside a scaled form XObject, Helvetica, rotated text, a closed curve."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(595, 842), invariant=1)
    c.beginForm("f1")
    c.setFont("STSong-Light", 10)
    c.drawString(10, 10, "表格 12 abc")
    c.rect(5, 5, 100, 20, stroke=1, fill=0)
    c.line(0, 0, 50, 0)
    c.endForm()
    c.saveState()
    c.translate(100, 500)
    c.scale(1.5, 1.5)
    c.doForm("f1")
    c.restoreState()
    c.setFont("Helvetica", 12)
    c.drawString(72, 700, "Hello world fi 2023")
    c.saveState()
    c.translate(300, 300)
    c.rotate(90)
    c.drawString(0, 0, "rotated 123")
    c.restoreState()
    path = c.beginPath()
    path.moveTo(10, 10)
    path.curveTo(20, 30, 40, 30, 50, 10)
    path.lineTo(50, 50)
    path.close()
    c.drawPath(path, stroke=1, fill=1)
    c.showPage()
    c.save()
    return buf.getvalue()


def _samples() -> list[bytes]:
    out = [
        render_pdf(make_spec("v2021", seed=3), ruled=True),
        render_pdf(make_spec("v2019", seed=4), ruled=False),
    ]
    out += [p.read_bytes() for p in sorted(PDF_DIR.glob("*.pdf"))]
    out.append(_form_and_fonts_pdf())
    return out


@pytest.mark.parametrize("payload", _samples(), ids=["ruled", "unruled", "hongze2023", "hongze2024", "forms"])
def test_layer_reads_pages_as_pdfminer(payload: bytes) -> None:
    with pdfplumber.open(io.BytesIO(payload)) as pdf, pdf_layer.open_pdf(payload) as doc:
        doctop = 0.0
        for i, page in enumerate(pdf.pages):
            layer = pdf_layer.read_page(doc, i, doctop)
            doctop += layer.height
            assert (layer.width, layer.height) == (page.width, page.height)
            # PDFium drops the second of two blanks in a row (words are the same either way)
            ref = [c for k, c in enumerate(page.chars) if not (c["text"] == " " == page.chars[k - 1]["text"])]
            assert [c["text"] for c in layer.chars] == [c["text"] for c in ref]
            for mine, theirs in zip(layer.chars, ref, strict=True):
                assert all(abs(mine[k] - theirs[k]) < 1e-3 for k in (*BOX, "doctop", "size"))
                assert mine["upright"] == theirs["upright"]
            kinds = ("line", "rect", "curve")
            theirs_g = sorted(
                (o["object_type"], *(round(o[k], 3) for k in BOX), o["stroke"], o["fill"])
                for t in kinds
                for o in page.objects.get(t, [])
            )
            mine_g = sorted(
                (o["object_type"], *(round(o[k], 3) for k in BOX), o["stroke"], o["fill"])
                for o in layer.graphics
            )
            assert mine_g == theirs_g
            assert pdf_mod._page_text(layer.chars) == page.extract_text()


def _random_chars(rnd: random.Random) -> list[dict]:
    chars = []
    tops = [rnd.choice([10.0, 12.0, 13.0, 14.5, 20.0, 22.9, 23.0]) for _ in range(4)]
    for _ in range(rnd.randint(0, 30)):
        top = rnd.choice(tops) + rnd.choice([0, 0, 0, 0.5, -1, 2.9, 3.1])
        x, w = rnd.uniform(0, 200), rnd.choice([0, 2, 5, 8, 10])
        chars.append(
            {
                "text": rnd.choice(["1", "0", "a", " ", "ﬁ", "中", "", "\u3000", "-"]),
                "x0": x,
                "x1": x + w,
                "top": top,
                "bottom": top + 10,
                "doctop": top + 842,
                "upright": rnd.random() < 0.99,
                "size": 10,
                "width": w,
                "height": 10,
            }
        )
    x, top = rnd.uniform(0, 50), rnd.choice(tops)
    for _ in range(rnd.randint(0, 12)):  # a run of touching and nearly touching chars
        w, gap = rnd.choice([5, 8, 10]), rnd.choice([0, 0, 1.5, 1.6, 3, 3.5, -1])
        chars.append(
            {
                "text": rnd.choice(["1", "2", "中", " "]),
                "x0": x + gap,
                "x1": x + gap + w,
                "top": top,
                "bottom": top + 10,
                "doctop": top,
                "upright": True,
                "size": 10,
                "width": w,
                "height": 10,
            }
        )
        x += gap + w
    return chars


def test_fast_words_and_text_equal_pdfplumber() -> None:
    keys = ("text", "x0", "x1", "top", "bottom", "doctop", "upright", "direction")
    rnd = random.Random(7)
    for _ in range(3000):
        chars = _random_chars(rnd)
        for tol in (3, 1.5):
            theirs = extract_words(chars, x_tolerance=tol) if chars else []
            mine = pdf_mod._words(chars, x_tolerance=tol)
            assert [tuple(w[k] for k in keys) for w in mine] == [tuple(w[k] for k in keys) for w in theirs]
        assert pdf_mod._extract_text(chars) == extract_text(chars)
        page_text = chars_to_textmap(chars, layout_bbox=(0, 0, 595, 842), layout_width=595, layout_height=842)
        assert pdf_mod._page_text(chars) == (page_text.as_string if chars else "")


def _random_edges(rnd: random.Random) -> list[dict]:
    edges = []
    for _ in range(rnd.randint(1, 30)):
        pos = rnd.choice([0.1, 0.2, 0.3, 1.0, 2.5, 3.0, 5.0, 7.7])
        start, length = rnd.choice([0, 0.5, 1, 4, 6]), rnd.choice([0, 1, 2, 4, 9])
        if rnd.random() < 0.5:
            e = {"orientation": "v", "x0": pos, "x1": pos, "top": start, "bottom": start + length}
            e |= {"width": 0, "height": length, "object_type": "line"}
        else:
            e = {"orientation": "h", "x0": start, "x1": start + length, "top": pos, "bottom": pos}
            e |= {"width": length, "height": 0, "object_type": "line"}
        edges += [e, dict(e)] if rnd.random() < 0.3 else [e]
    return edges


def test_fast_edge_merge_and_cells_equal_pdfplumber() -> None:
    def shape(edges: list[dict]) -> set[tuple]:
        return {(e["orientation"], *obj_to_bbox(e), e["width"], e["height"]) for e in edges}

    rnd = random.Random(3)
    for _ in range(1500):
        edges = _random_edges(rnd)
        tol = rnd.choice([0, 1, 3])
        theirs = merge_edges([dict(e) for e in edges], tol, tol, 3, 3)
        mine = pdf_mod._merge_edges(edges, tol, tol, 3, 3)
        assert shape(mine) == shape(theirs)
        points = edges_to_intersections(mine, 3, 3)
        assert pdf_mod._intersections_to_cells(points) == intersections_to_cells(points)


def test_rotated_page_goes_through_pdfplumber() -> None:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(595, 842), invariant=1)
    c.setPageRotation(90)
    c.setFont("Helvetica", 12)
    c.drawString(72, 720, "Landscape table 1 2 3")
    c.rect(70, 600, 200, 40)
    c.showPage()
    c.save()
    rotated = buf.getvalue()
    with pdf_layer.open_pdf(rotated) as doc, pytest.raises(pdf_layer.NeedsFallback):
        pdf_layer.read_page(doc, 0, 0.0)
    assert parse_pdf(rotated, DEFAULT_LIMITS) == pdf_mod._parse_with_pdfplumber(rotated, DEFAULT_LIMITS)
    assert "Landscape" in parse_pdf(rotated, DEFAULT_LIMITS)[0]


def test_layer_and_pdfplumber_paths_agree() -> None:
    for payload in _samples()[:4]:
        assert parse_pdf(payload, DEFAULT_LIMITS) == pdf_mod._parse_with_pdfplumber(payload, DEFAULT_LIMITS)
