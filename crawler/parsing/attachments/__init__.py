"""Reports published as files: PDF, DOCX, DOC/WPS, XLS/XLSX, images."""

from __future__ import annotations

from crawler.parsing.dispatch import ParseLimits
from crawler.parsing.result import ParseResult, Source


def parse_attachment(source: Source, payload: bytes, url: str, limits: ParseLimits) -> ParseResult:
    raise NotImplementedError
