"""The text and graphics layer of PDF pages read with PDFium (pypdfium2), as pdfplumber objects.

pdfplumber gets its chars and paths from pdfminer, which interprets every content stream in pure
Python: three quarters of a PDF report's parse time. PDFium does the same in C. This module reads
its text page (chars with origins and advances) and its path objects, and builds the dicts pdfplumber
would have built for them, so that the table and text algorithms of pdfplumber (``TableFinder``,
``extract_text``, ``extract_words``) run unchanged on them:

* a char's box is pdfminer's: from the baseline origin, ``size`` high, starting ``Descent/1000 * size``
  below the baseline (the font descriptor's descent), as wide as the glyph advance;
* a path is split into subpaths and each becomes a ``line`` (two points), a ``rect`` (an axis-parallel
  closed four-sided path) or a ``curve`` (anything else, with the end points of its segments), as
  pdfminer classifies them; coordinates are pdfplumber's (``top`` measured from the top of the page).

PDFium computes in single precision: coordinates are rounded to 4 decimals (content streams write
them with at most 4), so that an axis-parallel rule stays exactly axis-parallel, as pdfplumber sees it.

A document this module does not reproduce faithfully (encrypted, rotated pages, a MediaBox not at
the origin, vertical writing) raises :class:`NeedsFallback`; the caller then uses pdfplumber itself.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from math import floor
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pdfminer.fontmetrics import FONT_METRICS

# PDFium is not thread-safe: one document at a time per process
_LOCK = threading.Lock()
_SCALE = 1e4  # coordinates are rounded to 4 decimals: floor(v * _SCALE + 0.5) / _SCALE (round() is slow)


def _fast(fn: Any) -> Callable[..., Any]:
    """``fn`` with every handle argument and result as a plain ``c_void_p`` (an int in Python).

    pypdfium2's typed handles cannot be hashed by address and each conversion costs; a page has
    thousands of chars, each read with several calls.
    """

    def plain(t: Any) -> Any:
        target = getattr(t, "_type_", None)
        if isinstance(target, type) and target.__name__.startswith("struct_fpdf"):
            return ctypes.c_void_p
        return t

    proto = ctypes.CFUNCTYPE(plain(fn.restype), *[plain(t) for t in fn.argtypes])
    address = ctypes.cast(fn, ctypes.c_void_p).value
    assert address is not None
    return proto(address)


def _address(handle: Any) -> int:
    """The address behind a pypdfium2 handle (a NULL one is an error the page's caller handles)."""
    value = ctypes.cast(handle, ctypes.c_void_p).value
    if value is None:
        raise ValueError("NULL PDFium handle")
    return int(value)


_C = {
    name: _fast(getattr(pdfium_c, name))
    for name in (
        "FPDFText_CountChars",
        "FPDFText_IsGenerated",
        "FPDFText_GetTextObject",
        "FPDFText_GetUnicode",
        "FPDFText_GetText",
        "FPDFText_HasUnicodeMapError",
        "FPDFText_IsHyphen",
        "FPDFText_GetCharOrigin",
        "FPDFText_GetLooseCharBox",
        "FPDFPageObj_GetMatrix",
        "FPDFPageObj_GetType",
        "FPDFPageObj_GetBounds",
        "FPDFPageObj_SetStrokeWidth",
        "FPDFPageObj_Transform",
        "FPDFTextObj_GetFontSize",
        "FPDFTextObj_GetFont",
        "FPDFTextObj_SetTextRenderMode",
        "FPDFFont_GetDescent",
        "FPDFFont_GetBaseFontName",
        "FPDFFont_GetGlyphWidth",
        "FPDFPage_CountObjects",
        "FPDFPage_GetObject",
        "FPDFFormObj_CountObjects",
        "FPDFFormObj_GetObject",
        "FPDFPath_GetDrawMode",
        "FPDFPath_CountSegments",
        "FPDFPath_GetPathSegment",
        "FPDFPathSegment_GetPoint",
        "FPDFPathSegment_GetType",
        "FPDFPathSegment_GetClose",
    )
}


class NeedsFallback(Exception):
    """This document is read with pdfplumber instead (the reason is the message)."""


class PdfOpenError(Exception):
    """PDFium could not open the document; ``kind`` is ``encrypted`` or ``corrupt``."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(slots=True)
class LayerPage:
    """One page as pdfplumber objects: ``chars`` in content order, ``graphics`` (line/rect/curve).

    A char has the keys pdfplumber's text and word functions read (text, x0, x1, top, bottom,
    doctop, upright, size, object_type); a graphic those its table search and its edge functions
    read.
    """

    number: int
    width: float
    height: float
    chars: list[dict]
    graphics: list[dict]

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return (0.0, 0.0, self.width, self.height)


@contextmanager
def open_pdf(payload: bytes) -> Iterator[pdfium.PdfDocument]:
    """The document, with PDFium to ourselves; raises :class:`PdfOpenError` or :class:`NeedsFallback`."""
    with _LOCK:
        try:
            doc = pdfium.PdfDocument(payload)
        except pdfium.PdfiumError as exc:
            if exc.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
                raise PdfOpenError("encrypted", str(exc)) from exc
            raise PdfOpenError("corrupt", str(exc)) from exc
        try:
            if pdfium_c.FPDF_GetSecurityHandlerRevision(doc) != -1:
                # opened with the empty user password: pdfminer decrypts some strings differently
                # (e.g. reportlab's CID fonts lose their Unicode mapping); keep its reading
                raise NeedsFallback("encrypted document")
            yield doc
        finally:
            doc.close()


def read_page(doc: pdfium.PdfDocument, index: int, doctop: float) -> LayerPage:
    """Page ``index`` (0-based) whose top is ``doctop`` points down the document."""
    try:
        page = doc[index]
    except pdfium.PdfiumError as exc:  # a page PDFium cannot load: pdfminer may still read it
        raise NeedsFallback(f"page {index + 1}: {exc}") from exc
    try:
        if page.get_rotation() % 360:
            raise NeedsFallback(f"page {index + 1} is rotated")
        x0, y0, x1, y1 = page.get_mediabox()
        if x0 or y0:
            raise NeedsFallback(f"page {index + 1} has a MediaBox not at the origin")
        height = y1 - y0
        walk = _Walk(height)
        textpage = None
        try:
            walk.objects(_address(page.raw), None)
            textpage = page.get_textpage()
            chars = _chars(_address(textpage.raw), walk, height, doctop)
        except (ValueError, OverflowError, pdfium.PdfiumError) as exc:  # a NaN coordinate, no text page
            raise NeedsFallback(f"page {index + 1}: {exc}") from exc
        finally:
            if textpage is not None:
                textpage.close()
        return LayerPage(index + 1, float(x1 - x0), float(height), chars, walk.graphics)
    finally:
        page.close()


# ------------------------------------------------------------------------------------------ chars


@dataclass(slots=True)
class _Font:
    """What the text objects of one font share."""

    descent: float  # the font descriptor's Descent, per unit of size (negative)
    name: str
    widths: dict[int, float | None]  # Unicode -> advance per 1000 units (see _advance)
    afm: dict[str, int] | None  # the built-in metrics pdfminer uses instead for this font name


@dataclass(slots=True)
class _TextObj:
    """What the chars of one text object share."""

    order: int  # position in the content stream
    a: float
    b: float
    c: float
    d: float
    size: float  # the Tf size
    font: int  # the FPDF_FONT handle
    info: _Font
    upright: bool
    simple: bool  # an upright, unrotated, unskewed matrix: the common case, computed inline


def _text_obj(handle: int, order: int, outer: _Matrix | None, fonts: dict[int, _Font]) -> _TextObj:
    m = pdfium_c.FS_MATRIX()
    _C["FPDFPageObj_GetMatrix"](handle, m)
    if outer is not None:  # a text object of a form XObject: its matrix is in the form's space
        m.a, m.b, m.c, m.d, m.e, m.f = _concat((m.a, m.b, m.c, m.d, m.e, m.f), outer)
    size = ctypes.c_float()
    _C["FPDFTextObj_GetFontSize"](handle, size)
    font = _C["FPDFTextObj_GetFont"](handle) or 0
    info = fonts.get(font)
    if info is None:
        descent = ctypes.c_float()
        _C["FPDFFont_GetDescent"](font, 1000.0, descent)
        name_len = _C["FPDFFont_GetBaseFontName"](font, None, 0)
        buf = ctypes.create_string_buffer(max(name_len, 1))
        _C["FPDFFont_GetBaseFontName"](font, buf, name_len)
        name = buf.value.decode("utf-8", "replace")
        d = descent.value
        afm = None
        if name in FONT_METRICS:
            # pdfminer takes the metrics of a font named like one of the standard fonts (Helvetica,
            # Arial, Times-Roman, ...) from its AFM table, whatever the PDF says
            metrics, afm = FONT_METRICS[name]
            d = float(metrics.get("Descent", 0))  # type: ignore[arg-type]
        d = -d if d > 0 else d  # a positive Descent is taken as negative (pdfminer does the same)
        info = fonts[font] = _Font(d / 1000, name, {}, afm)
    return _TextObj(
        order,
        m.a,
        m.b,
        m.c,
        m.d,
        size.value,
        font,
        info,
        m.a * m.d > 0 and m.b * m.c <= 0,
        m.b == 0 and m.c == 0 and m.a > 0 and m.d > 0,
    )


_GENERATED = frozenset((0x20, 0x0D, 0x0A))  # the only chars PDFium generates: space, CR, LF


def _chars(textpage: int, walk: _Walk, height: float, doctop: float) -> list[dict]:
    """The chars of the text page, in content-stream order (that of their text objects).

    PDFium's text page sorts the text objects of a line by their x position and adds generated
    spaces and line breaks; pdfminer keeps the order of the content stream, and pdfplumber's
    ``extract_text`` relies on it. Chars are put back in the order of their objects.
    """
    n = _C["FPDFText_CountChars"](textpage)
    ox, oy = ctypes.c_double(), ctypes.c_double()
    fonts: dict[int, _Font] = {}
    objs: dict[int, _TextObj] = {}
    groups: dict[int, list[dict]] = {}
    get_obj = _C["FPDFText_GetTextObject"]
    get_unicode = _C["FPDFText_GetUnicode"]
    is_generated = _C["FPDFText_IsGenerated"]
    map_error = _C["FPDFText_HasUnicodeMapError"]
    get_origin = _C["FPDFText_GetCharOrigin"]
    codes = _all_unicode(textpage, n)
    last = 0  # the text object of the previous char, and what the chars of it share:
    t: _TextObj | None = None
    group: list[dict] = []
    widths: dict[int, float | None] = {}
    x_scale = y_low = y_high = 0.0
    for i in range(n):
        handle = get_obj(textpage, i)
        if not handle:
            continue  # line breaks PDFium adds between text objects
        code = codes[i] if codes is not None else get_unicode(textpage, i)
        if code in _GENERATED and is_generated(textpage, i):
            continue  # a space PDFium adds inside a text object for a wide gap
        if handle != last or t is None:
            last = handle
            t = objs.get(handle)
            if t is None:
                t = objs[handle] = _text_obj(
                    handle, walk.text_order.get(handle, -1), walk.form_matrix.get(handle), fonts
                )
            group = groups.setdefault(t.order, [])
            widths = t.info.widths
            fs = t.size
            # an upright text object: the advance wide, from Descent below the baseline one em high
            x_scale = t.a * fs / 1000
            y_low, y_high = t.d * (t.info.descent * fs), t.d * (t.info.descent * fs + fs)
        if map_error(textpage, i) == 1:
            text = f"(cid:{code})"  # no Unicode for this glyph: PDFium gives the char code
        elif code == 2 and _C["FPDFText_IsHyphen"](textpage, i):
            text, code = "-", 0x2D  # a hyphen ending a line, which PDFium marks as soft
        else:
            text = chr(code)
        width: float | None
        if t.info.afm is not None:
            width = t.info.afm.get(text, 0)
        else:
            width = widths.get(code)
            if width is None:
                width = widths[code] = _advance(t.font, code)
                if width is None:  # no width from the font: the loose box's (a glyph's extent)
                    box = pdfium_c.FS_RECTF()
                    _C["FPDFText_GetLooseCharBox"](textpage, i, box)
                    width = (box.right - box.left) / (t.a * t.size) * 1000 if t.a and t.size else 0.0
        get_origin(textpage, i, ox, oy)
        x, y = floor(ox.value * _SCALE + 0.5) / _SCALE, floor(oy.value * _SCALE + 0.5) / _SCALE
        if t.simple and width >= 0:
            y0, y1 = y + y_low, y + y_high
            top = height - y1
            group.append(
                {
                    "text": text,
                    "size": y1 - y0,
                    "upright": True,
                    "x0": x,
                    "x1": x + x_scale * width,
                    "top": top,
                    "bottom": height - y0,
                    "doctop": doctop + top,
                    "object_type": "char",
                }
            )
        else:
            char = _char(t, text, x, y, width, height)
            char["doctop"] = doctop + char["top"]
            group.append(char)
    return [ch for key in sorted(groups) for ch in groups[key]]


def _all_unicode(textpage: int, n: int) -> list[int] | None:
    """The Unicode of every char of the text page in one call, if its text is one unit per char.

    The page text leaves out a few kinds of char (a soft hyphen, a glyph without any code) and
    writes a char beyond the BMP as two UTF-16 units; then the lengths differ and the chars are
    read one by one.
    """
    buf = (ctypes.c_ushort * (n + 1))()
    written = _C["FPDFText_GetText"](textpage, 0, n, buf)
    if written - 1 != n:
        return None
    codes = buf[:n]
    if any(0xD800 <= c < 0xE000 for c in codes):
        return None
    return codes


def _advance(font: int, code: int) -> float | None:
    """The advance width (per 1000 units of size) the PDF gives the glyph of Unicode ``code``.

    ``FPDFFont_GetGlyphWidth`` looks the char code up from a Unicode value and reads the font's
    /Widths or /W entry, as pdfminer does; negative for a vertical-writing font (the vertical
    advance). Not PDFium's loose char box: that box also covers the glyph's outline, which in a
    substituted font can be wider than the advance.
    """
    out = ctypes.c_float()
    if not _C["FPDFFont_GetGlyphWidth"](font, code, 1000.0, out):
        return None
    return out.value


def _char(t: _TextObj, text: str, x: float, y: float, width: float, height: float) -> dict:
    """pdfminer's box of a glyph at PDFium's origin (x, y), as a pdfplumber char."""
    fs = t.size
    if width >= 0:
        # horizontal writing: from the baseline origin, Descent below it, one em high, the advance wide
        lo = t.info.descent * fs
        u0, v0, u1, v1 = 0.0, lo, width / 1000 * fs, lo + fs
    else:
        # vertical writing: PDFium's origin is the glyph box's lower left corner; one em wide,
        # the (negative) vertical advance high
        u0, v0, u1, v1 = 0.0, 0.0, fs, -width / 1000 * fs
    a, d = t.a, t.d
    if t.b == 0 and t.c == 0:
        x0, x1 = (x + a * u0, x + a * u1) if a >= 0 else (x + a * u1, x + a * u0)
        y0, y1 = (y + d * v0, y + d * v1) if d >= 0 else (y + d * v1, y + d * v0)
    else:
        b, c = t.b, t.c
        xs = (a * u0 + c * v0, a * u1 + c * v0, a * u1 + c * v1, a * u0 + c * v1)
        ys = (b * u0 + d * v0, b * u1 + d * v0, b * u1 + d * v1, b * u0 + d * v1)
        x0, x1, y0, y1 = x + min(xs), x + max(xs), y + min(ys), y + max(ys)
    return {
        "text": text,
        "size": (x1 - x0) if width < 0 else (y1 - y0),
        "upright": t.upright,
        "x0": x0,
        "x1": x1,
        "top": height - y1,
        "bottom": height - y0,
        "object_type": "char",
    }


# --------------------------------------------------------------------------------------- graphics

_Matrix = tuple[float, float, float, float, float, float]


def _concat(inner: _Matrix, outer: _Matrix) -> _Matrix:
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


class _Walk:
    """One pass over a page's objects (form XObjects included, in content order).

    Collects the graphics, numbers the text objects in content order, and makes text objects of
    zero width visible to the text page: PDFium measures a text object by its glyph outlines and
    skips an object of zero width, so a lone space, or a lone glyph of a font not embedded and not
    installed, would be lost (pdfminer measures by the advance widths and keeps them). Stroking the
    text with a 1pt pen widens the object by the pen's width; its chars and their advances stay.
    """

    def __init__(self, height: float) -> None:
        self.height = height
        self.text_order: dict[int, int] = {}
        self.form_matrix: dict[int, _Matrix] = {}  # text object in a form XObject -> the form's matrix
        self.graphics: list[dict] = []
        self._m = pdfium_c.FS_MATRIX()
        self._bounds = [ctypes.c_float() for _ in range(4)]

    def objects(self, holder: int, outer: _Matrix | None) -> None:
        """The objects of a page (``outer`` None) or of a form object (its matrix ``outer``)."""
        if outer is None:
            count, get = _C["FPDFPage_CountObjects"](holder), _C["FPDFPage_GetObject"]
        else:
            count, get = _C["FPDFFormObj_CountObjects"](holder), _C["FPDFFormObj_GetObject"]
        get_type, get_bounds = _C["FPDFPageObj_GetType"], _C["FPDFPageObj_GetBounds"]
        m = self._m
        for i in range(count):
            obj = get(holder, i)
            kind = get_type(obj)
            if kind == _TEXT:
                self.text_order[obj] = len(self.text_order)
                if outer is not None:
                    self.form_matrix[obj] = outer
                left, bottom, right, top = self._bounds
                if get_bounds(obj, left, bottom, right, top) and abs(right.value - left.value) < 0.01:
                    _widen(obj)
                continue
            if kind != _PATH and kind != _FORM:
                continue
            _C["FPDFPageObj_GetMatrix"](obj, m)
            matrix: _Matrix = (m.a, m.b, m.c, m.d, m.e, m.f)
            if outer is not None:
                matrix = _concat(matrix, outer)
            if kind == _FORM:
                self.objects(obj, matrix)
            else:
                _path(obj, matrix, self.height, self.graphics)


def _widen(obj: int) -> None:
    """Stroke a text object with a 1pt pen: it becomes 1pt wide for the text page (see _Walk)."""
    _C["FPDFTextObj_SetTextRenderMode"](obj, pdfium_c.FPDF_TEXTRENDERMODE_FILL_STROKE)
    _C["FPDFPageObj_SetStrokeWidth"](obj, 1.0)
    _C["FPDFPageObj_Transform"](obj, 1, 0, 0, 1, 0, 0)  # recomputes the object's bounds


_TEXT, _PATH, _FORM = pdfium_c.FPDF_PAGEOBJ_TEXT, pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_FORM
_MOVETO = pdfium_c.FPDF_SEGMENT_MOVETO
_BEZIERTO = pdfium_c.FPDF_SEGMENT_BEZIERTO


def _path(obj: int, matrix: _Matrix, height: float, out: list[dict]) -> None:
    """Append pdfminer's reading of a path object (one line/rect/curve per subpath) to ``out``."""
    fill_mode, stroke = ctypes.c_int(), ctypes.c_int()
    _C["FPDFPath_GetDrawMode"](obj, fill_mode, stroke)
    fill = fill_mode.value != pdfium_c.FPDF_FILLMODE_NONE
    stroked = bool(stroke.value)
    if not fill and not stroked:
        return
    a, b, c, d, e, f = matrix
    x, y = ctypes.c_float(), ctypes.c_float()
    get_segment, get_point = _C["FPDFPath_GetPathSegment"], _C["FPDFPathSegment_GetPoint"]
    get_type, get_close = _C["FPDFPathSegment_GetType"], _C["FPDFPathSegment_GetClose"]
    shape: list[str] = []
    pts: list[tuple[float, float]] = []
    bezier = 0
    for s in range(_C["FPDFPath_CountSegments"](obj)):
        seg = get_segment(obj, s)
        get_point(seg, x, y)
        px, py = x.value, y.value
        pt = (
            floor((a * px + c * py + e) * _SCALE + 0.5) / _SCALE,
            floor((b * px + d * py + f) * _SCALE + 0.5) / _SCALE,
        )
        kind = get_type(seg)
        if kind == _MOVETO:
            if shape:
                _subpath("".join(shape), pts, height, stroked, fill, out)
            shape, pts, bezier = ["m"], [pt], 0
        elif not shape:  # a path must start with a move: pdfminer paints nothing of such a path
            return
        elif kind == _BEZIERTO:
            bezier += 1
            if bezier % 3 == 0:  # the control points are no points of the path for pdfminer
                shape.append("c")
                pts.append(pt)
        else:
            # PDFium closes a subpath ("h") with a line back to its start, marked closing
            shape.append("h" if pt == pts[0] and get_close(seg) else "l")
            pts.append(pt)
    if shape:
        _subpath("".join(shape), pts, height, stroked, fill, out)


def _subpath(
    shape: str, pts: list[tuple[float, float]], height: float, stroke: bool, fill: bool, out: list[dict]
) -> None:
    """pdfminer's reading of one subpath: a line, a rect or a curve (pdfplumber coordinates)."""
    if len(shape) > 3 and shape[-2:] == "lh" and pts[-2] == pts[0]:
        shape = shape[:-2] + "h"  # a redundant line back to the start before the close
        pts = pts[:-2] + pts[-1:]
    if shape == "mlh" or shape == "ml":
        kind = "line"
        pts = pts[:2]
    elif shape == "mlllh" or shape == "mllll":
        (x0, y0), (x1, y1), (x2, y2), (x3, y3), _ = pts
        square = (x0 == x1 and y1 == y2 and x2 == x3 and y3 == y0) or (
            y0 == y1 and x1 == x2 and y2 == y3 and x3 == x0
        )
        kind = "rect" if pts[0] == pts[4] and square else "curve"
    elif len(shape) < 2:
        return  # a lone move paints nothing
    else:
        kind = "curve"
    if kind == "rect":
        left, right = (x0, x2) if x0 <= x2 else (x2, x0)
        low, high = (y0, y2) if y0 <= y2 else (y2, y0)
    else:
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        left, right, low, high = min(xs), max(xs), min(ys), max(ys)
    item = {
        "object_type": kind,
        "x0": left,
        "x1": right,
        "top": height - high,
        "bottom": height - low,
        "width": right - left,
        "height": high - low,
        "stroke": stroke,
        "fill": fill,
    }
    if kind != "rect":
        item["pts"] = [(px, height - py) for px, py in pts]
    out.append(item)
