"""What the spider hands to the archive pipeline: a bare capture, or a report page with its files."""

from __future__ import annotations

from dataclasses import dataclass, field

from crawler.parsing.result import ParseResult
from storage.records import FetchedResponse


@dataclass(slots=True)
class CaptureItem:
    """A raw exchange that is not a report (list, column, decoy, error, 304, challenge): kept as is."""

    portal: str
    response: FetchedResponse


@dataclass(slots=True)
class ReportItem:
    """A report page, the attachments fetched for it, and the final parse; one archive transaction."""

    portal: str
    page: FetchedResponse
    parsed: ParseResult
    attachments: list[tuple[FetchedResponse, ParseResult]] = field(default_factory=list)
    parsed_from: str = "page"
