"""HTML pages (and plain text): decode, classify, metadata, tables, links -> ParseResult."""

from __future__ import annotations

from collections.abc import Mapping

from crawler.parsing.dispatch import ParseLimits
from crawler.parsing.result import ParseResult


def parse_html(payload: bytes, url: str, headers: Mapping[str, str], limits: ParseLimits) -> ParseResult:
    raise NotImplementedError


def parse_plain_text(payload: bytes, url: str, headers: Mapping[str, str], limits: ParseLimits) -> ParseResult:
    raise NotImplementedError
