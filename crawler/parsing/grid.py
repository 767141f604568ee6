"""Tables as dense grids.

A :class:`Grid` is rectangular: a cell spanning rows/columns appears in every slot it covers, and each
slot remembers the ``origin`` slot of its cell so values copied by a span are never counted twice.
HTML tables, text renderings, PDF, DOCX and XLSX tables all become grids; one mapper
(:mod:`crawler.parsing.tables`) turns grids into canonical cells.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from lxml import etree


class GridCell(NamedTuple):
    """One slot of a grid. A named tuple, not a frozen dataclass: a page has hundreds of slots and
    a tuple is built in C (a frozen dataclass's __init__ sets each field through object.__setattr__)."""

    text: str  # whitespace-normalised cell text (line breaks kept as "\n")
    origin: tuple[int, int]  # (row, col) of the top-left slot of the cell that covers this slot

    def is_origin_at(self, row: int, col: int) -> bool:
        return self.origin == (row, col)


_new_tuple = tuple.__new__  # GridCell without the Python-level __new__ of NamedTuple


def _cell(text: str, origin: tuple[int, int]) -> GridCell:
    return _new_tuple(GridCell, (text, origin))  # type: ignore[arg-type]


@dataclass(slots=True)
class Grid:
    rows: list[list[GridCell]] = field(default_factory=list)
    caption: str = ""  # text just before the table (e.g. "三、收到和处理政府信息公开申请情况")
    truncated: bool = False  # cells were dropped to stay under a cell budget
    layout: str = "table"  # "table": columns are real; "text": rows rebuilt from text, columns unreliable

    @property
    def n_rows(self) -> int:
        return len(self.rows)

    @property
    def n_cols(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def text(self, row: int, col: int) -> str:
        return self.rows[row][col].text

    @classmethod
    def from_rows(cls, rows: list[list[str]], caption: str = "", layout: str = "table") -> Grid:
        """A grid without spans (every slot its own origin), padded to a rectangle.

        Text-layout grids stay ragged: a text row's length is information (a blank cell the text
        showed vs. a cell that was never there), so padding would invent blank values.
        """
        width = max((len(r) for r in rows), default=0)
        return cls(
            rows=[
                [
                    _cell(r[c] if c < len(r) else "", (i, c))
                    for c in range(len(r) if layout == "text" else width)
                ]
                for i, r in enumerate(rows)
            ],
            caption=caption,
            layout=layout,
        )


# ------------------------------------------------------------------------------------------------
# HTML tables -> grids

_MAX_COLSPAN = 100  # real tables never span more; absurd values ("colspan=100000") are clamped
_BLOCK_TAGS = frozenset(
    ("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "blockquote", "pre")
)
_INLINE_WS = re.compile(r"[ \t\r\f\v\xa0\u3000\u2002\u2003\u200b]+")


def _string(el: object) -> str:
    """Text content (XPath string(): no comments, no processing instructions) for lxml.html and
    plain lxml.etree trees alike; the C text serialiser is ~3x cheaper than an XPath call."""
    return etree.tostring(el, method="text", encoding="unicode", with_tail=False)  # type: ignore[arg-type]


_CAPTION_TAGS = frozenset(
    ("p", "h1", "h2", "h3", "h4", "h5", "h6", "div", "span", "strong", "b", "font", "caption")
)


_SPAN_DIGITS = re.compile(r"\s*(\d+)")


def _span(value: str | None, cap: int) -> int:
    """A rowspan/colspan attribute as a sane int: junk -> 1, 0 or huge -> ``cap``."""
    if not value:
        return 1
    digits = _SPAN_DIGITS.match(value)
    if not digits:
        return 1
    n = int(digits.group(1)[:7])
    if n <= 0:
        return cap
    return min(n, cap)


def _breaks(el: object) -> int:
    """Line-break weight of a cell's descendants: <br> weigh 2 (a single one already means "line
    break"), each block element 1 (one block wrapper alone does not). Counted only as far as the
    caller needs (> 1); walking a cell's few elements is cheaper than an XPath count union."""
    n = 0
    for node in el.iterdescendants():  # type: ignore[attr-defined]
        tag = node.tag
        if tag == "br":
            n += 2
        elif tag in _BLOCK_TAGS:
            n += 1
        else:
            continue
        if n > 1:
            break
    return n


def cell_text(el: object) -> str:
    """Visible text of a cell: <br>/<p>/<div> become line breaks, &nbsp; a space, runs of spaces one.

    Walks with lxml's iterative ``iterwalk``, so junk nesting cannot overflow the stack.
    """
    if len(el) == 0:  # type: ignore[arg-type]  # fast path: a plain <td>text</td>
        text = el.text or ""  # type: ignore[attr-defined]
        if text.isalnum():  # "12", "合计": no whitespace at all, nothing to normalise
            return text
        return _INLINE_WS.sub(" ", text.replace("\n", " ")).strip()
    if _breaks(el) <= 1:  # no <br>, at most one block wrapper (Word: <p><span>..</span></p>)
        return _INLINE_WS.sub(" ", _string(el).replace("\n", " ")).strip()
    else:
        parts: list[str] = []
        add = parts.append
        for event, node in etree.iterwalk(el, events=("start", "end", "comment", "pi")):
            tag = node.tag
            if not isinstance(tag, str):  # comment / processing instruction: only its tail is text
                if node.tail:
                    add(node.tail.replace("\n", " "))
                continue
            if event == "start":
                if tag == "br" or tag in _BLOCK_TAGS:
                    add("\n")
                if node.text:
                    add(node.text.replace("\n", " "))  # a newline in the source is just a space
            else:
                if tag in _BLOCK_TAGS:
                    add("\n")
                if node.tail and node is not el:
                    add(node.tail.replace("\n", " "))
        raw = "".join(parts)
    if "\n" not in raw:
        return _INLINE_WS.sub(" ", raw).strip()
    lines = (_INLINE_WS.sub(" ", line).strip() for line in raw.split("\n"))
    return "\n".join(line for line in lines if line)


def _own_rows(table: object) -> list[object]:
    rows = []
    for child in table:  # type: ignore[attr-defined]
        tag = child.tag.lower() if isinstance(child.tag, str) else ""
        if tag == "tr":
            rows.append(child)
        elif tag in ("thead", "tbody", "tfoot"):
            rows.extend(c for c in child if isinstance(c.tag, str) and c.tag.lower() == "tr")
    return rows


def _caption(table: object, root: object) -> str:
    """Nearest preceding heading/paragraph text (the table's title), "" if another table comes first."""
    node = table
    steps = 0
    while node is not None and node is not root and steps < 40:
        sib = node.getprevious()  # type: ignore[attr-defined]
        while sib is not None and steps < 40:
            steps += 1
            if isinstance(sib.tag, str):
                tag = sib.tag.lower()
                if tag == "table" or (len(sib) and sib.find(".//table") is not None):
                    return ""
                text = cell_text(sib)
                if text:
                    return text.split("\n")[-1][:200]
            sib = sib.getprevious()
        node = node.getparent()  # type: ignore[attr-defined]
    return ""


def _table_depth(table: object) -> int:
    depth = 0
    node = table.getparent()  # type: ignore[attr-defined]
    while node is not None:
        if isinstance(node.tag, str) and node.tag.lower() == "table":
            depth += 1
        node = node.getparent()
    return depth


def grids_from_html(root: object, *, max_nesting: int = 40, max_cells: int = 200_000) -> list[Grid]:
    """Every data <table> under ``root`` as a dense grid, in document order.

    Layout tables (tables that contain other tables) are skipped, as are tables nested deeper than
    ``max_nesting``. rowspan/colspan are honoured (clamped to the table's rows / 100 columns) and
    every slot keeps the origin of its cell. Once ``max_cells`` slots have been produced in total,
    further cells are dropped and the grid is marked ``truncated``.
    """
    grids: list[Grid] = []
    budget = max_cells
    tables = [root] if getattr(root, "tag", None) == "table" else []
    tables += list(root.iter("table"))  # type: ignore[attr-defined]
    for table in tables:
        if budget <= 0:
            if grids:
                grids[-1].truncated = True
            break
        if table.find(".//table") is not None:  # type: ignore[attr-defined]
            continue  # a layout table that only wraps other tables
        if _table_depth(table) > max_nesting:
            continue
        grid, used = _grid_from_table(table, budget)
        budget -= used
        if grid.rows:
            grid.caption = _caption(table, root)
            grids.append(grid)
    return grids


_CELL_TAGS = frozenset(("td", "th", "TD", "TH"))


def _grid_from_table(table: object, budget: int) -> tuple[Grid, int]:
    trs = _own_rows(table)
    n_rows = len(trs)
    slots: list[list[GridCell | None]] = [[] for _ in range(n_rows)]
    used = 0
    truncated = False
    new, cell_type = _new_tuple, GridCell  # GridCell built inline: this loop runs once per table cell
    for r, tr in enumerate(trs):
        c = 0
        line = slots[r]
        left = n_rows - r
        for td in tr:  # type: ignore[attr-defined]
            if td.tag not in _CELL_TAGS:
                continue
            n = len(line)  # line only grows below, after this scan
            while c < n and line[c] is not None:
                c += 1
            attr = td.get("rowspan")
            rs = 1 if attr is None else min(_span(attr, left), left)
            attr = td.get("colspan")
            cs = 1 if attr is None else _span(attr, _MAX_COLSPAN)
            if rs == 1 and cs == 1:  # the common case
                if used >= budget:
                    truncated = True
                    break
                if c < n:
                    line[c] = new(cell_type, (cell_text(td), (r, c)))
                else:
                    if c > n:
                        line.extend([None] * (c - n))
                    line.append(new(cell_type, (cell_text(td), (r, c))))
                used += 1
                c += 1
                continue
            if used + rs * cs > budget:
                truncated = True
                break
            slot = _cell(cell_text(td), (r, c))  # one tuple (and origin) shared by every slot it covers
            for dr in range(rs):
                target = slots[r + dr]
                if len(target) < c + cs:
                    target.extend([None] * (c + cs - len(target)))
                for dc in range(cs):
                    if target[c + dc] is None:
                        target[c + dc] = slot
            used += rs * cs
            c += cs
        if truncated:
            break
    width = max((len(line) for line in slots), default=0)
    rows: list[list[GridCell]] = []
    for r, line in enumerate(slots):
        if not line and truncated:
            break
        if len(line) < width:
            line.extend([None] * (width - len(line)))
        if None in line:  # holes (rows shorter than the table): empty cells of their own
            for c, x in enumerate(line):
                if x is None:
                    line[c] = _cell("", (r, c))
        rows.append(line)  # type: ignore[arg-type]
    return Grid(rows=rows, truncated=truncated), used
