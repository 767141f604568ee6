"""Spreadsheets (XLSX with openpyxl, XLS with xlrd): merged ranges become spans of dense grids.

A worksheet often holds the title, a caption line and several tables one under the other, so each
sheet is cut into blocks at empty rows; a block that is a single one-cell row is text (a title or a
caption, which becomes the caption of the next table), anything wider is a table.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from crawler.parsing.attachments.common import (
    AttachmentError,
    Span,
    check_zip,
    clean_text,
    grid_from_spans,
    pick_title,
)
from crawler.parsing.dispatch import ParseLimits
from crawler.parsing.grid import Grid

# (values by (row, col), merged ranges as (row, col, row_end, col_end), n_rows, n_cols), 0-based
Sheet = tuple[dict[tuple[int, int], str], list[tuple[int, int, int, int]], int, int]


def cell_str(value: object) -> str:
    """A cell value as the text a reader sees: integral floats without ".0", no exponents."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        text = repr(value)
        if "e" in text or "E" in text:
            text = f"{value:.10f}".rstrip("0").rstrip(".")
        return text
    return clean_text(str(value))


def parse_xlsx(payload: bytes, limits: ParseLimits) -> tuple[str, list[Grid], str | None]:
    zf = check_zip(payload, limits.max_unzipped_bytes, "XLSX")
    if "xl/workbook.xml" not in zf.namelist():
        raise AttachmentError("error", "not an Excel workbook: the zip has no xl/workbook.xml")
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(payload), data_only=True, read_only=False)
    except Exception as exc:
        raise AttachmentError("error", f"corrupt XLSX: {type(exc).__name__}: {exc}") from exc
    sheets: list[Callable[[], Sheet]] = []
    for ws in wb.worksheets:

        def load(ws=ws) -> Sheet:  # type: ignore[no-untyped-def]
            values: dict[tuple[int, int], str] = {}
            n_rows, n_cols = ws.max_row or 0, ws.max_column or 0
            if n_rows * n_cols > limits.max_table_cells:
                raise AttachmentError(
                    "error", f"XLSX refused: sheet of {n_rows}x{n_cols} cells > ParseLimits.max_table_cells"
                )
            for row in ws.iter_rows():
                for cell in row:
                    if cell.value is not None:
                        values[(cell.row - 1, cell.column - 1)] = cell_str(cell.value)
            merged = [(m.min_row - 1, m.min_col - 1, m.max_row, m.max_col) for m in ws.merged_cells.ranges]
            return values, merged, n_rows, n_cols

        sheets.append(load)
    return _from_sheets(sheets, limits)


def parse_xls(payload: bytes, limits: ParseLimits) -> tuple[str, list[Grid], str | None]:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=payload, formatting_info=True, on_demand=True)
    except Exception as exc:
        raise AttachmentError("error", f"corrupt or unsupported XLS: {type(exc).__name__}: {exc}") from exc
    sheets: list[Callable[[], Sheet]] = []
    for i in range(book.nsheets):

        def load(i=i) -> Sheet:  # type: ignore[no-untyped-def]
            sh = book.sheet_by_index(i)
            if sh.nrows * sh.ncols > limits.max_table_cells:
                raise AttachmentError(
                    "error",
                    f"XLS refused: sheet of {sh.nrows}x{sh.ncols} cells > ParseLimits.max_table_cells",
                )
            values: dict[tuple[int, int], str] = {}
            for r in range(sh.nrows):
                for c in range(sh.ncols):
                    v = sh.cell_value(r, c)
                    if v not in ("", None):
                        values[(r, c)] = cell_str(v)
            merged = [(r0, c0, r1, c1) for r0, r1, c0, c1 in sh.merged_cells]
            return values, merged, sh.nrows, sh.ncols

        sheets.append(load)
    return _from_sheets(sheets, limits)


def _from_sheets(
    sheets: list[Callable[[], Sheet]], limits: ParseLimits
) -> tuple[str, list[Grid], str | None]:
    lines: list[str] = []
    grids: list[Grid] = []
    total = 0
    for load in sheets:
        values, merged, n_rows, n_cols = load()
        total += n_rows * n_cols
        if total > limits.max_table_cells:
            raise AttachmentError("error", f"spreadsheet refused: more than {limits.max_table_cells:,} cells")
        sheet_lines, sheet_grids = _blocks(values, merged, n_rows, n_cols)
        lines.extend(sheet_lines)
        grids.extend(sheet_grids)
    return "\n".join(lines), grids, pick_title(lines)


def _blocks(
    values: dict[tuple[int, int], str], merged: list[tuple[int, int, int, int]], n_rows: int, n_cols: int
) -> tuple[list[str], list[Grid]]:
    """Cut a sheet at empty rows (not covered by a merged range) into text lines and tables."""
    covered: dict[tuple[int, int], tuple[int, int, int, int]] = {}
    for m in merged:
        r0, c0, r1, c1 = m
        if (r1 - r0) * (c1 - c0) > 10_000:
            continue  # absurd merge: ignore rather than blow up
        for r in range(r0, min(r1, n_rows)):
            for c in range(c0, min(c1, n_cols)):
                covered[(r, c)] = m
    busy = [False] * n_rows
    for r, _c in list(values) + list(covered):
        if r < n_rows:
            busy[r] = True
    # a merged range spanning rows keeps its rows together
    for r0, _c0, r1, _c1 in merged:
        for r in range(r0, min(r1, n_rows)):
            busy[r] = True
    lines: list[str] = []
    grids: list[Grid] = []
    last_text = ""  # the latest text line: the caption of the next table
    r = 0
    while r < n_rows:
        if not busy[r]:
            r += 1
            continue
        start = r
        while r < n_rows and busy[r]:
            r += 1
        # leading one-cell rows (a title, "三、收到和处理…") are text, not table rows
        while r - start > 1 and _single_text_row(values, covered, start):
            lines.append(values[next(k for k in sorted(values) if k[0] == start)])
            last_text = lines[-1]
            start += 1
        block_rows = range(start, r)
        cols = sorted({c for (rr, c) in list(values) + list(covered) if rr in block_rows})
        if not cols:
            continue
        c_lo, c_hi = cols[0], cols[-1] + 1
        occupied = {(rr, c) for (rr, c) in values if rr in block_rows}
        single_text_rows = all(
            len(
                {
                    covered.get((rr, c), (rr, c, rr + 1, c + 1))
                    for c in range(c_lo, c_hi)
                    if (rr, c) in occupied or (rr, c) in covered
                }
            )
            <= 1
            for rr in block_rows
        )
        if single_text_rows and len(block_rows) <= 2:
            for rr in block_rows:
                text = " ".join(values[(rr, c)] for c in range(c_lo, c_hi) if (rr, c) in values)
                if text:
                    lines.append(text)
                    last_text = text
            continue
        spans: list[Span] = []
        seen: set[tuple[int, int, int, int]] = set()
        for rr in block_rows:
            for c in range(c_lo, c_hi):
                span = covered.get((rr, c))
                if span is not None:
                    if span in seen:
                        continue
                    seen.add(span)
                    r0, c0, r1, c1 = span
                    text = values.get((r0, c0), "")
                    spans.append(Span(r0 - start, c0 - c_lo, min(r1, r) - start, min(c1, c_hi) - c_lo, text))
                else:
                    spans.append(
                        Span(rr - start, c - c_lo, rr - start + 1, c - c_lo + 1, values.get((rr, c), ""))
                    )
        grid = grid_from_spans(spans, caption=last_text)
        last_text = ""
        grids.append(grid)
        for row in grid.rows:
            seen_text = [
                cell.text.replace("\n", "") for i, cell in enumerate(row) if cell.origin[1] == i and cell.text
            ]
            if seen_text:
                lines.append(" ".join(seen_text))
    return lines, grids


def _single_text_row(
    values: dict[tuple[int, int], str], covered: dict[tuple[int, int], tuple[int, int, int, int]], row: int
) -> bool:
    """One non-empty cell and no merged range in the row."""
    cells = [k for k in values if k[0] == row]
    return len(cells) == 1 and not any(k[0] == row for k in covered)
