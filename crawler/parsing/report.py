"""Shared last step for every format: text + grids + metadata -> a report ParseResult.

HTML pages and every attachment format (PDF, DOCX, XLSX, ...) end here, so a number gets the same
label matching, value rules and checks whatever markup it came in.
"""

from __future__ import annotations

from crawler.parsing.grid import Grid
from crawler.parsing.result import Metadata, ParseResult, Source


def build_report(*, text: str, grids: list[Grid], metadata: Metadata, source: Source) -> ParseResult:
    """Detect the template, map grids (and text renderings) to cells, run the checks, split sections.

    ``text`` is the document's visible text (used for template detection, text-rendered tables and
    sections). Status is ``ok`` when tables 三 and 四 were mapped (or the report is pre-2019 free text),
    ``partial`` when only some were, ``no_tables`` when none were found.
    """
    raise NotImplementedError  # owned by the tables helper (crawler/parsing/tables.py)
