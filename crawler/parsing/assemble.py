"""Which parse becomes a report's result: the detail page's, or the page's metadata combined with
the cells of one of its attachments.

Why a module of its own: the crawl (crawler/spiders/portal.py) and ``nianbao reparse`` must make
exactly the same choice, or a re-parse with an unchanged parser would "change" reports that the
crawl recorded. Both call these two pure functions.
"""

from __future__ import annotations

from collections.abc import Sequence

from crawler.parsing.dispatch import combine
from crawler.parsing.result import ParseResult


def wants_attachments(page: ParseResult) -> bool:
    """The page itself carries no usable tables, so its linked files are worth fetching/parsing."""
    return page.status in ("no_tables", "image_only", "unparsed") or not page.cells


def best_attachment(attachments: Sequence[ParseResult]) -> int | None:
    """Index of the attachment whose cells should be used: most cells, then status ok, then a
    report at all; the first one wins a tie. None when no attachment has content."""
    best: tuple[tuple[int, bool, bool], int] | None = None
    for i, parsed in enumerate(attachments):
        if not parsed.is_report and not parsed.cells:
            continue
        score = (len(parsed.cells), parsed.status == "ok", parsed.is_report)
        if best is None or score > best[0]:
            best = (score, i)
    return None if best is None else best[1]


def assemble_report(page: ParseResult, attachments: Sequence[ParseResult]) -> tuple[ParseResult, int | None]:
    """The final result of a report and the index of the attachment it was parsed from (None:
    the page). An attachment is used when it has cells, or when the page has none either."""
    i = best_attachment(attachments)
    if i is not None and (attachments[i].cells or not page.cells):
        return combine(page, attachments[i]), i
    return page, None
