"""What every file format shares: errors with a status, grids from spans, metadata, the final step.

Each format parser turns its file into (visible text, list of :class:`Grid`, a title) and hands them
to :func:`finish`, which calls the same :func:`crawler.parsing.report.build_report` as HTML pages, so a
number in a PDF gets exactly the label matching and value rules of a number in an HTML table.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from dataclasses import dataclass

from crawler.parsing.grid import Grid, GridCell
from crawler.parsing.result import Metadata, ParseResult, ParseStatus, Source

log = logging.getLogger(__name__)


class AttachmentError(Exception):
    """A file we cannot parse, with the status to record (``error``, ``unparsed``, ``image_only``)."""

    def __init__(self, status: ParseStatus, message: str) -> None:
        super().__init__(message)
        self.status: ParseStatus = status
        self.message = message


@dataclass(frozen=True, slots=True)
class Span:
    """A cell with its extent in grid slots (end-exclusive)."""

    row: int
    col: int
    row_end: int
    col_end: int
    text: str


_WS = re.compile(r"[ \t\r\f\v\u3000\xa0]+")


def clean_text(text: str | None) -> str:
    """Collapse runs of spaces, keep line breaks (grid text keeps "\\n"), trim."""
    if not text:
        return ""
    lines = [_WS.sub(" ", line).strip() for line in str(text).splitlines()]
    return "\n".join(line for line in lines if line)


def grid_from_spans(spans: list[Span], caption: str = "") -> Grid:
    """A dense grid: every slot a span covers gets the span's text and origin; holes are empty cells."""
    n_rows = max((s.row_end for s in spans), default=0)
    n_cols = max((s.col_end for s in spans), default=0)
    slots: list[list[GridCell | None]] = [[None] * n_cols for _ in range(n_rows)]
    for s in spans:
        for r in range(s.row, s.row_end):
            for c in range(s.col, s.col_end):
                if slots[r][c] is None:
                    slots[r][c] = GridCell(s.text, (s.row, s.col))
    rows = [
        [cell if cell is not None else GridCell("", (r, c)) for c, cell in enumerate(row)]
        for r, row in enumerate(slots)
    ]
    return Grid(rows=rows, caption=caption)


def grid_cell_count(grids: list[Grid]) -> int:
    return sum(g.n_rows * g.n_cols for g in grids)


def check_zip(payload: bytes, max_unzipped: int, kind: str) -> zipfile.ZipFile:
    """Open an OOXML zip after checking its declared sizes: a zip bomb is refused before inflating.

    Declared sizes can lie, so readers must also read members through :func:`read_member`, which
    stops at the same cap whatever the header said.
    """
    try:
        zf = zipfile.ZipFile(io.BytesIO(payload))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise AttachmentError("error", f"corrupt {kind}: not a readable zip ({exc})") from exc
    total = sum(max(i.file_size, 0) for i in zf.infolist())
    if total > max_unzipped:
        raise AttachmentError(
            "error",
            f"{kind} refused: declared uncompressed size {total:,} bytes > cap {max_unzipped:,} "
            "(ParseLimits.max_unzipped_bytes; zip bomb guard)",
        )
    return zf


def read_member(zf: zipfile.ZipFile, name: str, cap: int, kind: str) -> bytes:
    """Read one zip member, never inflating more than ``cap`` bytes (declared sizes may lie)."""
    try:
        with zf.open(name) as fh:
            data = fh.read(cap + 1)
    except KeyError as exc:
        raise AttachmentError("error", f"not a {kind}: missing {name}") from exc
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise AttachmentError("error", f"corrupt {kind}: cannot inflate {name} ({exc})") from exc
    if len(data) > cap:
        raise AttachmentError(
            "error", f"{kind} refused: {name} inflates beyond {cap:,} bytes (zip bomb guard)"
        )
    return data


_REPORT_WORDS = ("年度报告", "年报", "工作报告")


def pick_title(lines: list[str]) -> str | None:
    """The report title: the first early line naming a 年度报告.

    Titles set in two lines ("洪泽区人民政府" / "2023 年政府信息公开工作年度报告") are joined when the
    report line starts with the year and the line before is short and has no sentence punctuation.
    """
    early = [line.strip() for line in lines[:15] if line.strip()]
    for i, line in enumerate(early):
        if any(w in line for w in _REPORT_WORDS) and len(line) <= 80:
            prev = early[i - 1] if i else ""
            if (
                prev
                and len(prev) <= 30
                and not re.search(r"[。，；：,;:]", prev)
                and re.match(r"\s*(?:19|20)\d\d", line)
            ):
                return re.sub(r"\s+", "", prev + line)
            return re.sub(r"\s+", "", line)
    return re.sub(r"\s+", "", early[0]) if early and len(early[0]) <= 60 else None


def infer_metadata(title: str | None, text: str) -> Metadata:
    """Title, agency, agency kind and report year of a file.

    Uses the page parser's :func:`crawler.parsing.metadata.extract_metadata` (one rule for pages and
    files; a file may even carry a 索引号 block); falls back to a minimal inference (the year before
    "年" in the title, the agency as the title's text before it). A report that came from a detail
    page gets the page's metadata anyway, through ``combine``.
    """
    from crawler.parsing.metadata import extract_metadata

    try:
        md = extract_metadata(text.splitlines()[:80], text, candidates=[title])
        if md.title is None:
            md.title = title
        return md
    except Exception:  # an odd text must not cost the file its cells: keep the minimal inference
        log.debug("metadata extraction failed on a file's text; minimal inference used", exc_info=True)
    md = Metadata(title=title)
    if title:
        m = re.search(r"((?:19|20)\d\d)\s*年", title)
        if m:
            md.year = int(m.group(1))
            md.agency = title[: m.start()].strip(" ：:（(") or None
    if md.year is None:
        m = re.search(r"统计期限自\s*((?:19|20)\d\d)\s*年", text)
        if m:
            md.year = int(m.group(1))
    return md


def finish(
    *, text: str, grids: list[Grid], title: str | None, source: Source, metadata: Metadata | None = None
) -> ParseResult:
    """The shared last step: build the report exactly as for HTML, then stamp the source."""
    from crawler.parsing.report import build_report

    md = metadata or infer_metadata(title, text)
    result = build_report(text=text, grids=grids, metadata=md, source=source)
    result.source = source
    return result
