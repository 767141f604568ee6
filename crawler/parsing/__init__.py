"""Pure parsing: bytes + URL + response headers in, a :class:`ParseResult` out.

:func:`parse_document` is the single entry point. The Scrapy callbacks, ``nianbao parse`` and
``nianbao reparse`` all call it, so a crawl and a re-run can never disagree.
"""

from crawler.parsing.dispatch import PARSER_VERSION, ParseLimits, combine, parse_document
from crawler.parsing.result import Cell, CheckResult, Decoded, Link, Metadata, ParseResult

__all__ = [
    "PARSER_VERSION",
    "Cell",
    "CheckResult",
    "Decoded",
    "Link",
    "Metadata",
    "ParseLimits",
    "ParseResult",
    "combine",
    "parse_document",
]
