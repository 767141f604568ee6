"""PDF reports with pdfplumber: ruled tables with their merged cells, continuations, unruled tables.

* Ruled tables are found from the *stroked* graphics only. Word/WPS exports paint a white filled box
  behind every text line and cell; taken as edges those boxes turn prose into one-column "tables"
  (both real 洪泽区 PDFs do this), so filled boxes without a stroke are dropped first.
* Spans come from the cell bounding boxes: the distinct cell tops/lefts are the grid lines, and a
  box covering several of them is a merged cell.
* A table that runs off the bottom of a page and goes on at the top of the next one without a header
  (表三 nearly always does) is stitched back into one grid; the first row of the continuation keeps
  the merged label cells ("三、本年度办理结果", "（四）无法提供") going, as a reader would.
* A page without ruled tables but with number-bearing lines gets a grid from word positions: words
  clustered into lines by their vertical position, numbers assigned to columns by their centres.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from itertools import groupby
from operator import itemgetter
from typing import Any, cast

from crawler.parsing.attachments.common import AttachmentError, Span, clean_text, grid_from_spans, pick_title
from crawler.parsing.dispatch import ParseLimits
from crawler.parsing.grid import Grid

_HEADER_MARKS = ("申请人情况", "行政复议", "第二十条第（一）项", "第二十条第(一)项")
_CID = re.compile(r"\(cid:\d+\)")
_NUMBER = re.compile(r"^[+\-−]?\d[\d,，]*(?:\.\d+)?$")


@dataclass(slots=True)
class _Box:
    x0: float
    top: float
    x1: float
    bottom: float
    text: str


@dataclass(slots=True)
class _Table:
    page: int
    top: float
    bottom: float
    page_height: float
    boxes: list[_Box]
    caption: str = ""


def parse_pdf(payload: bytes, limits: ParseLimits) -> tuple[str, list[Grid], str | None, str]:
    """(text, grids, title, note) of a PDF; ``note`` says what a cap left out ("" if nothing).

    The pages are read with PDFium (:mod:`.pdf_layer`, in C) as pdfplumber objects; pdfplumber's
    own table and text algorithms then run on them. A file PDFium cannot open, or one it does not
    read as pdfminer would (encrypted, rotated pages), goes the whole way through pdfplumber.
    """
    from crawler.parsing.attachments import pdf_layer

    tail = payload[-2048:]
    if b"%%EOF" not in tail:
        raise AttachmentError("error", "truncated PDF: no %%EOF marker at the end of the file")
    try:
        with pdf_layer.open_pdf(payload) as doc:
            total = len(doc)
            return _parse_pages(_layer_pages(doc, total), total, limits)
    except (pdf_layer.PdfOpenError, pdf_layer.NeedsFallback):
        # PDFium cannot open it (broken, encrypted) or reads it differently: pdfplumber decides
        return _parse_with_pdfplumber(payload, limits)


def _layer_pages(doc: object, count: int) -> Iterator[_LayerPage]:
    """The pages, each read when it is asked for (the page cap stops the reading)."""
    from crawler.parsing.attachments import pdf_layer

    doctop = 0.0
    for i in range(count):
        layer = pdf_layer.read_page(doc, i, doctop)  # type: ignore[arg-type]
        doctop += layer.height
        yield _LayerPage(layer.width, layer.height, layer.chars, layer.graphics)


def _parse_with_pdfplumber(payload: bytes, limits: ParseLimits) -> tuple[str, list[Grid], str | None, str]:
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.psparser import PSException

    try:
        pdf = pdfplumber.open(io.BytesIO(payload))
    except (PDFPasswordIncorrect, PDFEncryptionError) as exc:
        raise AttachmentError(
            "error", f"encrypted PDF: cannot be opened without a password ({type(exc).__name__})"
        ) from exc
    except PSException as exc:
        raise AttachmentError("error", f"corrupt PDF: {type(exc).__name__}: {exc}") from exc
    except Exception as exc:  # pdfplumber wraps pdfminer's errors: look at what is inside
        inner = [exc, *exc.args, exc.__cause__, exc.__context__]
        names = " ".join(type(e).__name__ for e in inner if isinstance(e, BaseException))
        if "Password" in names or "Encrypt" in names:
            raise AttachmentError("error", "encrypted PDF: cannot be opened without a password") from exc
        detail = next(
            (f"{type(e).__name__}: {e}" for e in inner[1:] if isinstance(e, BaseException)), str(exc)
        )
        raise AttachmentError("error", f"corrupt PDF: {type(exc).__name__} ({detail})") from exc
    with pdf:
        return _parse_pages(iter(pdf.pages), _page_count(pdf), limits)


def _parse_pages(
    pages: Iterator[object], total: int, limits: ParseLimits
) -> tuple[str, list[Grid], str | None, str]:
    """Text, tables and notes of the pages (pdfplumber pages or :class:`_LayerPage`)."""
    try:
        texts: list[str] = []
        tables: list[_Table] = []
        loose: list[Grid] = []
        carried: list[float] = []  # value columns an unruled table takes to the next page
        cells = 0
        note = ""
        for i, page in enumerate(pages):
            if i >= limits.max_pdf_pages:
                note = (
                    f"page cap: parsed the first {limits.max_pdf_pages} of {total} pages "
                    "(ParseLimits.max_pdf_pages)"
                )
                break
            texts.append(_page_text(page.chars))  # type: ignore[attr-defined]
            if cells > limits.max_table_cells:
                continue
            page_tables = _ruled_tables(page, i)
            if page_tables:
                tables.extend(page_tables)
                cells += sum(len(t.boxes) for t in page_tables)
                carried = []
            else:
                grid, carried = _unruled_grid(page, carried)
                if grid is not None:
                    loose.append(grid)
                    cells += grid.n_rows * grid.n_cols
        if cells > limits.max_table_cells:
            note = (note + "; " if note else "") + (
                f"table cap: more than {limits.max_table_cells:,} table cells (ParseLimits.max_table_cells)"
            )
    except AttachmentError:
        raise
    except Exception as exc:
        from crawler.parsing.attachments.pdf_layer import NeedsFallback

        if isinstance(exc, NeedsFallback):
            raise
        raise AttachmentError("error", f"corrupt PDF: {type(exc).__name__}: {exc}") from exc
    text = "\n".join(texts)
    if not text.strip() and not tables:
        raise AttachmentError("image_only", "PDF without a text layer (scanned pages); no OCR")
    cid_marks = _CID.findall(text)
    cids = len(cid_marks)
    if cids > 20 and sum(map(len, cid_marks)) * 2 > len(text):  # most of the "text" is "(cid:3413)" marks
        raise AttachmentError(
            "unparsed",
            f"unparsed: PDF text has no Unicode mapping ({cids} CID glyphs without ToUnicode); needs OCR",
        )
    grids = [_grid(t) for t in _stitch(tables)] + loose
    title = pick_title(text.splitlines())
    return text, grids, title, note


class _LayerPage:
    """A page read by :mod:`.pdf_layer` with the part of pdfplumber's ``Page`` this module uses.

    (Text and words come from :func:`_page_text` and :func:`_words`, for both kinds of page.)
    """

    def __init__(self, width: float, height: float, chars: list[dict], graphics: list[dict]) -> None:
        self.width = width
        self.height = height
        self.bbox = (0.0, 0.0, width, height)
        self.chars = chars
        self.graphics = graphics

    def filter(self, keep: Callable[[dict], bool]) -> _LayerPage:
        return _LayerPage(
            self.width, self.height, [c for c in self.chars if keep(c)], [g for g in self.graphics if keep(g)]
        )

    @cached_property
    def edges(self) -> list[dict]:
        """pdfplumber's ``Page.edges`` (lines, then rects, then curves), as small dicts.

        The values are those of pdfplumber's ``line_to_edge``, ``rect_to_edges`` and
        ``curve_to_edges``, computed the same way; only the keys the table search reads are kept.
        """
        out: list[dict] = []
        for g in self.graphics:
            if g["object_type"] == "line":
                orient: str | None = "h" if g["top"] == g["bottom"] else "v"
                out.append(_edge(orient, g["x0"], g["x1"], g["top"], g["bottom"], g["width"], g["height"]))
        for g in self.graphics:
            if g["object_type"] == "rect":
                x0, x1, top, bottom, w, h = g["x0"], g["x1"], g["top"], g["bottom"], g["width"], g["height"]
                out.append(_edge("h", x0, x1, top, top, w, 0))
                out.append(_edge("h", x0, x1, top + h, bottom, w, 0))
                out.append(_edge("v", x0, x0, top, bottom, 0, h))
                out.append(_edge("v", x1, x1, top, bottom, 0, h))
        for g in self.graphics:
            if g["object_type"] == "curve":
                for (ax, ay), (bx, by) in zip(g["pts"], g["pts"][1:], strict=False):
                    orient = "v" if ax == bx else ("h" if ay == by else None)
                    out.append(
                        _edge(
                            orient,
                            min(ax, bx),
                            max(ax, bx),
                            min(ay, by),
                            max(ay, by),
                            abs(ax - bx),
                            abs(ay - by),
                        )
                    )
        return out


def _edge(
    orient: str | None, x0: float, x1: float, top: float, bottom: float, width: float, height: float
) -> dict:
    """An edge as the table search reads it (the keys of pdfplumber's edge objects it uses)."""
    return {
        "orientation": orient,
        "object_type": "edge",
        "x0": x0,
        "x1": x1,
        "top": top,
        "bottom": bottom,
        "width": width,
        "height": height,
    }


def _page_count(pdf: object) -> int:
    try:
        return int(pdf.doc.catalog["Pages"].resolve()["Count"])  # type: ignore[attr-defined]
    except Exception:
        return -1


def _is_edge_object(obj: dict) -> bool:
    """Keep text and stroked graphics; drop filled boxes that merely paint a background."""
    if obj.get("object_type") != "rect":
        return True
    if obj.get("stroke"):
        return True
    w, h = obj["x1"] - obj["x0"], obj["bottom"] - obj["top"]
    return min(w, h) < 2.0  # a thin filled bar is a drawn rule


def _ruled_tables(page: object, index: int) -> list[_Table]:
    filtered = page.filter(_is_edge_object)  # type: ignore[attr-defined]
    settings = {
        "vertical_strategy": "lines",
        "horizontal_strategy": "lines",
        "snap_tolerance": 3,
        "explicit_horizontal_lines": _missing_rules(filtered),
    }
    out: list[_Table] = []
    located: _Located | None = None
    for table in _find_tables(filtered, settings):
        cells = [bbox for row in table.rows for bbox in row.cells if bbox is not None]
        if len({round(b[0]) for b in cells}) < 2:  # one-column "tables" are framed prose
            continue
        if located is None:
            located = _locate(page.chars)  # type: ignore[attr-defined]
        texts = _cell_texts(cells, located)
        boxes = [_Box(b[0], b[1], b[2], b[3], clean_text(t)) for b, t in zip(cells, texts, strict=True)]
        _, top, _, bottom = table.bbox
        caption = _caption_above(page, top)
        out.append(_Table(index, top, bottom, float(page.height), boxes, caption))  # type: ignore[attr-defined]
    return out


def _find_tables(page: object, settings: dict) -> list[Any]:
    """pdfplumber's ``page.find_tables(settings)`` for the "lines" strategies, in less time.

    The steps are pdfplumber's (``TableFinder``): edges from the page's graphics and the explicit
    lines, merged (:func:`_merge_edges`), their intersections, the cells those describe
    (:func:`_intersections_to_cells`), the cells grouped into tables. The two steps done here give
    the same edges and cells as pdfplumber's functions, with less rework.
    """
    from pdfplumber.table import Table, TableSettings, cells_to_tables, edges_to_intersections
    from pdfplumber.utils import filter_edges, obj_to_edges

    tset = TableSettings.resolve(settings)
    assert tset.vertical_strategy == "lines" and tset.horizontal_strategy == "lines"
    assert not tset.explicit_vertical_lines
    edges = page.edges  # type: ignore[attr-defined]
    v = filter_edges(edges, "v", min_length=tset.edge_min_length_prefilter)
    h = filter_edges(edges, "h", min_length=tset.edge_min_length_prefilter)
    explicit = cast(list[dict[str, Any]], tset.explicit_horizontal_lines or [])  # _missing_rules: line objects
    h += [e for d in explicit for e in obj_to_edges(d) if e["orientation"] == "h"]
    merged = _merge_edges(
        v + h, tset.snap_x_tolerance, tset.snap_y_tolerance, tset.join_x_tolerance, tset.join_y_tolerance
    )
    merged = filter_edges(merged, min_length=tset.edge_min_length)
    points = edges_to_intersections(merged, tset.intersection_x_tolerance, tset.intersection_y_tolerance)
    cells = _intersections_to_cells(points)
    return [Table(page, group) for group in cells_to_tables(cells)]  # type: ignore[arg-type]


def _merge_edges(edges: list[dict], snap_x: float, snap_y: float, join_x: float, join_y: float) -> list[dict]:
    """pdfplumber's ``merge_edges``: snap edges to the mean of their cluster, then join collinear ones.

    Same arithmetic, same order, hence the same merged edges; but an edge repeated exactly (a ruled
    grid drawn cell by cell repeats every inner border) is snapped and joined once, and the edges are
    small dicts rather than copies of whole graphics objects. The mean of a cluster still counts
    every repeat, summed in pdfplumber's order. Edges are (orientation, x0, x1, top, bottom, width,
    height); nothing else of them matters downstream.
    """
    from pdfplumber.utils.clustering import make_cluster_dict

    snap = snap_x > 0 or snap_y > 0  # pdfplumber then snaps both orientations
    snapped: dict[str, list[tuple[float, ...]]] = {}
    for orient, attr, tol in (("v", "x0", snap_x), ("h", "top", snap_y)):
        group = [e for e in edges if e["orientation"] == orient]
        mean: dict[float, float] = {}  # position -> the mean of its cluster
        if snap:
            cluster_of = make_cluster_dict([e[attr] for e in group], tol)
            # pdfplumber orders the edges by cluster (stably) and sums each cluster in that order
            group.sort(key=lambda e: cluster_of[e[attr]])
            sums: dict[int, float] = {}
            counts: dict[int, int] = {}
            for e in group:
                k = cluster_of[e[attr]]
                sums[k] = sums.get(k, 0) + e[attr]
                counts[k] = counts.get(k, 0) + 1
            mean = {v: sums[k] / counts[k] for v, k in cluster_of.items()}
        seen: set[tuple[float, ...]] = set()
        out_of: list[tuple[float, ...]] = []
        for e in group:
            # (x0, x1, top, bottom, width, height)
            key = (e["x0"], e["x1"], e["top"], e["bottom"], e["width"], e["height"])
            if key in seen:
                continue
            seen.add(key)
            if snap:
                shift = mean[e[attr]] - e[attr]  # pdfplumber's move_object
                if orient == "v":
                    key = (key[0] + shift, key[1] + shift, *key[2:])
                else:
                    key = (key[0], key[1], key[2] + shift, key[3] + shift, key[4], key[5])
            out_of.append(key)
        snapped[orient] = out_of

    out: list[dict] = []
    for orient in ("h", "v"):  # pdfplumber sorts the edges by (orientation, position)
        at, lo, hi, tol = (2, 0, 1, join_x) if orient == "h" else (0, 2, 3, join_y)
        for _, items in groupby(sorted(snapped[orient], key=itemgetter(at)), key=itemgetter(at)):
            ordered = sorted(items, key=itemgetter(lo))
            joined = [list(ordered[0])]
            for nxt in ordered[1:]:
                last = joined[-1]
                if nxt[lo] <= last[hi] + tol:
                    if nxt[hi] > last[hi]:  # extend the current edge (pdfplumber's resize_object)
                        if orient == "h":
                            last[4] = nxt[1] - last[0]
                        else:
                            last[5] = last[5] + (nxt[3] - last[3])
                        last[hi] = nxt[hi]
                else:
                    joined.append(list(nxt))
            out.extend(_edge(orient, *j) for j in joined)
    return out


def _intersections_to_cells(intersections: dict) -> list[tuple[float, float, float, float]]:
    """pdfplumber's ``intersections_to_cells``, same cells in the same order, without its rework.

    pdfplumber rebuilds the edge sets of both points for every pair it tests and scans all later
    points for those in the same column or row: a quarter of a ruled page's time. Here each point's
    edge sets are built once, and its column and row neighbours are looked up in indexes.
    """
    from pdfplumber.utils import obj_to_bbox

    points = sorted(intersections)
    v_sets = {p: {obj_to_bbox(e) for e in intersections[p]["v"]} for p in points}
    h_sets = {p: {obj_to_bbox(e) for e in intersections[p]["h"]} for p in points}
    by_x: dict[float, list[tuple[float, float]]] = {}
    by_y: dict[float, list[tuple[float, float]]] = {}
    for p in points:  # in sorted order: a column is sorted by y, a row by x
        by_x.setdefault(p[0], []).append(p)
        by_y.setdefault(p[1], []).append(p)
    # the points after p in the sorted order with p's x (y) are those after it in its column (row)
    col_pos = {p: i for col in by_x.values() for i, p in enumerate(col)}
    row_pos = {p: i for row in by_y.values() for i, p in enumerate(row)}

    # pdfplumber's edge_connects, for the pairs it is asked about: two points of a column share a
    # vertical edge, two points of a row a horizontal one (the points are distinct)
    cells: list[tuple[float, float, float, float]] = []
    for pt in points[:-1]:
        below = by_x[pt[0]][col_pos[pt] + 1 :]
        right = by_y[pt[1]][row_pos[pt] + 1 :]
        pt_v, pt_h = v_sets[pt], h_sets[pt]
        found = None
        for below_pt in below:
            if pt_v.isdisjoint(v_sets[below_pt]):
                continue
            for right_pt in right:
                if pt_h.isdisjoint(h_sets[right_pt]):
                    continue
                corner = (right_pt[0], below_pt[1])
                if (
                    corner in intersections
                    and not v_sets[corner].isdisjoint(v_sets[right_pt])
                    and not h_sets[corner].isdisjoint(h_sets[below_pt])
                ):
                    found = (pt[0], pt[1], corner[0], corner[1])
                    break
            if found:
                break
        if found:
            cells.append(found)
    return cells


@dataclass(slots=True)
class _Located:
    """A page's chars by the height of their centres, for the cell lookups of its tables."""

    v_mids: list[float]  # sorted
    entries: list[tuple[float, float, int, dict]]  # (v_mid, h_mid, position on the page, char)


def _locate(chars: list[dict]) -> _Located:
    entries = sorted(
        (((c["top"] + c["bottom"]) / 2, (c["x0"] + c["x1"]) / 2, i, c) for i, c in enumerate(chars)),
        key=itemgetter(0, 2),
    )
    return _Located([e[0] for e in entries], entries)


def _cell_texts(cells: list[tuple[float, float, float, float]], located: _Located) -> list[str]:
    """The text of each cell: its chars (by their centre, as pdfplumber's ``Table.extract``) joined.

    ``Table.extract`` tests every char against every row and cell (rows x chars, then cells x row
    chars), a third of a ruled page's CPU. Cells do not overlap, so each char is looked up once in a
    slot index: the cell edges cut the table into elementary slots, each covered by at most one cell.
    Only the chars whose centre lies within the table's height are looked at.
    """
    from bisect import bisect_left, bisect_right

    xs = sorted({v for c in cells for v in (c[0], c[2])})
    ys = sorted({v for c in cells for v in (c[1], c[3])})
    slot: dict[tuple[int, int], int] = {}
    for n, (x0, top, x1, bottom) in enumerate(cells):
        for i in range(bisect_right(ys, top) - 1, bisect_right(ys, bottom) - 1):
            for j in range(bisect_right(xs, x0) - 1, bisect_right(xs, x1) - 1):
                slot.setdefault((i, j), n)
    found: list[list[tuple[int, dict]]] = [[] for _ in cells]
    x_lo, x_hi = xs[0], xs[-1]
    start, stop = bisect_left(located.v_mids, ys[0]), bisect_left(located.v_mids, ys[-1])
    for v_mid, h_mid, pos, ch in located.entries[start:stop]:  # the slots span [first, last) line
        if not x_lo <= h_mid < x_hi:
            continue
        hit = slot.get((bisect_right(ys, v_mid) - 1, bisect_right(xs, h_mid) - 1))
        if hit is not None:
            found[hit].append((pos, ch))
    # each cell's chars in page order, as pdfplumber hands them on
    return [_extract_text([ch for _, ch in sorted(cs, key=itemgetter(0))]) for cs in found]


def _runs(chars: list[dict], x_tolerance: float, y_tolerance: float) -> list[list[dict]] | None:
    """The chars of each word, in the order of pdfplumber's word extractor; None unless all upright.

    pdfplumber's ``WordExtractor`` is a general machine (any text direction, options, extra
    attributes) and costs as much as reading the page. For upright chars with the default options
    it comes down to: lines are the clusters of the chars' tops (pdfplumber's own
    ``cluster_objects``), each sorted by x0; a word ends at a blank, at a step back, at a gap wider
    than ``x_tolerance`` or at a jump in top beyond ``y_tolerance``; "" is a word of its own.
    """
    from operator import itemgetter

    from pdfplumber.utils import cluster_objects

    if not all(c["upright"] is True for c in chars):
        return None
    runs: list[list[dict]] = []
    get_x0 = itemgetter("x0")
    if chars and all(c["top"] == chars[0]["top"] for c in chars):
        lines = [chars]  # one top: one cluster, in the given order (a table cell, mostly)
    else:
        lines = cluster_objects(chars, itemgetter("top"), y_tolerance) if chars else []
    for line in lines:
        run: list[dict] = []
        for c in sorted(line, key=get_x0):
            text = c["text"]
            if text.isspace():
                if run:
                    runs.append(run)
                run = []
            elif text == "":
                if run:
                    runs.append(run)
                runs.append([c])
                run = []
            elif run and (
                c["x0"] < run[-1]["x0"]
                or c["x0"] > run[-1]["x1"] + x_tolerance
                or abs(c["top"] - run[-1]["top"]) > y_tolerance
            ):
                runs.append(run)
                run = [c]
            else:
                run.append(c)
        if run:
            runs.append(run)
    return runs


def _run_text(run: list[dict]) -> str:
    from pdfplumber.utils.text import LIGATURES

    return "".join(LIGATURES.get(c["text"], c["text"] or "") for c in run)


def _words(chars: list[dict], x_tolerance: float = 3, y_tolerance: float = 3) -> list[dict]:
    """``pdfplumber.utils.extract_words(chars, x_tolerance=..., y_tolerance=...)``, faster (:func:`_runs`)."""
    from pdfplumber.utils import extract_words

    runs = _runs(chars, x_tolerance, y_tolerance)
    if runs is None:
        return extract_words(chars, x_tolerance=x_tolerance, y_tolerance=y_tolerance)
    words: list[dict] = []
    for run in runs:
        first = run[0]
        top = min(c["top"] for c in run)
        x0, x1, bottom = min(c["x0"] for c in run), max(c["x1"] for c in run), max(c["bottom"] for c in run)
        words.append(
            {
                "text": _run_text(run),
                "x0": x0,
                "x1": x1,
                "top": top,
                "doctop": top + (first["doctop"] - first["top"]),
                "bottom": bottom,
                "upright": True,
                "height": bottom - top,
                "width": x1 - x0,
                "direction": "ltr",
            }
        )
    return words


def _extract_text(chars: list[dict]) -> str:
    """``pdfplumber.utils.extract_text(chars)``: the words, clustered into lines by their tops.

    Most table cells are one short line of chars sharing their top: then the words are simply the
    runs of that line.
    """
    from operator import itemgetter

    from pdfplumber.utils import cluster_objects
    from pdfplumber.utils.text import LIGATURES

    if not chars:
        return ""
    if len(chars) == 1:  # a value cell's single digit
        text = chars[0]["text"] or ""
        return "" if text.isspace() else LIGATURES.get(text, text)
    top = chars[0]["top"]
    if all(c["top"] == top for c in chars):
        runs = _runs(chars, 3, 3)
        if runs is not None:
            return " ".join(_run_text(r) for r in runs)
    lines = cluster_objects(_words(chars), itemgetter("top"), 3)
    return "\n".join(" ".join(w["text"] for w in line) for line in lines)


def _page_text(chars: list[dict]) -> str:
    """pdfplumber's ``page.extract_text()``: the words in order, a line break where the top moves."""
    from operator import itemgetter

    from pdfplumber.utils import cluster_objects

    if not chars:
        return ""
    runs = _runs(chars, 3, 3)
    if runs is None:
        words = [(w["top"], w["text"]) for w in _words(chars)]
    else:
        words = [(min(c["top"] for c in r), _run_text(r)) for r in runs]
    out: list[str] = []
    for line in cluster_objects(words, itemgetter(0), 3, preserve_order=True):
        length = 0
        parts: list[str] = []
        for _, text in line:
            if length:  # pdfplumber puts one space before a word unless the line is still empty
                parts.append(" ")
            parts.append(text)
            length += len(text)
        out.append("".join(parts))
    return "\n".join(out)


def _missing_rules(page: object) -> list[dict]:
    """Horizontal rules a table lacks where it breaks across pages.

    Word does not draw the bottom border of the last row before a page break (nor the top border of
    the continuation): the vertical rules simply stop. Where two or more vertical rules end (or start)
    at the same height and no horizontal rule is there, add one, so the broken row stays a cell.
    """
    from bisect import bisect_left, bisect_right

    verticals: list[tuple[float, float, float]] = []  # (x, top, bottom)
    horizontals: list[tuple[float, float, float]] = []  # (y, x0, x1)
    for e in page.edges:  # type: ignore[attr-defined]
        if e.get("orientation") == "v":
            verticals.append((e["x0"], e["top"], e["bottom"]))
        elif e.get("orientation") == "h":
            horizontals.append((e["top"], e["x0"], e["x1"]))
    horizontals.sort()
    h_tops = [h[0] for h in horizontals]
    out: list[dict] = []
    for end in (1, 2):  # the tops, then the bottoms of the vertical rules
        by_y: dict[int, list[float]] = {}
        for v in verticals:
            by_y.setdefault(round(v[end]), []).append(v[0])
        for y, xs in by_y.items():
            if len(xs) < 2:
                continue
            x0, x1 = min(xs), max(xs)
            near = horizontals[bisect_left(h_tops, y - 3) : bisect_right(h_tops, y + 3)]
            if any(abs(h[0] - y) <= 2 and h[1] <= x0 + 2 and h[2] >= x1 - 2 for h in near):
                continue
            out.append(
                {
                    "object_type": "line",
                    "x0": x0,
                    "x1": x1,
                    "top": float(y),
                    "bottom": float(y),
                    "width": x1 - x0,
                    "height": 0.0,
                    "doctop": float(y),
                }
            )
    return out


def _caption_above(page: object, top: float) -> str:
    """The text line just above a table (e.g. "三、收到和处理政府信息公开申请情况")."""
    y0 = max(0.0, top - 40)
    width = float(page.width)  # type: ignore[attr-defined]
    chars = [
        c
        for c in page.chars  # type: ignore[attr-defined]
        if c["top"] >= y0 and c["bottom"] <= top and c["x0"] >= 0 and c["x1"] <= width
    ]
    words = _extract_text(chars)
    lines = [line.strip() for line in (words or "").splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _is_header_row(boxes: list[_Box]) -> bool:
    top = min(b.top for b in boxes)
    first = [b.text for b in boxes if abs(b.top - top) < 1.0]
    joined = "".join(first).replace("\n", "")
    return any(m in joined for m in _HEADER_MARKS)


def _stitch(tables: list[_Table]) -> list[_Table]:
    """Join a table with its headerless continuation at the top of the next page."""
    out: list[_Table] = []
    for t in tables:
        prev = out[-1] if out else None
        if (
            prev is not None
            and t.page == prev.page + 1
            and _last_on_page(prev, tables)
            and _first_on_page(t, tables)
            and not _is_header_row(t.boxes)
            and abs(min(b.x0 for b in t.boxes) - min(b.x0 for b in prev.boxes)) < 6
            and abs(max(b.x1 for b in t.boxes) - max(b.x1 for b in prev.boxes)) < 6
        ):
            out[-1] = _join(prev, t)
        else:
            out.append(t)
    return out


def _last_on_page(t: _Table, tables: list[_Table]) -> bool:
    return all(o.top <= t.top for o in tables if o.page == t.page)


def _first_on_page(t: _Table, tables: list[_Table]) -> bool:
    return all(o.top >= t.top for o in tables if o.page == t.page)


def _join(a: _Table, b: _Table) -> _Table:
    """Put ``b`` below ``a`` in one coordinate space; continue ``a``'s merged label cells into ``b``."""
    shift = a.bottom - b.top
    moved = [_Box(x.x0, x.top + shift, x.x1, x.bottom + shift, x.text) for x in b.boxes]
    boxes = list(a.boxes)
    first_top = min(x.top for x in moved)
    for m in moved:
        if abs(m.top - first_top) < 1.0 and not m.text:
            above = [
                x
                for x in boxes
                if abs(x.bottom - a.bottom) < 1.5 and abs(x.x0 - m.x0) < 3 and abs(x.x1 - m.x1) < 3
            ]
            if above and above[0].text and not _NUMBER.match(above[0].text):
                # the empty first-row slot continues the label cell above it
                above[0].bottom = m.bottom
                continue
        boxes.append(m)
    return _Table(a.page, a.top, b.bottom + shift, a.page_height, boxes, a.caption)


def _cluster(values: list[float], tol: float) -> list[float]:
    """Sorted representatives of values closer than ``tol`` to each other."""
    reps: list[float] = []
    for v in sorted(values):
        if not reps or v - reps[-1] > tol:
            reps.append(v)
    return reps


def _index(reps: list[float], v: float, tol: float) -> int:
    """Index of the representative nearest to ``v`` (the lower one on a tie), -1 if beyond ``tol``."""
    from bisect import bisect_left

    k = bisect_left(reps, v)  # reps are sorted: the nearest is reps[k - 1] or reps[k]
    if k == len(reps) or (k > 0 and abs(reps[k - 1] - v) <= abs(reps[k] - v)):
        k -= 1
    return k if abs(reps[k] - v) <= tol else -1


def _grid(t: _Table) -> Grid:
    """Cell boxes -> dense grid with spans (the distinct lefts/tops are the grid lines)."""
    tol = 2.0
    xs = _cluster([b.x0 for b in t.boxes] + [max(b.x1 for b in t.boxes)], tol)
    ys = _cluster([b.top for b in t.boxes] + [max(b.bottom for b in t.boxes)], tol)
    spans: list[Span] = []
    col: dict[float, int] = {}  # boxes share their edges: each position is looked up once
    row: dict[float, int] = {}
    for b in t.boxes:
        for v in (b.x0, b.x1):
            if v not in col:
                col[v] = _index(xs, v, tol)
        for v in (b.top, b.bottom):
            if v not in row:
                row[v] = _index(ys, v, tol)
        c0, c1 = col[b.x0], col[b.x1]
        r0, r1 = row[b.top], row[b.bottom]
        if c1 < 0:
            c1 = max((i for i, x in enumerate(xs) if x <= b.x1 + tol), default=c0 + 1)
        if r1 < 0:
            r1 = max((i for i, y in enumerate(ys) if y <= b.bottom + tol), default=r0 + 1)
        spans.append(Span(r0, c0, max(r1, r0 + 1), max(c1, c0 + 1), b.text))
    return grid_from_spans(spans, caption=t.caption)


# ------------------------------------------------------------------------------ unruled tables

_PAGE_NUMBER = re.compile(r"^[\-—－–\s]*(?:第?\d+页?(?:/\d+|共\d+页)?)?[\-—－–\s]*$")
_VALUE_TOKENS = frozenset({"-", "—", "－", "/", "／", "无", "—-", "--"})
_ROW_START = re.compile(
    r"^(?:第[一二三四五六七八九十百]+条|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\d+[.．、])"
)


@dataclass(slots=True)
class _Seg:
    """Words of one line that touch each other: one cell's worth of text."""

    x0: float
    x1: float
    text: str

    @property
    def centre(self) -> float:
        return (self.x0 + self.x1) / 2


def _is_value(text: str) -> bool:
    return bool(_NUMBER.match(text)) or text in _VALUE_TOKENS


def _line_segments(words: list[dict], gap: float = 4.0) -> list[_Seg]:
    segs: list[_Seg] = []
    for w in sorted(words, key=lambda w: w["x0"]):
        # a value is always its own segment; text runs that touch are one segment
        if segs and w["x0"] - segs[-1].x1 < gap and not _is_value(w["text"]) and not _is_value(segs[-1].text):
            segs[-1].x1 = w["x1"]
            segs[-1].text += w["text"]
        else:
            segs.append(_Seg(w["x0"], w["x1"], w["text"]))
    return segs


def _under_header(lines: list[list[dict]], segs: list[list[_Seg]], i: int) -> bool:
    """A line of one or two numbers right under a many-celled header line, each centred under a cell.

    表四 often has a single non-blank value in its row; alone such a line looks like a page number,
    but a page number is not centred under a table header a line or two above it.
    """
    line = segs[i]
    if not line or len(line) > 2 or not all(_NUMBER.match(s.text) for s in line):
        return False
    top = lines[i][0]["top"]
    if i == 0 or top - lines[i - 1][0]["top"] > 25:  # a page number stands apart from what is above
        return False
    centres = [
        s.centre
        for j in range(max(0, i - 4), i)
        if len(segs[j]) >= 4 and top - lines[j][0]["top"] < 60
        for s in segs[j]
    ]
    return bool(centres) and all(any(abs(s.centre - c) < 2 for c in centres) for s in line)


def _unruled_grid(page: object, carried: list[float] | None = None) -> tuple[Grid | None, list[float]]:
    """A table without rules, rebuilt from word positions as a text-layout grid.

    Returns the grid (None if the page has no number-bearing table lines) and the value-column
    centres to carry to the next page: those of the last run when the table reaches the foot of the
    page, else []. ``carried`` (the previous page's) gives the columns of a headerless continuation,
    whose own values need not touch every column, and lets its first rows (label-only rows before
    its first number, e.g. "8.属于行政查询事项" with all cells blank) into the grid.

    Lines are words with (nearly) the same top. A *data* line is label text followed by values only;
    the left edge of its first value separates the label area from the value area. Then:

    * values are placed by their centres on the value columns of their *run* (data lines not
      separated by a header line), so a blank cell stays a blank slot and never shifts its row;
    * a line with text in the value area is a header line (and ends a run);
    * a label-only line that does not start a new numbered label ("（三）", "1.", "第二十条…") is the
      wrapped rest of labels above it: each piece joins the nearest label starting at its left edge.

    Only the stretch from the first table marker or data line to the last data line becomes rows.
    """
    words = _words(page.chars, x_tolerance=1.5)  # type: ignore[attr-defined]
    if not words:
        return None, []
    lines: list[list[dict]] = []
    for w in sorted(words, key=lambda w: (w["top"], w["x0"])):
        if lines and abs(lines[-1][0]["top"] - w["top"]) < 3:
            lines[-1].append(w)
        else:
            lines.append([w])
    segs = [_line_segments(line) for line in lines]

    def first_value(line: list[_Seg]) -> int | None:
        k = next((k for k, s in enumerate(line) if _is_value(s.text)), None)
        if k is None or not all(_is_value(s.text) for s in line[k:]):
            return None
        if not any(_NUMBER.match(s.text) for s in line[k:]):
            return None
        if k == 0 and sum(1 for s in line if _NUMBER.match(s.text)) < 3:
            return None  # a lone number or "- 1 -" (page numbers, years) is not a table row
        # a value sits in its own column: well apart from the label and from the next value
        # ("…洪泽湖大道 90" in running text has a mere space before the number)
        if k > 0 and line[k].x0 - line[k - 1].x1 < 15:
            return None
        if any(b.x0 - a.x1 < 6 for a, b in zip(line[k:], line[k + 1 :], strict=False)):
            return None
        return k

    fv = [first_value(line) for line in segs]
    for i in range(len(segs)):
        if fv[i] is None and _under_header(lines, segs, i):
            fv[i] = 0  # 表四's row with only one or two numbers, each under its column's header
    data = [i for i, k in enumerate(fv) if k is not None]
    if data and (
        len(data) == 1
        and len(segs[data[0]]) - (fv[data[0]] or 0) < 5
        and first_value(segs[data[0]]) is not None
    ):
        data = []  # one short number line is prose; one long one (表四's 15 numbers) is a table
    blank_t4 = _blank_t4(lines, segs, fv, data[-1] if data else -1)
    if not data:
        if blank_t4 is None:
            return None, []
        return _blank_t4_grid(segs, blank_t4), []
    start = data[0]
    for i in range(data[0] - 1, max(-1, data[0] - 12), -1):
        joined = "".join(s.text for s in segs[i])
        if any(m in joined for m in ("第二十条", "申请人情况", "勾稽关系", "行政复议", "信息内容")):
            start = i
    if carried and start == data[0]:
        # a continuation: its leading label-only rows sit in the label columns of its data rows
        first = segs[data[0]]
        value_x = first[fv[data[0]] or 0].x0 - 3
        label_cols = [s.x0 for d in data for s in segs[d][: fv[d]]]
        top = start
        while top > 0 and all(
            s.x1 < value_x and any(abs(s.x0 - x) < 4 for x in label_cols) for s in segs[top - 1]
        ):
            top -= 1
        # from the first numbered label on (a running page header is no row)
        start = next((j for j in range(top, start) if _ROW_START.match(segs[j][0].text)), start)
    end = data[-1]
    # the table runs to the foot of the page (only label-only rows and a page number after its last
    # number): it goes on on the next page, and those rows (blank values) are rows of it
    last = segs[end]
    last_value_x = last[fv[end] or 0].x0 - 3
    tail = [line for line in segs[end + 1 :] if not _PAGE_NUMBER.match("".join(s.text for s in line))]
    last_labels = [s.x0 for d in data for s in segs[d][: fv[d]]]
    last_labels += [s.x0 for line in tail if _ROW_START.match(line[0].text) for s in line]
    continues = (fv[end] or 0) > 0 and all(
        all(s.x1 < last_value_x and any(abs(s.x0 - x) < 4 for x in last_labels) for s in line)
        for line in tail
    )
    if tail and not _ROW_START.match(tail[0][0].text):
        # the wrapped rest of the last row's label ("（四）无法" / "提供") goes on the table;
        # anything else there (a sign-off, a note under the table) ends it
        height = max(w["bottom"] - w["top"] for w in lines[end])
        wrapped = lines[end + 1][0]["top"] - lines[end][0]["top"] <= 1.7 * height and all(
            any(abs(s.x0 - x.x0) < 4 for x in last[: fv[end]]) for s in tail[0]
        )
        continues = continues and wrapped and tail[0] is segs[end + 1]
    if continues:
        end += len(tail)
    elif blank_t4 is not None:
        end = blank_t4[1]  # 表四's header lines, its blank row added below

    # runs of data lines and their value columns
    def boundary_after(i: int) -> float:
        nxt = next((d for d in data if d >= i), data[-1])
        if blank_t4 is not None and i >= blank_t4[0]:
            return 0.0  # every line of 表四's header block is header
        k = fv[nxt] or 0
        return segs[nxt][k].x0 - 3

    rows: list[list[str]] = []
    label_x: list[list[float]] = []  # per row: the x0 of each label cell
    run: list[int] = []  # indices into rows of the current run's data rows
    run_values: list[list[_Seg]] = []
    last_centres: list[float] = []  # value columns of the latest run

    def close_run() -> None:
        if not run:
            return
        found = [s.centre for vals in run_values for s in vals]
        # a column blank in every row of the run still has its header: the leaf header line, and
        # the line above it where its cells do not overlap the leaf's (自然人/总计 span both lines)
        label_starts = [x for r in run for x in label_x[r]]

        def not_label(c: tuple[float, float]) -> bool:  # "信息内容" heads the label column
            return all(abs(c[0] - x) >= 4 for x in label_starts)

        extra: list[float] = []
        hs = sorted(h for h in headers if h < run[0])
        if not hs and carried:  # a headerless continuation: the columns of the page before
            extra.extend(c for c in carried if all(abs(f - c) > 6 for f in found))
        leaf = [c for c in header_cells.get(hs[-1], []) if not_label(c)] if hs else []
        above = header_cells.get(hs[-2], []) if len(hs) > 1 and hs[-2] == hs[-1] - 1 else []
        for x0, x1 in leaf + [
            c for c in above if not_label(c) and all(c[1] <= l0 or c[0] >= l1 for l0, l1 in leaf)
        ]:
            if all(abs(f - (x0 + x1) / 2) > 6 for f in found):
                extra.append((x0 + x1) / 2)
        centres = _cluster(found + extra, 6.0)
        last_centres[:] = centres
        for r, vals in zip(run, run_values, strict=True):
            slots = [""] * len(centres)
            for s in vals:
                slots[_index(centres, s.centre, 1e9)] = s.text
            if not vals:
                slots = [""] * len(centres)
            rows[r].extend(slots)
        run.clear()
        run_values.clear()

    header_centres: list[float] = []  # centres of the latest header line's cells
    header_prev = -1  # its row index
    headers: set[int] = set()  # rows that are header lines (their x positions are not label columns)
    header_cells: dict[int, list[tuple[float, float]]] = {}  # header row -> its cells' x extents
    for i in range(start, end + 1):
        line = segs[i]
        k = fv[i]
        if k is not None:
            rows.append([s.text for s in line[:k]])
            label_x.append([s.x0 for s in line[:k]])
            run.append(len(rows) - 1)
            run_values.append(line[k:])
            continue
        limit = boundary_after(i)
        known_x = {
            round(x)
            for r, xs in enumerate(label_x)
            if r >= len(label_x) - 30 and r not in headers
            for x in xs
        }
        # a cell at an x no label row used: a header line, unless it starts a numbered label
        # ("（三）不予公开 | 1.属于国家秘密": the first sub-row of a group, its values all blank)
        stray = len(line) > 1 and any(
            all(abs(s.x0 - x) >= 4 for x in known_x) and not _ROW_START.match(s.text) for s in line[1:]
        )
        if stray or any(s.centre >= limit for s in line):  # header line
            close_run()
            prev_centres = [x for x in header_centres] if rows and header_prev == len(rows) - 1 else []
            centres = [s.centre for s in line]
            if prev_centres and all(any(abs(c - p) < 3 for p in prev_centres) for c in centres):
                # the wrapped second line of centred header cells ("结果维" / "持"): join them
                for seg in line:
                    j = min(range(len(prev_centres)), key=lambda j: abs(prev_centres[j] - seg.centre))
                    rows[-1][j] += seg.text
                continue
            rows.append([s.text for s in line])
            label_x.append([s.x0 for s in line])
            headers.add(len(rows) - 1)
            header_cells[len(rows) - 1] = [(seg.x0, seg.x1) for seg in line]
            header_centres[:] = centres
            header_prev = len(rows) - 1
            continue
        if _ROW_START.match(line[0].text) or not rows:
            rows.append([s.text for s in line])
            label_x.append([s.x0 for s in line])
            if run or (carried and not headers) or len(rows) - 2 in headers:
                # a numbered row inside a table (or atop its continuation) with every value blank:
                # it gets the run's blank slots, so the mapper sees a row, not a stray label
                run.append(len(rows) - 1)
                run_values.append([])
            continue
        height = max(w["bottom"] - w["top"] for w in lines[i])
        if run and lines[i][0]["top"] - lines[i - 1][0]["top"] > 1.7 * height:
            # further down than a wrapped line would be: a row of its own whose values are all blank
            rows.append([s.text for s in line])
            label_x.append([s.x0 for s in line])
            run.append(len(rows) - 1)
            run_values.append([])
            continue
        for s in line:  # wrapped label text: join the latest label starting at the same x
            for r in range(len(rows) - 1, max(-1, len(rows) - 30), -1):
                hit = next((j for j, x in enumerate(label_x[r]) if abs(x - s.x0) < 4), None)
                if hit is not None:
                    rows[r][hit] += s.text
                    break
    close_run()
    if blank_t4 is not None and not continues:
        # 表四's value row with every cell blank: invisible, but its header says there are 15
        rows.append([])
        label_x.append([])
        run.append(len(rows) - 1)
        run_values.append([])
        close_run()
    return Grid.from_rows(rows, layout="text"), (list(last_centres) if continues else [])


def _blank_t4(
    lines: list[list[dict]], segs: list[list[_Seg]], fv: list[int | None], after: int
) -> tuple[int, int] | None:
    """(first, last) line of a 表四 header block after line ``after`` that no value row follows.

    表四 has one value row and no row labels: with every value blank, nothing of it shows but the
    header and a gap. The block starts at the line naming both 行政复议 and 行政诉讼, goes on while
    lines follow at row pitch, and must end in a gap (or the page foot), not at a number line.
    """
    first = next(
        (
            j
            for j in range(after + 1, min(len(segs), after + 4) if after >= 0 else len(segs))
            if len(segs[j]) >= 2 and "行政复议" in (t := "".join(s.text for s in segs[j])) and "行政诉讼" in t
        ),
        None,
    )
    if first is None:
        return None
    last = first
    while last + 1 < len(segs) and lines[last + 1][0]["top"] - lines[last][0]["top"] < 20:
        if fv[last + 1] is not None:
            return None
        last += 1
    return (first, last) if last - first >= 1 else None


def _blank_t4_grid(segs: list[list[_Seg]], block: tuple[int, int]) -> Grid:
    """A page whose only table is 表四 with a blank value row."""
    first, last = block
    head = [[s for s in line] for line in segs[first : last + 1]]
    leaf = head[-1]
    # wrapped second lines of centred cells ("结果维" / "持") add nothing to the columns
    if len(head) > 1 and all(any(abs(s.centre - p.centre) < 3 for p in head[-2]) for s in leaf):
        leaf = head[-2]
    above = [
        s
        for line in head
        if line is not leaf
        for s in line
        if all(s.x1 <= p.x0 or s.x0 >= p.x1 for p in leaf) and len(line) > 2
    ]
    centres = _cluster([s.centre for s in leaf + above], 6.0)
    rows = [[s.text for s in line] for line in head]
    rows.append([""] * len(centres))
    return Grid.from_rows(rows, layout="text")
