"""Tables that arrive as text: "|" rows, one-cell-per-line layouts, flipbook number runs -> grids.

Text renderings lose the grid: rowspan cells appear once, blank cells vanish or become stray "|",
PDF-to-text flipbooks print one header character per line and the numbers of a row as one run
("0 0 0 0 ..."). So instead of guessing columns, the text is read as a stream of cells and cut into
*logical rows*: a run of label cells followed by a run of value cells. A "|" line with several cells
is a row as it stands. The grids are marked ``layout="text"``: the mapper matches their row labels
as usual but takes values in the order of the block's header labels (the official order when the
header is not readable), never by absolute column.
"""

from __future__ import annotations

import re

from crawler.parsing.grid import Grid
from crawler.parsing.values import looks_like_value

_BARS = re.compile(r"[|｜]")
_PIPE_ONLY = re.compile(r"^[|｜\s]+$")
_RUN_SPLIT = re.compile(r"[ \t\u3000\xa0]+")
_MAX_LABEL = 300  # longer lines are narrative, never a table cell


def _is_value(token: str) -> bool:
    return looks_like_value(token)


def _split_line(line: str) -> list[str]:
    """A line without pipes: one cell, or a label followed by a run of numbers, or a run of numbers."""
    parts = _RUN_SPLIT.split(line)
    if len(parts) >= 2:
        # trailing run of values ("四、结转下年度继续办理 0 0 0 0 0 0 0", "0 0 0 ... 0")
        k = len(parts)
        while k > 0 and parts[k - 1] and _is_value(parts[k - 1]):
            k -= 1
        if len(parts) - k >= 2:
            head = " ".join(parts[:k]).strip()
            return ([head] if head else []) + parts[k:]
    return [line]


def grids_from_text(text: str) -> list[Grid]:
    """Find text-rendered tables in ``text`` and return them as grids (possibly empty).

    One grid per stretch of tabular text; a grid's rows are logical rows (labels then values).
    """
    rows: list[list[str]] = []
    current: list[str] = []
    current_has_values = False
    sep_pending = False  # a lone "|" line was the last thing seen (cell-per-line layout)
    since_sep = 0

    def flush() -> None:
        nonlocal current, current_has_values
        if current:
            rows.append(current)
        current, current_has_values = [], False

    def push(token: str) -> None:
        nonlocal current_has_values
        is_val = _is_value(token)
        if not is_val and current_has_values:
            flush()
        current.append(token)
        if is_val:
            current_has_values = True

    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line:
            continue
        if _PIPE_ONLY.match(line) and line.count("|") + line.count("｜") == 1:
            # cell-per-line layout: two separators with nothing between = one blank cell
            if sep_pending and since_sep == 0:
                push("")
            sep_pending, since_sep = True, 0
            continue
        if "|" in line or "｜" in line:
            n_pipes = line.count("|") + line.count("｜")
            cells = [c.strip() for c in _BARS.split(line)]
            if line.startswith(("|", "｜")):
                cells = cells[1:]
            if line.endswith(("|", "｜")) and cells:
                cells = cells[:-1]  # a trailing pipe closes the last cell
            if n_pipes == 1 and len(cells) <= 1:  # "信息内容 |": one cell per line, pipe after it
                push(cells[0] if cells else "")
                sep_pending, since_sep = True, 0
                continue
            flush()
            if len(cells) == 1:
                cells.append("")  # "行政事业性收费 | |||||": explicit blank cells
            rows.append(cells)
            sep_pending = False
            continue
        if len(line) > _MAX_LABEL:
            flush()
            sep_pending = False
            continue
        for tok in _split_line(line):
            push(tok)
        since_sep += 1
    flush()
    if not any(len(row) >= 2 and any(_is_value(c) for c in row) for row in rows):
        return []
    return [Grid.from_rows(rows, caption="", layout="text")]
